"""OJS 3: accounts through the users file of PKP's native XML import (connector kind `ojs_file`).

Tirek cannot call OJS, so the operations of an OJS system wait for a person, as with the manual
connector; what this kind adds is the file. `users_file()` writes the users of the open create
operations as a `PKPUsers` document, valid against PKP's pkp-users.xsd (vendored under
schemas/pkp/, see its README), which the OJS administrator imports with:

    php tools/importExport.php UserImportExportPlugin import <file.xml> <journal_path>

(OJS 3.4/3.5 `UserImportExportPlugin::executeCLI`: command, file, journal path; the directory of
the file must be writable.) The file carries no password in clear: each initial password is a
bcrypt hash with `encryption` set and `must_change="true"`, which OJS stores as it is (it
re-hashes only hashes that `password_needs_rehash(.., PASSWORD_BCRYPT)` rejects, hence the
`$2y$`, cost 10 form). The person reads the password from Tirek's one-time link. OJS matches
`user_group_ref` and `user_group/name` against its groups by name and reuses a group that
exists, so the `user_groups` block only describes the groups referenced.

Settings (`System.connector_settings`): `journal_path`, `locale` (default "en"), `groups`
(target group of a SystemRole -> {"name", "role_id", "abbrev", "stages"}; defaults below, the
names of OJS's default groups), `default_group` (for a user with no role; "Reader"), `masthead`
(true for OJS 3.5, whose schema requires `user_group/masthead`; false for 3.3/3.4).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import bcrypt
from lxml import etree

from tirek.connectors.manual import ManualConnector

NS = "http://pkp.sfu.ca"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

# OJS role ids (PKP\security\Role): manager 16, sub-editor 17, reviewer 4096, assistant 4097,
# author 65536, reader 1048576.
DEFAULT_GROUPS: dict[str, dict] = {
    "journal-manager": {
        "name": "Journal manager",
        "role_id": 16,
        "abbrev": "JM",
        "stages": "1:3:4:5",
    },
    "editor": {"name": "Section editor", "role_id": 17, "abbrev": "SECT", "stages": "1:3:4:5"},
    "reviewer": {"name": "Reviewer", "role_id": 4096, "abbrev": "R", "stages": "3"},
    "author": {"name": "Author", "role_id": 65536, "abbrev": "AU", "stages": "1:3:4:5"},
    "reader": {"name": "Reader", "role_id": 1048576, "abbrev": "Read", "stages": ""},
}


@dataclass
class OjsUser:
    username: str
    given_name: str
    family_name: str = ""
    email: str = ""
    password: str | None = None  # the initial password; only its bcrypt hash is written
    groups: list[str] = field(default_factory=list)  # target groups of the person's roles


class OJSFileConnector(ManualConnector):
    """Refuses to act, like the manual connector: staff import the file, then close the work."""

    kind = "ojs_file"

    def _refuse(self, *args, **kwargs):
        from tirek.connectors.base import PermanentError

        raise PermanentError(
            "OJS: download the users import file of this system, import it in OJS, "
            "then close the operation"
        )

    create = update = set_password = disable = enable = delete = _refuse
    add_to_group = remove_from_group = _refuse


def ojs_password_hash(password: str | None) -> str:
    """A bcrypt hash OJS keeps as is ($2y$, cost 10). No password: an unguessable one, so the
    person sets theirs with OJS's "forgot password"."""
    secret = password if password else secrets.token_urlsafe(24)
    hashed = bcrypt.hashpw(secret.encode(), bcrypt.gensalt(rounds=10)).decode()
    return "$2y$" + hashed[4:]  # the same algorithm; PHP's password_* functions name it 2y


def _group_definitions(settings: dict) -> dict[str, dict]:
    return {**DEFAULT_GROUPS, **(settings.get("groups") or {})}


def import_command(settings: dict, filename: str = "users.xml") -> str:
    journal = settings.get("journal_path") or "<journal_path>"
    return f"php tools/importExport.php UserImportExportPlugin import {filename} {journal}"


def users_file(users: list[OjsUser], settings: dict) -> bytes:
    """The PKPUsers document for `users` (at least one)."""
    if not users:
        raise ValueError("an OJS users file needs at least one user")
    locale = settings.get("locale") or "en"
    definitions = _group_definitions(settings)
    default = settings.get("default_group") or "reader"
    masthead = settings.get("masthead", True)

    def q(tag: str) -> str:
        return f"{{{NS}}}{tag}"

    def sub(parent, tag: str, text: str | None = None, **attrs):
        node = etree.SubElement(parent, q(tag), {k: v for k, v in attrs.items() if v})
        if text is not None:
            node.text = text
        return node

    refs: list[list[str]] = []
    for user in users:
        known = [g for g in user.groups if g in definitions]
        refs.append(known or [default])
    used = list(dict.fromkeys(g for groups in refs for g in groups))

    root = etree.Element(q("PKPUsers"), nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{NS} pkp-users.xsd")
    groups_node = sub(root, "user_groups")
    for code in used:
        group = definitions[code]
        node = sub(groups_node, "user_group")
        sub(node, "role_id", str(group["role_id"]))
        sub(node, "context_id", "0")  # OJS imports into the journal named on the command line
        sub(node, "is_default", "true")
        sub(node, "permit_self_registration", "false")
        sub(node, "permit_metadata_edit", "false")
        sub(node, "name", group["name"], locale=locale)
        sub(node, "abbrev", group.get("abbrev") or group["name"][:4], locale=locale)
        sub(node, "stage_assignments", group.get("stages", ""))
        if masthead:
            sub(node, "masthead", "false")
    users_node = sub(root, "users")
    for user, groups in zip(users, refs, strict=True):
        node = sub(users_node, "user")
        sub(node, "givenname", user.given_name or user.username, locale=locale)
        if user.family_name:
            sub(node, "familyname", user.family_name, locale=locale)
        if user.email:
            sub(node, "email", user.email)
        sub(node, "username", user.username)
        password = sub(node, "password", is_disabled="false", must_change="true")
        password.set("encryption", "bcrypt")
        sub(password, "value", ojs_password_hash(user.password))
        for code in groups:
            sub(node, "user_group_ref", definitions[code]["name"])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

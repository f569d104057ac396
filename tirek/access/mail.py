"""E-mails of the access app, each in its recipient's language.

- A one-time link to a new password, sent to the person's personal address. It carries the
  link, never the password: the mailbox keeps nothing usable once the link is opened or has
  expired (two days).
- A warning that a temporary grant is about to expire, to the person and to whoever asked for
  the access.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _


def language_of(person) -> str:
    user = getattr(person, "user", None)
    return (
        (getattr(user, "language", "") or settings.LANGUAGE_CODE)
        if user
        else settings.LANGUAGE_CODE
    )


def _send(messages: list[EmailMessage]) -> int:
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


def send_credential_link(delivery, token: str, expires: dt.datetime) -> None:
    """Send the one-time link of a mail delivery; raises if SMTP does not accept it."""
    account, person = delivery.account, delivery.account.person
    system = account.system
    link = settings.SITE_URL + reverse("access:mailed_credential", args=[token])
    with translation.override(language_of(person)):
        when = formats.date_format(timezone.localtime(expires), "DATETIME_FORMAT")
        subject = _("Your new password for %(system)s") % {"system": system.name}
        lines = [
            _("Hello, %(name)s.") % {"name": person.first_name or person.full_name},
            "",
            _("An account was made ready for you in %(system)s.") % {"system": system.name},
            f"{_('Login')}: {account.login}",
            "",
            _("Open this link once to see your initial password (until %(when)s):")
            % {"when": when},
            link,
            "",
            _("The link works only once. Change the password at first sign-in."),
        ]
        if system.login_url:
            lines.append(f"{_('Sign in at')}: {system.login_url}")
        lines += ["", _("If you did not expect this e-mail, tell the IT department.")]
    sent = _send([EmailMessage(subject, "\n".join(lines), to=[person.personal_email])])
    if not sent:
        raise RuntimeError("the mail server accepted no message")


def address_of(person=None, user=None) -> str:
    if user is not None and user.email:
        return user.email
    person = person or getattr(user, "person", None)
    if person is None:
        return ""
    linked = getattr(person, "user", None)
    return (
        (linked.email if linked and linked.email else "") or person.email or person.personal_email
    )


def send_expiry_warning(grant) -> int:
    """Tell the person, and the one who asked for the access, that it ends soon."""
    account, role = grant.account, grant.role
    person = account.person
    recipients = []  # (address, language)
    if person is not None and address_of(person=person):
        recipients.append((address_of(person=person), language_of(person)))
    requester = grant.request.requested_by if grant.request_id else None
    other = requester is not None and (person is None or requester.pk != person.user_id)
    if other and address_of(user=requester):
        recipients.append(
            (address_of(user=requester), requester.language or settings.LANGUAGE_CODE)
        )
    messages = []
    for address, language in recipients:
        with translation.override(language):
            subject = _("Access ends soon: %(role)s") % {"role": role}
            until = formats.date_format(grant.valid_until, "DATE_FORMAT")
            body = "\n".join(
                [
                    _("The access below ends after %(date)s.") % {"date": until},
                    "",
                    f"{_('Person')}: {person.full_name if person else account.login}",
                    f"{_('System')}: {account.system.name}",
                    f"{_('Role')}: {role.name}",
                    f"{_('Login')}: {account.login}",
                    "",
                    _("If it is still needed, ask for it again before then."),
                    settings.SITE_URL + reverse("access:request_create"),
                ]
            )
        messages.append(EmailMessage(subject, body, to=[address]))
    return _send(messages) if messages else 0

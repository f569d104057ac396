"""The Kazakh and Russian catalogues are complete and their translations are well formed.

A missing or fuzzy translation shows English on a Kazakh or Russian page; a lost or misspelt
placeholder breaks the page or the sentence at run time. The .po files are read with a small
parser here so the test needs nothing beyond the standard library.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import django
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

LOCALE_DIR = Path(settings.BASE_DIR) / "tirek" / "locale"
LANGUAGES = {"kk": 2, "ru": 3}  # language: number of plural forms
DJANGO_DIR = Path(django.__file__).parent


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    def where(self, path: Path) -> str:
        return f"{path.parent.parent.name}/{path.name}:{self.line}: {self.msgid[:60]!r}"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file (header included, as the entry with an empty msgid)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def start(lineno: int) -> Entry:
        entry = Entry(line=lineno)
        entries.append(entry)
        return entry

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            current, target = None, None
            continue
        if line.startswith("#,"):
            if current is None or target is not None:
                current, target = start(lineno), None
            current.flags.update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#") and not obsolete:
            if current is not None and target is not None:
                current, target = None, None
            continue
        if line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{lineno}: stray string"
            _append(current, target, ast.literal_eval(line))
            continue
        match = _KEYWORD.match(line)
        assert match, f"{path}:{lineno}: cannot parse {raw!r}"
        keyword, index, value = match.group(1), match.group(2), ast.literal_eval(match.group(3))
        if keyword in {"msgctxt", "msgid"} and (current is None or current.msgstr):
            current = start(lineno)
        assert current is not None
        current.obsolete = current.obsolete or obsolete
        name = "msgstr" if keyword.startswith("msgstr") else keyword
        target = (name, int(index) if index is not None else (0 if name == "msgstr" else None))
        if name == "msgstr":
            current.msgstr[target[1]] = ""
        else:
            setattr(current, name, "")
        _append(current, target, value)
    return entries


def _append(entry: Entry, target: tuple[str, int | None], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] += text
    else:
        setattr(entry, name, getattr(entry, name) + text)


def catalogue(lang: str) -> tuple[Path, list[Entry]]:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"
    return path, [e for e in parse_po(path) if not e.obsolete]


_PERCENT = re.compile(r"%%|%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[-#0 +]*\d*[sdifrxX]")
_BRACES = re.compile(r"\{\w*\}")
_TAG = re.compile(r"<[^>]+>")


def placeholders(text: str, python_format: bool) -> list[str]:
    found = sorted(_BRACES.findall(text) + _TAG.findall(text))
    if python_format:
        found += sorted(m.group(0) for m in _PERCENT.finditer(text) if m.group(0) != "%%")
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_header_declares_language_and_plural_forms(lang):
    path, entries = catalogue(lang)
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None)
    assert "fuzzy" not in header.flags, f"{path}: the header is marked fuzzy"
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert fields["Language"] == lang
    assert fields["Plural-Forms"].startswith(f"nplurals={LANGUAGES[lang]};")
    assert "charset=UTF-8" in fields["Content-Type"]


def completeness_problems(path: Path, entries: list[Entry], forms: int) -> list[str]:
    problems = []
    for entry in entries:
        if not entry.msgid:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.where(path)}")
        expected = forms if entry.msgid_plural is not None else 1
        if sorted(entry.msgstr) != list(range(expected)):
            problems.append(f"expected {expected} form(s): {entry.where(path)}")
        elif not all(text.strip() for text in entry.msgstr.values()):
            problems.append(f"untranslated: {entry.where(path)}")
    return problems


def placeholder_problems(path: Path, entries: list[Entry]) -> list[str]:
    problems = []
    for entry in entries:
        if not entry.msgid:
            continue
        python_format = "python-format" in entry.flags
        allowed = [placeholders(entry.msgid, python_format)]
        if entry.msgid_plural is not None:
            # A plural form may name the count (the English singular often spells out "one").
            allowed.append(placeholders(entry.msgid_plural, python_format))
        for index, text in entry.msgstr.items():
            found = placeholders(text, python_format)
            if found not in allowed:
                problems.append(
                    f"msgstr[{index}] has {found}, source has {allowed[-1]}: {entry.where(path)}"
                )
    return problems


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(lang):
    path, entries = catalogue(lang)
    assert len(entries) > 100, f"{path} looks truncated"
    problems = completeness_problems(path, entries, LANGUAGES[lang])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders_and_markup(lang):
    path, entries = catalogue(lang)
    problems = placeholder_problems(path, entries)
    assert not problems, "\n".join(problems)


BAD_PO = """msgid ""
msgstr "Language: ru\\n"

#, fuzzy
msgid "Save"
msgstr "Сохранить"

msgid "Cancel"
msgstr ""

#, python-format
msgid "%(n)s event"
msgid_plural "%(n)s events"
msgstr[0] "%(n)s событие"
msgstr[1] "%(n)s события"

#, python-format
msgid "Welcome, %(name)s"
msgstr "Добро пожаловать, %(nam)s"

msgid "Send it in <code>Authorization</code>."
msgstr "Передайте его в заголовке Authorization."
"""


def test_checks_catch_fuzzy_empty_short_plural_and_broken_placeholders(tmp_path):
    path = tmp_path / "django.po"
    path.write_text(BAD_PO, encoding="utf-8")
    entries = parse_po(path)
    problems = completeness_problems(path, entries, forms=3)
    assert [p.split(":")[0] for p in problems] == ["fuzzy", "untranslated", "expected 3 form(s)"]
    broken = placeholder_problems(path, entries)
    assert len(broken) == 2
    assert "Welcome" in broken[0] and "Authorization" in broken[1]


def test_placeholder_check_catches_a_lost_or_renamed_placeholder():
    assert placeholders("%(name)s and %(count)d", True) != placeholders("%(name)s and", True)
    assert placeholders("%(name)s", True) != placeholders("%(nam)s", True)
    assert placeholders("<code>x</code>", False) != placeholders("x", False)
    assert placeholders("100%% sure, {n}", True) == placeholders("{n}: 100%%", True)
    assert placeholders("50% of it", False) == []


def test_parser_reads_plurals_context_flags_and_continuation_lines(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: kk\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgctxt "c"\nmsgid "one %(n)s"\n'
        'msgid_plural "many %(n)s"\nmsgstr[0] "бір "\n"%(n)s"\nmsgstr[1] ""\n\n'
        '#~ msgid "gone"\n#~ msgstr "жоқ"\n',
        encoding="utf-8",
    )
    header, entry, gone = parse_po(po)
    assert header.msgstr[0] == "Language: kk\n"
    assert entry.msgctxt == "c" and entry.msgid_plural == "many %(n)s"
    assert entry.msgstr == {0: "бір %(n)s", 1: ""}
    assert {"fuzzy", "python-format"} <= entry.flags
    assert gone.obsolete


def _django_msgids() -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    for part in ("conf", "contrib/auth", "contrib/humanize"):
        path = DJANGO_DIR / part / "locale" / "en" / "LC_MESSAGES" / "django.po"
        found |= {(e.msgctxt, e.msgid) for e in parse_po(path) if e.msgid}
    return found


def test_django_strings_copy_django_msgids_exactly():
    """tirek/core/django_strings.py is only useful if each msgid is Django's own, to the byte."""
    source = (Path(settings.BASE_DIR) / "tirek" / "core" / "django_strings.py").read_text("utf-8")
    listed = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if node.func.id in {"pgettext_lazy", "npgettext_lazy"}:
                listed.append((args[0], args[1]))
            elif node.func.id in {"gettext_noop", "ngettext_lazy"}:
                listed.append((None, args[0]))
    assert len(listed) > 50
    unknown = sorted(set(listed) - _django_msgids(), key=str)
    assert not unknown, f"not a msgid of this Django version: {unknown}"


@pytest.mark.integration
def test_catalogues_hold_every_string_in_the_source(tmp_path, monkeypatch):
    """makemessages over today's source finds no msgid the catalogues lack.

    Runs the real makemessages (GNU gettext's xgettext) into a scratch directory, so the
    committed catalogues are not touched. When this fails, run
    `tirek makemessages -l kk -l ru --no-obsolete --ignore='node_modules/*' --ignore='.venv/*'
    --ignore='var/*'`, translate the new entries (docs/glossary.md has the terms) and commit.
    """
    if not shutil.which("xgettext"):
        pytest.skip("GNU gettext (xgettext) is not installed")
    scratch = tmp_path / "locale"
    monkeypatch.chdir(settings.BASE_DIR)
    with override_settings(LOCALE_PATHS=[str(scratch)]):
        call_command(
            "makemessages",
            locale=["kk"],
            # tirek/locale is ignored so that makemessages writes to the scratch directory.
            ignore_patterns=["node_modules/*", ".venv/*", "var/*", "tirek/locale"],
            no_obsolete=True,
            verbosity=0,
        )
    fresh = parse_po(scratch / "kk" / "LC_MESSAGES" / "django.po")
    wanted = {(e.msgctxt, e.msgid, e.msgid_plural) for e in fresh if e.msgid}
    assert len(wanted) > 100
    for lang in LANGUAGES:
        path, entries = catalogue(lang)
        have = {(e.msgctxt, e.msgid, e.msgid_plural) for e in entries if e.msgid}
        missing = sorted(wanted - have, key=str)
        assert not missing, (
            f"{lang}: {len(missing)} new string(s) not in {path.name}: {missing[:20]}"
        )

"""The broken-file corpus: each file gets a clear error and nothing is written. Plus the
encodings and delimiters real exports come in, and hypothesis on the CSV path."""

from __future__ import annotations

import csv
import io
import random

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tirek.core.exports import csv_lines
from tirek.people.imports import services
from tirek.people.imports.errors import ImportFileError, message
from tirek.people.imports.models import ImportSource, RunStatus
from tirek.people.imports.readers import detect_encoding, read_table
from tirek.people.models import Person
from tirek.people.tests.files import STUDENT_HEADER, STUDENT_MAPPING, student, to_csv, to_xlsx


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def source(org) -> ImportSource:
    return ImportSource.objects.create(
        code="platonus",
        name="Platonus",
        origin="platonus",
        affiliation_kind="student",
        mapping=STUDENT_MAPPING,
    )


ROWS = [student(n) for n in range(3)]


def _junk() -> bytes:
    return random.Random(42).randbytes(10 * 1024 * 1024)


def _mixed() -> bytes:
    utf8 = to_csv(ROWS[:2])
    return utf8 + ";".join(ROWS[2]).encode("cp1251", errors="replace") + b"\r\n"


BROKEN = {
    "empty": (lambda: b"", "empty"),
    "blank lines only": (lambda: b"\r\n\r\n  \r\n", "empty"),
    "truncated xlsx": (lambda: to_xlsx(ROWS)[:1500], "bad_xlsx"),
    "xlsx cut in half": (lambda: (lambda d: d[: len(d) // 2])(to_xlsx(ROWS)), "bad_xlsx"),
    "10 MB of junk": (_junk, "binary"),
    "mixed encodings": (_mixed, "mixed_encoding"),
    "other columns": (
        lambda: to_csv(ROWS, header=["a", "b", *STUDENT_HEADER[2:]]),
        "missing_columns",
    ),
    "header only": (lambda: to_csv([]), None),
    "a zip that is not xlsx": (lambda: b"PK\x03\x04" + b"\x00" * 100, "bad_xlsx"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_files_get_a_clear_error_and_write_nothing(name, source):
    build, code = BROKEN[name]
    run = services.upload(None, source, build(), filename="broken")
    if code is None:  # a header with no rows is a valid, empty snapshot
        assert run.rows == 0 and run.status == RunStatus.READY
        return
    assert run.status == RunStatus.FAILED, run.errors
    assert [e["code"] for e in run.errors] == [code]
    with translation.override("en"):
        text = message(code, run.errors[0]["params"])
    assert text and "%(" not in text
    with pytest.raises(services.ImportRefused):
        services.apply_run(None, run, exclude_errors=True, confirm_leavers=True)
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_wrong_delimiter_override_is_named(source):
    source.delimiter = ","
    run = services.upload(None, source, to_csv(ROWS, delimiter=";"), filename="x.csv")
    assert run.status == RunStatus.FAILED
    assert run.errors[0]["code"] == "one_column"
    with translation.override("en"):
        assert "';'" in message("one_column", run.errors[0]["params"])


@pytest.mark.django_db
def test_wrong_encoding_override_names_the_line(source):
    source.encoding = "utf-8"
    run = services.upload(None, source, to_csv(ROWS, encoding="kz1048"), filename="x.csv")
    assert run.errors[0]["code"] == "bad_encoding"
    assert run.errors[0]["params"]["line"] == 1


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("kz1048", "kz1048")],
)
def test_encodings_are_detected_and_kazakh_letters_kept(encoding, expected):
    data = to_csv(ROWS, encoding=encoding)
    assert detect_encoding(data) == expected
    table = read_table(data)
    assert table.header == STUDENT_HEADER
    assert [cells for _n, cells in table.rows] == ROWS


def test_russian_only_cp1251_is_read():
    rows = [["1", "Иванов", "Сергей"]]
    data = to_csv(rows, header=["id", "Фамилия", "Имя"], encoding="cp1251")
    assert detect_encoding(data) == "cp1251"
    assert [c for _n, c in read_table(data).rows] == rows


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_delimiter_is_sniffed(delimiter):
    table = read_table(to_csv(ROWS, delimiter=delimiter))
    assert table.delimiter == delimiter
    assert len(table.header) == len(STUDENT_HEADER)


def test_formula_from_an_import_is_neutralised_on_export():
    text = "".join(csv_lines(["name"], [["=cmd|' /C calc'!A0"], ["+7 701"], ["@SUM(1)"]]))
    cells = [row[0] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))]
    assert cells == ["name", "'=cmd|' /C calc'!A0", "'+7 701", "'@SUM(1)"]


cell = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\ufeff"
    ),
    max_size=30,
).map(str.strip)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    rows=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=15),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    bom=st.booleans(),
)
def test_csv_round_trip(rows, delimiter, bom):
    """Whatever the cells hold (quotes, delimiters, newlines, Kazakh letters), a CSV that
    Python's writer made reads back cell for cell with the delimiter given."""
    rows = [r for r in rows if any(c for c in r)]
    if not rows:
        return
    header = ["Бір", "Екі", "Үш"]
    data = to_csv(
        rows, header=header, delimiter=delimiter, encoding="utf-8-sig" if bom else "utf-8"
    )
    table = read_table(data, delimiter=delimiter)
    assert table.header == header
    assert [c for _n, c in table.rows] == rows


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_read_or_fail_cleanly(data):
    """Random bytes never crash the reader: rows, or an ImportFileError."""
    try:
        table = read_table(data)
        for _n, _cells in table.rows:
            pass
    except ImportFileError as exc:
        assert exc.code

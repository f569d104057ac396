"""Identifier exports for access control without an API: layout, delta, safety, permissions."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tirek.cards import identifiers, services
from tirek.cards.models import IdentifierExport
from tirek.core.models import AuditEvent


def parse_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads Cyrillic and Kazakh correctly
    return list(csv.reader(io.StringIO(text[1:])))


def by_change(rows: list[list[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in rows[1:]:
        out.setdefault(row[0], set()).add(row[1])
    return out


def test_full_export_layout(personas):
    student = services.issue_card(None, personas["student"].person)
    services.issue_card(None, personas["employee"].person, draft=True)  # drafts are not active
    export, data = identifiers.export_identifiers(personas["dept_staff"], "csv")
    rows = parse_csv(data)
    assert tuple(rows[0]) == identifiers.HEADER
    person = student.person
    assert rows[1:] == [
        [
            student.number,
            student.number,
            "student",
            f"tirek-{person.pk}",
            person.last_name,
            person.first_name,
            person.patronymic,
            student.unit.code,
            student.unit.name_ru,
            student.valid_from.isoformat(),
            student.valid_until.isoformat(),
        ]
    ]
    assert (export.total, export.added, export.changed, export.removed) == (1, 1, 0, 0)
    assert export.created_by == personas["dept_staff"]
    event = AuditEvent.objects.get(action="export", object_type="cards.identifierexport")
    assert event.changes["extra"]["total"] == 1


def test_delta_across_issue_revoke_reissue(personas):
    a = services.issue_card(None, personas["student"].person)
    b = services.issue_card(None, personas["employee"].person)
    c = services.issue_card(None, personas["faculty"].person)
    first, _data = identifiers.export_identifiers(None, "csv", delta=True)
    assert (first.added, first.base) == (3, None)  # no base: everything is added
    export, data = identifiers.export_identifiers(None, "csv", delta=True)
    assert parse_csv(data) == [list(identifiers.DELTA_HEADER)] and export.base == first
    services.revoke(None, a, "other")
    b_new = services.reissue(None, b, "lost")
    services.set_chip_uid(None, c, "04A23B1C")  # a new identifier: old removed, new added
    d = services.issue_card(None, personas["unit_head"].person)
    person = personas["faculty"].person
    export, data = identifiers.export_identifiers(None, "csv", delta=True)
    changes = by_change(parse_csv(data))
    assert changes == {
        "removed": {a.number, b.number, c.number},
        "added": {b_new.number, "04A23B1C", d.number},
    }
    assert (export.added, export.changed, export.removed, export.total) == (3, 0, 3, 3)
    # A changed holder name or validity on the same identifier is "changed".
    person.last_name = "Жаңа"
    person.save()
    export, data = identifiers.export_identifiers(None, "xlsx", delta=True)
    sheet = load_workbook(io.BytesIO(data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == identifiers.DELTA_HEADER
    assert values[1:] == [
        ("changed", "04A23B1C", c.number, *values[1][3:5], "Жаңа", *values[1][6:])
    ]
    assert export.changed == 1


def test_full_export_is_a_base_too(personas):
    a = services.issue_card(None, personas["student"].person)
    identifiers.export_identifiers(None, "csv")
    services.suspend(None, a, "unpaid")
    _export, data = identifiers.export_identifiers(None, "csv", delta=True)
    assert by_change(parse_csv(data)) == {"removed": {a.number}}


def test_cells_are_formula_safe(personas):
    person = personas["student"].person
    person.last_name = '=HYPERLINK("http://evil","x")'
    person.first_name = "@SUM(1+1)"
    person.save()
    services.issue_card(None, person)
    _e, data = identifiers.export_identifiers(None, "csv")
    row = parse_csv(data)[1]
    assert row[4].startswith("'=") and row[5] == "'@SUM(1+1)"
    _e, data = identifiers.export_identifiers(None, "xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [c.value for c in sheet[2]]
    assert cells[4].startswith("'=") and cells[5].startswith("'@")
    assert all(c.data_type == "s" for c in sheet[2])  # text, never a formula


def test_bad_format_is_refused(db):
    with pytest.raises(ValueError):
        identifiers.export_identifiers(None, "pdf")


# -- page, API, command ------------------------------------------------------------------------


def test_page_for_cards_staff_only(client_for, personas):
    services.issue_card(None, personas["student"].person)
    url = reverse("cards:identifier_exports")
    staff = client_for("dept_staff")
    page = staff.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"identifier-export-form" in page.content
    response = staff.post(url, {"format": "csv", "delta": "on"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "-delta.csv" in response["Content-Disposition"]
    assert IdentifierExport.objects.get().delta is True
    assert b"identifier-exports" in staff.get(url).content
    bad = staff.post(url, {"format": "pdf"})
    assert bad.status_code == 200 and bad["Content-Type"].startswith("text/html")
    assert IdentifierExport.objects.count() == 1
    for role in ("dept_head", "unit_head", "student", "auditor"):
        assert client_for(role).get(url).status_code == 403
        assert client_for(role).post(url, {"format": "csv"}).status_code == 403
    assert Client().get(url).status_code == 302
    assert IdentifierExport.objects.count() == 1


def test_api(client_for, personas):
    services.issue_card(None, personas["student"].person)
    url = reverse("cards-identifier-exports")
    staff = client_for("dept_staff")
    response = staff.post(url, {"format": "xlsx"}, content_type="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == identifiers.XLSX_TYPE
    assert load_workbook(io.BytesIO(response.content)).active.max_row == 2
    listed = staff.get(url).json()
    assert listed[0]["format"] == "xlsx" and listed[0]["total"] == 1
    assert listed[0]["created_by"] == personas["dept_staff"].username
    bad = staff.post(url, {"format": "pdf"}, content_type="application/json")
    assert bad.status_code == 400 and "format" in bad.json()
    for role in ("dept_head", "student"):
        assert client_for(role).get(url).status_code == 403
        assert client_for(role).post(url, {}, content_type="application/json").status_code == 403
    assert Client().post(url, {}, content_type="application/json").status_code in (401, 403)
    assert IdentifierExport.objects.count() == 1


def test_command(personas, tmp_path):
    services.issue_card(None, personas["student"].person)
    out = tmp_path / "ids.xlsx"
    call_command("cards", "export-identifiers", "--format", "xlsx", "-o", str(out))
    assert load_workbook(out).active.max_row == 2
    out = tmp_path / "delta.csv"
    call_command(
        "cards",
        "export-identifiers",
        "--delta",
        "-o",
        str(out),
        "--user",
        personas["dept_staff"].username,
    )
    assert parse_csv(out.read_bytes()) == [list(identifiers.DELTA_HEADER)]
    assert IdentifierExport.objects.first().created_by == personas["dept_staff"]


def test_chip_uid_page(client_for, personas):
    card = services.issue_card(None, personas["student"].person)
    url = reverse("cards:card_chip", args=[card.pk])
    staff = client_for("dept_staff")
    assert staff.post(url, {"chip_uid": "04 a2 3b 1c"}).status_code == 302
    card.refresh_from_db()
    assert card.chip_uid == "04A23B1C"
    assert b"04A23B1C" in staff.get(reverse("cards:card_detail", args=[card.pk])).content
    staff.post(url, {"chip_uid": "xyz"})
    card.refresh_from_db()
    assert card.chip_uid == "04A23B1C"  # refused, unchanged
    for role in ("dept_head", "unit_head", "student"):
        assert client_for(role).post(url, {"chip_uid": ""}).status_code == 403
    card.refresh_from_db()
    assert card.chip_uid == "04A23B1C"

"""The import pages as department staff use them: upload, review, apply, mapping editor."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tirek.people.imports.models import ImportRun, ImportSource
from tirek.people.models import Person
from tirek.people.tests.files import STUDENT_MAPPING, student, to_csv
from tirek.testing.personas import login_as

EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def source(org):
    return ImportSource.objects.create(
        code="platonus", name="Platonus", origin="platonus", affiliation_kind="student",
        mapping=STUDENT_MAPPING,
    )  # fmt: skip


@pytest.fixture
def staff(client, personas):
    user = personas["dept_staff"]
    user.language = "en"
    user.save()
    return login_as(client, user)


@pytest.mark.django_db
def test_upload_review_exclude_and_apply(staff, source):
    rows = [student(n) for n in range(3)]
    rows[1][5] = "31.02.2004"
    upload = SimpleUploadedFile("s.csv", to_csv(rows), content_type="text/csv")
    response = staff.post(
        reverse("people:import_upload"), {"source": source.pk, "file": upload}, headers=EN
    )
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/people/imports/runs/{run.pk}/"
    page = staff.get(response["Location"], headers=EN).content.decode()
    assert "31.02.2004 is not a possible date." in page
    assert "Дата рождения" in page and ">3<" in page  # row 3, the column, the message
    staff.post(reverse("people:import_apply", args=[run.pk]), {}, headers=EN)
    assert not Person.objects.filter(platonus_id__startswith="P0000").exists()
    staff.post(reverse("people:import_apply", args=[run.pk]), {"exclude_errors": "on"}, headers=EN)
    assert Person.objects.filter(platonus_id__startswith="P0000").count() == 2
    report = b"".join(
        staff.get(reverse("people:import_run_export", args=[run.pk])).streaming_content
    )
    assert b"is not a possible date" in report


@pytest.mark.django_db
def test_mapping_editor_previews_and_saves(staff, org):
    data = to_csv([student(n) for n in range(3)], encoding="kz1048")
    form = {
        "code": "hr", "name": "HR", "origin": "hr", "affiliation_kind": "employee",
        "file_format": "auto", "encoding": "auto", "delimiter": "", "key_field": "iin",
        "mode": "snapshot", "leaver_threshold": "10", "is_active": "on",
    }  # fmt: skip
    url = reverse("people:import_source_create")
    preview = staff.post(
        url, {**form, "preview": "1", "sample": SimpleUploadedFile("s.csv", data)}, headers=EN
    ).content.decode()
    assert "Read as kz1048" in preview and "Әбілқасымова" in preview
    bad = staff.post(url, form, headers=EN)
    assert bad.status_code == 200 and "These fields need a column" in bad.content.decode()
    mapping = {f"map_{k}": v for k, v in STUDENT_MAPPING.items()}
    assert staff.post(url, {**form, **mapping}, headers=EN).status_code == 302
    assert ImportSource.objects.get(code="hr").mapping == STUDENT_MAPPING


@pytest.mark.django_db
def test_person_page_shows_history_and_events(staff, source):
    from tirek.people.imports import services

    services.apply_run(None, services.upload(None, source, to_csv([student(7)]), filename="a.csv"))
    moved = [student(7, group="ИС-24-9")]
    services.apply_run(None, services.upload(None, source, to_csv(moved), filename="b.csv"))
    person = Person.objects.get(platonus_id="P000007")
    page = staff.get(reverse("people:person_detail", args=[person.pk]), headers=EN).content.decode()
    assert "Lifecycle events" in page
    assert "group changed" in page and "ИС-24-9" in page

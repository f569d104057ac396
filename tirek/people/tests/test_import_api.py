"""The import API: upload answers with the dry run, apply, refusals."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tirek.people.imports.models import ImportSource
from tirek.people.models import Person
from tirek.people.tests.files import STUDENT_MAPPING, student, to_csv, to_xlsx
from tirek.testing.personas import login_as


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def source(org):
    return ImportSource.objects.create(
        code="platonus", name="P", origin="platonus", affiliation_kind="student",
        mapping=STUDENT_MAPPING, leaver_threshold=10,
    )  # fmt: skip


def api(user) -> APIClient:
    client = APIClient()
    login_as(client, user)
    return client


@pytest.mark.django_db
def test_upload_dry_run_then_apply(personas, source):
    client = api(personas["dept_head"])
    rows = [student(n) for n in range(4)]
    rows[3][1] = "123"
    upload = SimpleUploadedFile("s.xlsx", to_xlsx(rows))
    response = client.post(
        "/api/v1/import-runs/",
        {"source": "platonus", "file": upload},
        format="multipart",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["counts"]["new"] == 3 and body["status"] == "invalid"
    assert body["errors"][0]["row"] == 5 and body["errors"][0]["column"] == "ИИН"
    assert body["errors"][0]["message"] == "An IIN has 12 digits; this one has 3."
    url = f"/api/v1/import-runs/{body['id']}/apply/"
    refused = client.post(url, {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "errors"
    assert not Person.objects.filter(platonus_id__isnull=False).exists()
    done = client.post(url, {"exclude_errors": True}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "applied"
    assert Person.objects.filter(platonus_id__isnull=False).count() == 3


@pytest.mark.django_db
def test_leaver_guard_over_the_api(personas, source):
    client = api(personas["dept_staff"])
    for rows in ([student(n) for n in range(10)], [student(n) for n in range(5)]):
        upload = SimpleUploadedFile("s.csv", to_csv(rows))
        run = client.post(
            "/api/v1/import-runs/", {"source": "platonus", "file": upload}, format="multipart"
        ).json()
        response = client.post(f"/api/v1/import-runs/{run['id']}/apply/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "confirm"
    response = client.post(
        f"/api/v1/import-runs/{run['id']}/apply/", {"confirm_leavers": True}, format="json"
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_others_are_refused(personas, source):
    upload = SimpleUploadedFile("s.csv", to_csv([student(1)]))
    for role in ("auditor", "unit_head", "student"):
        response = api(personas[role]).post(
            "/api/v1/import-runs/", {"source": "platonus", "file": upload}, format="multipart"
        )
        assert response.status_code == 403
    assert not source.runs.exists()

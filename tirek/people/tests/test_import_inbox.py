"""The inbox folder picked up by the periodic job."""

from __future__ import annotations

import os

import pytest

from tirek.core import jobs
from tirek.people.imports.models import ImportRun, ImportSource
from tirek.people.models import Person
from tirek.people.tests.files import STUDENT_MAPPING, student, to_csv


@pytest.fixture
def inbox(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_INBOX = tmp_path / "inbox"
    return tmp_path / "inbox"


@pytest.mark.django_db
def test_inbox_applies_clean_files_and_holds_bad_ones(org, inbox):
    ImportSource.objects.create(
        code="platonus", name="P", origin="platonus", affiliation_kind="student",
        mapping=STUDENT_MAPPING, inbox_enabled=True,
    )  # fmt: skip
    folder = inbox / "platonus"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_bytes(to_csv([student(n) for n in range(3)]))
    (folder / "b.csv").write_bytes(b"")
    fresh = folder / "c.csv"
    fresh.write_bytes(to_csv([student(9)]))
    for path in (folder / "a.csv", folder / "b.csv"):
        os.utime(path, (0, 0))  # old enough: finished writing
    output = jobs.registry()["people.import_inbox"].call()
    assert "a.csv: run" in output and "applied" in output and "b.csv" in output
    assert Person.objects.filter(platonus_id__isnull=False).count() == 3
    assert sorted(p.name.split("-", 1)[1] for p in (folder / "done").iterdir()) == ["a.csv"]
    assert sorted(p.name.split("-", 1)[1] for p in (folder / "held").iterdir()) == ["b.csv"]
    assert fresh.exists()  # still being written: left for the next round
    assert set(ImportRun.objects.values_list("trigger", flat=True)) == {"inbox"}

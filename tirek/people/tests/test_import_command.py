"""`tirek import SOURCE FILE [--dry-run]`."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tirek.people.imports.models import ImportRun, ImportSource
from tirek.people.models import Person
from tirek.people.tests.files import STUDENT_MAPPING, student, to_csv


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def source(org):
    return ImportSource.objects.create(
        code="platonus", name="P", origin="platonus", affiliation_kind="student",
        mapping=STUDENT_MAPPING,
    )  # fmt: skip


@pytest.mark.django_db
def test_dry_run_then_apply(source, tmp_path, capsys):
    path = tmp_path / "s.csv"
    path.write_bytes(to_csv([student(n) for n in range(3)]))
    call_command("import", "platonus", str(path), "--dry-run")
    assert "new=3" in capsys.readouterr().out
    assert not Person.objects.exists()
    call_command("import", "platonus", str(path))
    assert Person.objects.count() == 3
    assert ImportRun.objects.filter(trigger="command").count() == 2


@pytest.mark.django_db
def test_errors_and_unknown_source_fail(source, tmp_path, capsys):
    bad = [student(1)]
    bad[0][6] = "NOPE"
    path = tmp_path / "bad.csv"
    path.write_bytes(to_csv(bad))
    with pytest.raises(CommandError, match="not applied") as exc:
        call_command("import", "platonus", str(path))
    assert exc.value.returncode == 1
    assert "row 2 [Подразделение]" in capsys.readouterr().err
    with pytest.raises(CommandError, match="no import source"):
        call_command("import", "hr", str(path))
    assert not Person.objects.exists()

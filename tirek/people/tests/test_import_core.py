"""Imports end to end at the service level: dry run, apply, events, leaver guard."""

from __future__ import annotations

import pytest

from tirek.core.models import AuditEvent
from tirek.people import events
from tirek.people.events import LifecycleEvent
from tirek.people.imports import services
from tirek.people.imports.models import ImportSource, RunStatus
from tirek.people.models import Affiliation, Person
from tirek.people.tests.files import STUDENT_MAPPING, student, to_csv, to_xlsx


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def source(org) -> ImportSource:
    return ImportSource.objects.create(
        code="platonus",
        name="Platonus students",
        origin="platonus",
        affiliation_kind="student",
        key_field="iin",
        mode="snapshot",
        mapping=STUDENT_MAPPING,
    )


def load(source, rows, **kw):
    run = services.upload(None, source, to_csv(rows), filename="students.csv")
    return services.apply_run(None, run, **kw)


@pytest.mark.django_db
def test_dry_run_counts_and_writes_nothing_but_the_run(source):
    run = services.upload(None, source, to_csv([student(n) for n in range(5)]), filename="s.csv")
    assert run.status == RunStatus.READY
    assert run.counts["new"] == 5 and run.counts["errors"] == 0
    assert run.encoding == "utf-8" and run.delimiter == ";"
    assert not Person.objects.exists() and not LifecycleEvent.objects.exists()
    assert len(run.sha256) == 64 and run.file.name.startswith("imports/platonus/")


@pytest.mark.django_db
def test_apply_creates_people_with_joiner_events_after_commit(
    source, django_capture_on_commit_callbacks
):
    seen = []
    events.subscribe(seen.extend)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = load(source, [student(n) for n in range(5)])
    finally:
        events.unsubscribe(seen.extend)
    assert run.status == RunStatus.APPLIED
    assert Person.objects.count() == 5
    assert Affiliation.objects.filter(source="platonus", status="active").count() == 5
    kazakh = Person.objects.get(platonus_id="P000001")
    assert (kazakh.last_name, kazakh.first_name) == ("Әбілқасымова", "Айгерім")
    assert [e.kind for e in seen] == ["joiner"] * 5
    assert AuditEvent.objects.filter(object_type="people.importrun").count() == 2


@pytest.mark.django_db
def test_second_snapshot_finds_movers_leavers_and_unchanged(source):
    load(source, [student(n) for n in range(20)])
    rows = [student(n) for n in range(20)]
    rows[0] = student(0, group="ИС-24-2")  # mover: group
    rows[1] = student(1, unit="INST-A")  # mover: unit -> new affiliation
    rows[2] = student(2, status="отчислен")  # leaver: expelled
    rows[3][3] = "Дәурен-Жан"  # a plain correction of the first name
    del rows[19]  # absent from a full snapshot
    run = services.upload(None, source, to_csv(rows), filename="s2.csv")
    counts = run.counts
    assert (counts["new"], counts["changed"], counts["unchanged"], counts["leaving"]) == (
        0,
        3,
        15,
        2,
    )
    first = next(c for c in run.result["changed"] if c["row"] == 2)
    assert first["changes"] == [["group", "ИС-24-1", "ИС-24-2"]]
    services.apply_run(None, run)
    by_reason = {e.reasons: e for e in LifecycleEvent.objects.filter(run=run)}
    assert set(by_reason) == {"group", "unit", "expelled", "absent"}
    assert by_reason["expelled"].before == {"status": "active"}
    assert by_reason["expelled"].after == {"status": "expelled"}
    moved = Person.objects.get(platonus_id="P000001")
    assert [a.status for a in moved.affiliations.order_by("id")] == ["ended", "active"]
    assert Person.objects.get(platonus_id="P000003").first_name == "Дәурен-Жан"
    gone = Person.objects.get(platonus_id="P000019").affiliations.get()
    assert gone.status == "ended" and gone.end_date is not None


@pytest.mark.django_db
def test_leaver_guard_asks_for_confirmation(source):
    load(source, [student(n) for n in range(20)])
    run = services.upload(None, source, to_csv([student(n) for n in range(10)]), filename="cut.csv")
    assert run.status == RunStatus.NEEDS_CONFIRMATION
    assert run.counts["leaving"] == 10
    with pytest.raises(services.ImportRefused) as refused:
        services.apply_run(None, run)
    assert refused.value.code == "confirm"
    assert Affiliation.objects.current().count() == 20
    services.apply_run(None, run, confirm_leavers=True)
    assert Affiliation.objects.current().count() == 10
    assert LifecycleEvent.objects.filter(kind="leaver").count() == 10


@pytest.mark.django_db
def test_row_errors_block_until_excluded(source):
    rows = [student(n) for n in range(4)]
    rows[1][1] = rows[1][1][:-1] + str((int(rows[1][1][-1]) + 1) % 10)  # bad check digit
    rows[2][6] = "NO-SUCH-UNIT"
    rows.append(student(0))  # the same key twice
    run = services.upload(None, source, to_csv(rows), filename="bad.csv")
    assert run.status == RunStatus.INVALID
    codes = {(e["row"], e["column"], e["code"]) for e in run.errors}
    assert codes == {
        (3, "ИИН", "iin_check_digit"),
        (4, "Подразделение", "unknown_unit"),
        (6, "ИИН", "duplicate_key"),
    }
    with pytest.raises(services.ImportRefused):
        services.apply_run(None, run)
    assert not Person.objects.exists()
    services.apply_run(None, run, exclude_errors=True)
    assert Person.objects.count() == 2
    run.refresh_from_db()
    assert run.excluded_rows == [3, 4, 6]


@pytest.mark.django_db
def test_xlsx_with_formula_text_is_stored_as_text(source):
    rows = [student(n) for n in range(2)]
    rows[0][2] = "=cmd|' /C calc'!A0"
    run = services.upload(None, source, to_xlsx(rows), filename="s.xlsx")
    assert run.status == RunStatus.READY, run.errors
    services.apply_run(None, run)
    assert Person.objects.get(platonus_id="P000000").last_name == "=cmd|' /C calc'!A0"


@pytest.mark.django_db
def test_a_failing_subscriber_does_not_stop_others(source, django_capture_on_commit_callbacks):
    seen = []

    def broken(batch):
        raise RuntimeError("boom")

    events.subscribe(broken)
    events.subscribe(seen.extend)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            load(source, [student(1)])
    finally:
        events.unsubscribe(broken)
        events.unsubscribe(seen.extend)
    assert len(seen) == 1

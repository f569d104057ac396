"""`tirek audit verify` finds edited and deleted audit rows and names them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tirek.core.audit import record, verify
from tirek.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def _events(n: int = 5) -> list[AuditEvent]:
    return [
        record(AuditAction.CREATE, object_type="test.thing", object_id=str(i), object_repr=f"#{i}")
        for i in range(n)
    ]


def _verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def _sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_intact_chain_is_ok_with_the_count():
    _events(5)
    code, out = _verify()
    assert code == 0
    assert "OK: 5 events" in out
    assert list(verify()) == []


def test_empty_log_is_ok():
    code, out = _verify()
    assert code == 0
    assert "OK: 0 events" in out


def test_row_edited_by_sql_is_named():
    events = _events(5)
    target = events[2]
    _sql("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", "forged", target.pk)
    code, out = _verify()
    assert code == 1
    assert f"event {target.pk}: its content was edited" in out
    problems = list(verify())
    assert [(p.event_id, p.kind) for p in problems] == [(target.pk, "edited")]


def test_changes_edited_by_sql_are_detected():
    events = _events(3)
    _sql(
        "UPDATE core_auditevent SET action = %s WHERE id = %s",
        AuditAction.LOGIN,
        events[0].pk,
    )
    assert [(p.event_id, p.kind) for p in verify()] == [(events[0].pk, "edited")]


def test_row_edited_with_hash_recomputed_is_named():
    from tirek.core.audit import compute_hash

    events = _events(4)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.object_repr = "forged"
    new_hash = compute_hash(forged)
    _sql(
        "UPDATE core_auditevent SET object_repr = %s, hash = %s WHERE id = %s",
        "forged",
        new_hash,
        forged.pk,
    )
    problems = list(verify())
    assert [(p.event_id, p.kind) for p in problems] == [(events[1].pk, "rewritten")]


def test_middle_row_deleted_is_detected_and_located():
    events = _events(5)
    _sql("DELETE FROM core_auditevent WHERE id = %s", events[2].pk)
    code, out = _verify()
    assert code == 1
    assert f"events deleted between event {events[1].pk} and event {events[3].pk}" in out
    assert [p.kind for p in verify()] == ["deleted_between"]


def test_first_row_deleted_is_detected():
    events = _events(3)
    _sql("DELETE FROM core_auditevent WHERE id = %s", events[0].pk)
    assert [(p.event_id, p.kind) for p in verify()] == [(events[1].pk, "deleted_before")]


def test_newest_row_deleted_is_detected():
    events = _events(4)
    _sql("DELETE FROM core_auditevent WHERE id = %s", events[-1].pk)
    code, out = _verify()
    assert code == 1
    assert "the newest events were deleted" in out
    assert str(events[-1].pk) in out
    assert [(p.event_id, p.kind) for p in verify()] == [(events[-1].pk, "deleted_newest")]


def test_all_rows_deleted_is_detected():
    _events(2)
    _sql("DELETE FROM core_auditevent")
    assert [p.kind for p in verify()] == ["deleted_newest"]


def test_orm_refuses_to_edit_or_delete():
    event = _events(1)[0]
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()


def test_tail_prints_newest_events_last():
    _events(3)
    out = StringIO()
    call_command("audit", "tail", "-n", "2", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 2
    assert lines[-1].split()[0] == str(AuditEvent.objects.order_by("-id").first().pk)


def test_tail_rejects_a_bad_count():
    with pytest.raises(CommandError):
        call_command("audit", "tail", "-n", "0")

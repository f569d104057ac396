"""Import actions: upload a file (which dry-runs it) and apply a run, each one transaction.

Audit: a run writes ONE audit event when it is uploaded (file name, SHA-256, counts) and ONE
when it is applied (counts, excluded rows, leaver guard decision, and a SHA-256 digest over
every lifecycle event and field change it made), plus one audit event per mover and leaver
event naming the person (joiners are counted in the run's event: a first load of 20,000
students would otherwise append 20,000 chained rows). Plain field corrections (a phone number, a
year of study) are not events; their before/after values are kept on the run (`result`) and
covered by the digest in the chained audit row, so they cannot be altered unnoticed. Writing
one chained audit row per changed row of a 20,000-row file would lock the chain head 20,000
times and make the log unreadable; see docs/imports.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from tirek.core.audit import record
from tirek.core.models import AuditAction
from tirek.people import events
from tirek.people.events import EventKind, LifecycleEvent
from tirek.people.imports.errors import ImportFileError
from tirek.people.imports.models import ImportRun, ImportSource, RunStatus, RunTrigger
from tirek.people.imports.plan import Change, Plan, _json, build_plan, source_id_field
from tirek.people.models import Affiliation, AffiliationStatus, Person


class ImportRefused(Exception):
    """Apply was refused; `code` says why (errors, confirm, status)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _status_for(plan: Plan, source: ImportSource) -> str:
    if plan.file_failed:
        return RunStatus.FAILED
    if plan.errors:
        return RunStatus.INVALID
    if needs_confirmation(plan, source):
        return RunStatus.NEEDS_CONFIRMATION
    return RunStatus.READY


def needs_confirmation(plan: Plan, source: ImportSource) -> bool:
    return bool(plan.leaving) and plan.leaving_share > float(source.leaver_threshold)


@transaction.atomic
def upload(
    actor, source: ImportSource, data: bytes, *, filename: str, trigger: str = RunTrigger.UI
) -> ImportRun:
    """Keep the file with a new run and dry-run it. Nothing but the run is written."""
    digest = hashlib.sha256(data).hexdigest()
    plan = build_plan(source, data)
    run = ImportRun(
        source=source,
        original_name=(filename or "file")[:255],
        size=len(data),
        sha256=digest,
        trigger=trigger,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _store_plan(run, plan, source)
    run.file.save(filename or "file", ContentFile(data), save=False)
    run.save()
    record(
        AuditAction.CREATE,
        run,
        actor=actor,
        extra={
            "source": source.code,
            "file": run.original_name,
            "sha256": digest,
            "size": len(data),
            "trigger": trigger,
            "counts": run.counts,
        },
    )
    return run


def _store_plan(run: ImportRun, plan: Plan, source: ImportSource) -> None:
    run.status = _status_for(plan, source)
    run.encoding, run.delimiter = plan.encoding, plan.delimiter
    run.rows = plan.rows
    run.counts = plan.counts()
    run.errors = plan.errors[:5000]
    run.result = plan.summary()


def read_file(run: ImportRun) -> bytes:
    with run.file.open("rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != run.sha256:
        raise ImportRefused("tampered", "the stored file no longer matches its checksum")
    return data


def recheck(actor, run: ImportRun) -> ImportRun:
    """Dry-run a stored file again (after units or the mapping were fixed)."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().select_related("source").get(pk=run.pk)
        if run.status == RunStatus.APPLIED:
            raise ImportRefused("applied", "the run is already applied")
        plan = build_plan(run.source, read_file(run))
        _store_plan(run, plan, run.source)
        run.save()
    return run


def apply_run(
    actor,
    run: ImportRun,
    *,
    exclude_errors: bool = False,
    confirm_leavers: bool = False,
) -> ImportRun:
    """Apply a run: every change in one transaction, then events to subscribers on commit.

    Refused (ImportRefused, nothing written) when the file has errors and the operator did not
    exclude the bad rows, or when more people would leave than the source's threshold allows
    and the operator did not confirm.
    """
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().select_related("source").get(pk=run.pk)
        source = run.source
        if run.status == RunStatus.APPLIED:
            raise ImportRefused("applied", "the run is already applied")
        data = read_file(run)
        plan = build_plan(source, data)
        if plan.file_failed:
            first = plan.errors[0]
            raise ImportRefused("file", str(ImportFileError(first["code"], **first["params"])))
        if plan.errors and not exclude_errors:
            raise ImportRefused("errors", f"{len(plan.error_rows)} rows have errors")
        if needs_confirmation(plan, source) and not confirm_leavers:
            raise ImportRefused(
                "confirm",
                f"{len(plan.leaving)} of {plan.current} people would leave "
                f"({plan.leaving_share:.1f}% > {source.leaver_threshold}%)",
            )
        made = _write(actor, run, plan)
        _store_plan(run, plan, source)
        run.status = RunStatus.APPLIED
        run.excluded_rows = sorted(plan.error_rows)
        run.applied_at = timezone.now()
        run.applied_by = actor if getattr(actor, "is_authenticated", False) else None
        run.save()
        digest = hashlib.sha256(
            json.dumps(
                [[e.person_id, e.kind, e.reasons, e.before, e.after] for e in made] + [run.result],
                sort_keys=True,
                ensure_ascii=False,
                default=str,
            ).encode()
        ).hexdigest()
        record(
            AuditAction.UPDATE,
            run,
            actor=actor,
            after={"status": run.status},
            extra={
                "applied": True,
                "counts": run.counts,
                "excluded_rows": run.excluded_rows[:200],
                "leavers_confirmed": bool(confirm_leavers and needs_confirmation(plan, source)),
                "events": len(made),
                "digest": digest,
            },
        )
        # Joiners are in the run's event above (count and digest) and in LifecycleEvent rows;
        # movers and leavers, which take access away, get a chained row each.
        for event in made:
            if event.kind == EventKind.JOINER:
                continue
            record(
                AuditAction.UPDATE if event.kind != EventKind.JOINER else AuditAction.CREATE,
                object_type="people.person",
                object_id=str(event.person_id),
                object_repr=f"{event.get_kind_display()} ({event.reasons})",
                actor=actor,
                extra={"event": event.kind, "reasons": event.reasons, "run": run.pk},
            )
        events.emit(made)
    return run


def _aff_snapshot(values: dict) -> dict:
    return {k: _json(v) for k, v in values.items()}


def _write(actor, run: ImportRun, plan: Plan) -> list[LifecycleEvent]:
    source = run.source
    now = timezone.now()
    today = timezone.localdate()
    sid_field = source_id_field(source)
    made: list[LifecycleEvent] = []
    actor_user = actor if getattr(actor, "is_authenticated", False) else None

    def person_values(change: Change) -> dict:
        values = {f: change.values[f] for f in change.values if f in _PERSON_COLUMNS}
        if sid_field and change.values.get("source_id"):
            values[sid_field] = change.values["source_id"]
        return values

    def affiliation_for(person_id: int, change: Change) -> Affiliation:
        v = change.values
        return Affiliation(
            person_id=person_id,
            kind=source.affiliation_kind,
            unit_id=v["unit"],
            position_id=v.get("position"),
            rate=v.get("rate"),
            programme=v.get("programme", ""),
            group=v.get("group", ""),
            study_year=v.get("study_year"),
            status=v.get("status", AffiliationStatus.ACTIVE),
            start_date=v.get("start_date") or today,
            source=source.origin,
            external_id=v.get("source_id", ""),
        )

    # 1. People: new ones in bulk, existing ones updated in bulk.
    fresh = [c for c in plan.new if c.person_id is None]
    created = Person.objects.bulk_create(
        [Person(**person_values(c)) for c in fresh], batch_size=500
    )
    for change, person in zip(fresh, created, strict=True):
        change.person_id = person.pk
    to_update = [c for c in (*plan.new, *plan.changed) if c.person_changes and c.person_id]
    if to_update:
        fields = sorted({f for c in to_update for f in c.person_changes} | {"updated_at"})
        objs = Person.objects.in_bulk([c.person_id for c in to_update])
        for c in to_update:
            p = objs[c.person_id]
            for f, (_old, new) in c.person_changes.items():
                setattr(p, f, new)
            p.updated_at = now
        _update_rows(Person, list(objs.values()), fields)

    # 2. Affiliations: joiners and movers to a new unit or position get a new one.
    new_affs: list[tuple[Change, Affiliation]] = []
    ended_ids: dict[int, tuple[str, object]] = {}
    in_place: list[Change] = []
    for c in plan.new:
        new_affs.append((c, affiliation_for(c.person_id, c)))
    for c in plan.changed:
        if c.new_affiliation:
            ended_ids[c.affiliation_id] = (AffiliationStatus.ENDED, today)
            new_affs.append((c, affiliation_for(c.person_id, c)))
        elif c.affiliation_changes:
            in_place.append(c)
    for c in plan.leaving:
        in_place.append(c)
    Affiliation.objects.bulk_create([a for _c, a in new_affs], batch_size=500)
    if ended_ids:
        affs = list(Affiliation.objects.filter(pk__in=list(ended_ids)))
        for a in affs:
            a.status, a.end_date = ended_ids[a.pk]
            a.updated_at = now
        _update_rows(Affiliation, affs, ["status", "end_date", "updated_at"])
    if in_place:
        by_id = Affiliation.objects.in_bulk([c.affiliation_id for c in in_place])
        fields: set[str] = {"updated_at"}
        for c in in_place:
            a = by_id[c.affiliation_id]
            for f, (_old, new) in c.affiliation_changes.items():
                attr = {"unit": "unit_id", "position": "position_id"}.get(f, f)
                setattr(a, attr, new)
                fields.add(attr)
            if a.status not in (AffiliationStatus.ACTIVE, AffiliationStatus.ACADEMIC_LEAVE):
                a.end_date = c.values.get("end_date") or today
                fields.add("end_date")
            a.updated_at = now
        _update_rows(Affiliation, list(by_id.values()), sorted(fields))

    # 3. Events, with before and after.
    new_by_change = {id(c): a for c, a in new_affs}
    for c in (*plan.new, *plan.changed, *plan.leaving):
        if not c.event:
            continue
        aff = new_by_change.get(id(c))
        if c.event == EventKind.JOINER:
            before, after = {}, _aff_snapshot(_aff_values(aff))
        else:
            before = _aff_snapshot({f: old for f, (old, _n) in c.affiliation_changes.items()})
            after = _aff_snapshot({f: new for f, (_o, new) in c.affiliation_changes.items()})
        made.append(
            LifecycleEvent(
                person_id=c.person_id,
                affiliation_id=aff.pk if aff else c.affiliation_id,
                kind=c.event,
                reasons=",".join(str(r) for r in c.reasons),
                before=before,
                after=after,
                run=run,
                actor=actor_user,
            )
        )
    LifecycleEvent.objects.bulk_create(made, batch_size=500)
    return made


def _update_rows(model, objs: list, fields: list[str]) -> None:
    """UPDATE ... WHERE id = %s for each object, as one executemany per field set.

    Django's bulk_update builds a CASE WHEN per field over the whole batch, which is slow for
    thousands of rows; every row here is already validated and locked by the transaction.
    """
    from django.db import connection

    if not objs:
        return
    meta = model._meta
    concrete = [meta.get_field(f) for f in fields]
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(f.column)} = %s" for f in concrete)
    sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(getattr(o, f.attname), connection) for f in concrete] + [o.pk]
        for o in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


_PERSON_COLUMNS = {
    "iin",
    "last_name",
    "first_name",
    "patronymic",
    "last_name_latin",
    "first_name_latin",
    "birth_date",
    "sex",
    "email",
    "personal_email",
    "phone",
}


def _aff_values(aff: Affiliation) -> dict:
    return {
        "kind": aff.kind,
        "unit": aff.unit_id,
        "position": aff.position_id,
        "group": aff.group,
        "status": aff.status,
        "start_date": aff.start_date,
    }


def people_events(person: Person) -> Iterable[LifecycleEvent]:
    return person.lifecycle_events.select_related("run__source").order_by("-created_at", "-id")


@transaction.atomic
def save_source(actor, source: ImportSource, **fields) -> ImportSource:
    """Create or change an import source (its settings and column mapping)."""
    from tirek.core.audit import snapshot

    before = snapshot(source) if source.pk else None
    for name, value in fields.items():
        if name == "code" and source.pk:
            continue
        setattr(source, name, value)
    source.full_clean()
    source.save()
    after = snapshot(source)
    for key in ("created_at", "updated_at"):
        after.pop(key, None)
        if before:
            before.pop(key, None)
    action = AuditAction.UPDATE if before is not None else AuditAction.CREATE
    record(action, source, before=before, after=after, actor=actor)
    return source

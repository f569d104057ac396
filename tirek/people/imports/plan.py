"""The dry run: read a file, check every row, and compare it with what Tirek holds.

The same `build_plan` runs for the dry run and again inside the apply transaction, so what is
applied is what the data says at that moment, not a stale picture.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tirek.people.events import EventKind, EventReason
from tirek.people.imports.errors import ImportFileError
from tirek.people.imports.mapping import AFFILIATION_FIELDS, PERSON_FIELDS, required_targets
from tirek.people.imports.models import ImportSource, KeyField
from tirek.people.imports.readers import read_table
from tirek.people.imports.validate import Lookups, validate_row
from tirek.people.models import (
    CURRENT_STATUSES,
    Affiliation,
    AffiliationSource,
    AffiliationStatus,
    OrgUnit,
    Person,
    Position,
)

DETAIL_LIMIT = 1000  # rows of each kind kept for the review page; counts are always complete
LEAVING_STATUSES = {
    AffiliationStatus.GRADUATED: EventReason.GRADUATED,
    AffiliationStatus.EXPELLED: EventReason.EXPELLED,
    AffiliationStatus.DISMISSED: EventReason.DISMISSED,
    AffiliationStatus.ENDED: EventReason.ABSENT,
}
_PERSON_LOAD = ("id", "iin", "hr_id", "platonus_id", *PERSON_FIELDS)
_AFF_LOAD = (
    "id",
    "person_id",
    "unit_id",
    "position_id",
    "rate",
    "programme",
    "group",
    "study_year",
    "status",
    "start_date",
    "external_id",
)


def source_id_field(source: ImportSource) -> str | None:
    return {AffiliationSource.HR: "hr_id", AffiliationSource.PLATONUS: "platonus_id"}.get(
        source.origin
    )


@dataclass
class Change:
    """One person in the file matched against Tirek."""

    line: int
    key: str
    name: str
    values: dict[str, Any]
    person_id: int | None = None
    affiliation_id: int | None = None
    person_changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    affiliation_changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    event: str = ""  # EventKind or ""
    reasons: list[str] = field(default_factory=list)
    new_affiliation: bool = False  # unit or position changed: end the old one, start a new one


@dataclass
class Plan:
    rows: int = 0
    encoding: str = ""
    delimiter: str = ""
    errors: list[dict] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    new: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    leaving: list[Change] = field(default_factory=list)
    current: int = 0  # people the source had before this file

    @property
    def file_failed(self) -> bool:
        return any(not e["row"] for e in self.errors)

    @property
    def leaving_share(self) -> float:
        return 100.0 * len(self.leaving) / self.current if self.current else 0.0

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "leaving": len(self.leaving),
            "errors": len(self.errors),
            "error_rows": len(self.error_rows),
            "current": self.current,
        }

    def summary(self) -> dict:
        """The dry run's detail for the review page (capped lists, JSON-ready)."""

        def brief(c: Change) -> dict:
            return {
                "row": c.line,
                "key": c.key,
                "name": c.name,
                "person": c.person_id,
                "event": c.event,
                "reasons": c.reasons,
                "changes": [
                    [f, _json(old), _json(new)]
                    for f, (old, new) in {**c.person_changes, **c.affiliation_changes}.items()
                ],
            }

        return {
            "new": [brief(c) for c in self.new[:DETAIL_LIMIT]],
            "changed": [brief(c) for c in self.changed[:DETAIL_LIMIT]],
            "leaving": [brief(c) for c in self.leaving[:DETAIL_LIMIT]],
            "leaving_share": round(self.leaving_share, 2),
        }


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def lookups() -> Lookups:
    return Lookups(
        units={c.casefold(): i for i, c in OrgUnit.objects.values_list("id", "code")},
        positions={c.casefold(): i for i, c in Position.objects.values_list("id", "code")},
    )


def _full_name(values: dict[str, Any]) -> str:
    return " ".join(values.get(f, "") for f in ("last_name", "first_name", "patronymic")).strip()


def build_plan(source: ImportSource, data: bytes, *, excluded_rows: set[int] = frozenset()) -> Plan:
    plan = Plan()
    try:
        table = read_table(
            data,
            file_format=source.file_format,
            encoding=source.encoding,
            delimiter=source.delimiter,
        )
        plan.encoding, plan.delimiter = table.encoding, table.delimiter
        _check_rows(source, table, plan, excluded_rows)
    except ImportFileError as exc:
        plan.errors = [exc.as_dict()]
        plan.error_rows = set()
        plan.new, plan.changed, plan.leaving, plan.unchanged = [], [], [], 0
    return plan


def _check_rows(source, table, plan: Plan, excluded_rows: set[int]) -> None:
    mapping = {t: str(c).strip() for t, c in source.mapping.items() if str(c or "").strip()}
    seen_headers: dict[str, int] = {}
    for index, name in enumerate(table.header):
        if name and name in seen_headers and name in mapping.values():
            raise ImportFileError("duplicate_header", column=name)
        seen_headers.setdefault(name, index)
    folded = {h.casefold(): i for h, i in seen_headers.items()}
    missing = [c for c in mapping.values() if c.casefold() not in folded]
    if missing:
        raise ImportFileError("missing_columns", columns=", ".join(missing))
    columns = {t: folded[c.casefold()] for t, c in mapping.items()}
    required = tuple(t for t in required_targets(source.key_field) if t in columns)
    look = lookups()

    people = {p["id"]: p for p in Person.objects.values(*_PERSON_LOAD)}
    by_iin = {p["iin"]: pid for pid, p in people.items() if p["iin"]}
    sid_field = source_id_field(source)
    by_sid = {p[sid_field]: pid for pid, p in people.items() if sid_field and p[sid_field]}
    current: dict[int, dict] = {}
    for aff in (
        Affiliation.objects.filter(
            source=source.origin, kind=source.affiliation_kind, status__in=CURRENT_STATUSES
        )
        .order_by("start_date", "id")
        .values(*_AFF_LOAD)
    ):
        current[aff["person_id"]] = aff  # the latest wins
    plan.current = len(current)

    key_target = "iin" if source.key_field == KeyField.IIN else "source_id"
    first_row_of_key: dict[str, int] = {}
    seen_people: set[int] = set()
    protected_keys: set[str] = set()  # keys on rows left out: never "absent"
    for line, cells in table.rows:
        plan.rows += 1
        row = validate_row(
            line,
            cells,
            columns,
            mapping,
            look,
            required=required,
            from_spreadsheet=table.format == "xlsx",
        )
        values = row.values
        key = values.get(key_target) or (
            cells[columns[key_target]].strip() if columns[key_target] < len(cells) else ""
        )
        if key:
            if key in first_row_of_key:
                row.error(
                    mapping[key_target], "duplicate_key", value=key, first=first_row_of_key[key]
                )
            else:
                first_row_of_key[key] = line
        person_id = None
        if not row.errors:
            person_id = _match(values, source, by_iin, by_sid, people, row, mapping)
        if row.errors or line in excluded_rows:
            if row.errors:
                plan.errors.extend(row.errors)
                plan.error_rows.add(line)
            if key:
                protected_keys.add(key)
            continue
        if person_id is not None:
            seen_people.add(person_id)
        change = _compare(line, key, values, source, person_id, people, current)
        if change is None:
            plan.unchanged += 1
        elif change.event == EventKind.JOINER:
            plan.new.append(change)
        elif change.event == EventKind.LEAVER and change.reasons != [EventReason.ACADEMIC_LEAVE]:
            plan.leaving.append(change)
        else:
            plan.changed.append(change)

    if source.mode == "snapshot":
        protected_people = {by_iin.get(k) for k in protected_keys} | {
            by_sid.get(k) for k in protected_keys
        }
        for person_id, aff in current.items():
            if person_id in seen_people or person_id in protected_people:
                continue
            person = people[person_id]
            plan.leaving.append(
                Change(
                    line=0,
                    key=(person["iin"] if key_target == "iin" else person.get(sid_field)) or "",
                    name=_full_name(person),
                    values={},
                    person_id=person_id,
                    affiliation_id=aff["id"],
                    affiliation_changes={"status": (aff["status"], AffiliationStatus.ENDED.value)},
                    event=EventKind.LEAVER,
                    reasons=[EventReason.ABSENT],
                )
            )


def _match(values, source, by_iin, by_sid, people, row, mapping) -> int | None:
    """The existing person this row describes (None: a new person), or a row error."""
    iin, sid = values.get("iin"), values.get("source_id")
    sid_field = source_id_field(source)
    pid_by_iin = by_iin.get(iin) if iin else None
    pid_by_sid = by_sid.get(sid) if sid and sid_field else None
    if source.key_field == KeyField.IIN:
        person_id = pid_by_iin
        if sid and pid_by_sid and pid_by_sid != person_id:
            row.error(
                mapping.get("source_id", ""),
                "source_id_taken",
                person=_full_name(people[pid_by_sid]),
            )
    else:
        person_id = pid_by_sid or pid_by_iin
        if iin and pid_by_iin and pid_by_iin != person_id:
            row.error(mapping.get("iin", ""), "iin_taken", person=_full_name(people[pid_by_iin]))
    return person_id


def _compare(line, key, values, source, person_id, people, current) -> Change | None:
    name = _full_name(values)
    status = values.get("status", AffiliationStatus.ACTIVE)
    change = Change(line=line, key=key, name=name, values=values, person_id=person_id)
    aff = current.get(person_id) if person_id else None
    if person_id is not None:
        person = people[person_id]
        sid_field = source_id_field(source)
        for f in (*PERSON_FIELDS, "iin"):
            if f in values and values[f] != person[f]:
                change.person_changes[f] = (person[f], values[f])
        if sid_field and values.get("source_id") and values["source_id"] != person[sid_field]:
            change.person_changes[sid_field] = (person[sid_field], values["source_id"])
    if aff is None:
        if status not in CURRENT_STATUSES:
            return None  # a leaver Tirek never knew as current: nothing to do
        change.event = EventKind.JOINER
        change.reasons = [EventReason.NEW]
        return change
    change.affiliation_id = aff["id"]
    for f in AFFILIATION_FIELDS:
        target_field = {"unit": "unit_id", "position": "position_id"}.get(f, f)
        if f in values and values[f] != aff[target_field]:
            change.affiliation_changes[f] = (aff[target_field], values[f])
    if "source_id" in values and values["source_id"] != aff["external_id"]:
        change.affiliation_changes["external_id"] = (aff["external_id"], values["source_id"])
    if not change.person_changes and not change.affiliation_changes:
        return None
    touched = change.affiliation_changes
    if "status" in touched and status not in CURRENT_STATUSES:
        change.event = EventKind.LEAVER
        change.reasons = [LEAVING_STATUSES[status]]
    elif "status" in touched and status == AffiliationStatus.ACADEMIC_LEAVE:
        change.event = EventKind.LEAVER
        change.reasons = [EventReason.ACADEMIC_LEAVE]
    else:
        reasons = [
            r
            for f, r in (
                ("unit", EventReason.UNIT),
                ("position", EventReason.POSITION),
                ("group", EventReason.GROUP),
                ("status", EventReason.RETURNED),
            )
            if f in touched
        ]
        if reasons:
            change.event = EventKind.MOVER
            change.reasons = reasons
        change.new_affiliation = "unit" in touched or "position" in touched
    return change


def today() -> dt.date:
    return timezone.localdate()

"""Bulk writes for the provisioning hot path (a 10,000-student intake and its operations).

Django's bulk_create and bulk_update build model instances and SQL per field and per row
(bulk_update a CASE WHEN over the whole batch for every field); at this size that costs several
times the database's own work. These helpers take plain values, prepare each the way Django
does (`get_db_prep_save`) and send one `executemany`. Like bulk_create they skip signals and
model validation: callers pass rows they built and checked themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connections, router
from django.utils import timezone


def insert_rows(model, fields: list[str], rows: Iterable[Sequence]) -> None:
    """INSERT one row per `rows` item (values in the order of `fields`; foreign keys as ids).
    Fields not named get their default, computed once (auto_now fields: now). Ids are not read
    back: use bulk_create when you need them."""
    conn = connections[router.db_for_write(model)]
    meta = model._meta
    given = [meta.get_field(f) for f in fields]
    names = {f.name for f in given}
    rest = [f for f in meta.concrete_fields if not f.primary_key and f.name not in names]
    now = timezone.now()
    constants = [
        f.get_db_prep_save(
            now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default(),
            conn,
        )
        for f in rest
    ]  # fmt: skip
    params = [
        [f.get_db_prep_save(v, conn) for f, v in zip(given, row, strict=True)] + constants
        for row in rows
    ]
    if not params:
        return
    qn = conn.ops.quote_name
    columns = ", ".join(qn(f.column) for f in [*given, *rest])
    marks = ", ".join(["%s"] * (len(given) + len(rest)))
    sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    with conn.cursor() as cursor:
        cursor.executemany(sql, params)


def update_rows(model, fields: list[str], rows: list[list]) -> None:
    """UPDATE ... SET fields WHERE id = %s for each row ([*values, id]) as one executemany."""
    if not rows:
        return
    conn = connections[router.db_for_write(model)]
    meta = model._meta
    concrete = [meta.get_field(f) for f in fields]
    qn = conn.ops.quote_name
    sets = ", ".join(f"{qn(f.column)} = %s" for f in concrete)
    sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(v, conn) for f, v in zip(concrete, row[:-1], strict=True)] + [row[-1]]
        for row in rows
    ]
    with conn.cursor() as cursor:
        cursor.executemany(sql, params)

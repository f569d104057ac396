"""Periodic jobs: a registry in code, a schedule in the database, and atomic claiming.

An app declares a job next to its tasks:

    @periodic_job("people.import_hr", every=timedelta(hours=1))
    def import_hr() -> str: ...

`tirek worker` syncs the registry into `PeriodicJob` rows at start and then, on every tick,
claims the due ones. Claiming is one conditional UPDATE (healthchecks' sendalerts does the
same): `next_run_at` moves from the value the worker read to the next slot only if nobody has
moved it meanwhile, so of two workers (or two machines) reading the same due row exactly one
changes a row and owns the run. The winner writes a `JobRun` and enqueues the
`run_periodic_job` task through the configured tasks backend; whichever worker picks that task
up runs the job and records the outcome on the `JobRun`. A unique (job, slot) constraint on
`JobRun` is the database's own guard behind the claim.

A worker killed in the middle of a run (SIGKILL, a power cut) cannot record its outcome. Each
scheduler pass therefore marks runs still "running" past their job's timeout (by default
`settings.JOB_RUN_TIMEOUT`) as failed, naming the worker that held them, so the record tells the
truth; the job's next slot is claimed as usual whatever its last run did.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks.base import Task

from tirek.core.models import JobRun, JobRunStatus, PeriodicJob

logger = logging.getLogger("tirek.jobs")

MIN_INTERVAL = timedelta(seconds=1)
OUTPUT_LIMIT = 10_000


@dataclass(frozen=True)
class JobSpec:
    name: str
    every: timedelta
    target: Task | Callable[[], Any]
    queue_name: str
    timeout: timedelta | None = None

    def call(self) -> Any:
        if isinstance(self.target, Task):
            return self.target.call()
        return self.target()


_registry: dict[str, JobSpec] = {}
_discovered = False


def periodic_job(
    name: str,
    *,
    every: timedelta,
    queue_name: str | None = None,
    timeout: timedelta | None = None,
) -> Callable[[Any], Any]:
    """Register a function or a django-tasks task to run every `every`.

    The job runs with no arguments. A task keeps its own queue unless `queue_name` is given;
    a plain function runs on the "default" queue. A run still going after `timeout` (default
    `settings.JOB_RUN_TIMEOUT`) is taken for abandoned by a dead worker and marked failed.
    """
    if not name or len(name) > PeriodicJob._meta.get_field("name").max_length:
        raise ValueError(f"Periodic job name {name!r} must be 1-100 characters.")
    if every < MIN_INTERVAL:
        raise ValueError(f"Periodic job {name!r}: interval must be at least {MIN_INTERVAL}.")

    def decorate(target: Any) -> Any:
        queue = queue_name or (target.queue_name if isinstance(target, Task) else "default")
        spec = JobSpec(name=name, every=every, target=target, queue_name=queue, timeout=timeout)
        existing = _registry.get(name)
        if existing is not None and _path(existing.target) != _path(target):
            raise ValueError(f"Periodic job {name!r} is already registered by another function.")
        _registry[name] = spec
        return target

    return decorate


def _path(target: Any) -> str:
    func = target.func if isinstance(target, Task) else target
    return f"{func.__module__}.{func.__qualname__}"


def registry() -> dict[str, JobSpec]:
    """Every registered job, after importing each installed app's `tasks` module."""
    global _discovered
    if not _discovered:
        autodiscover_modules("tasks")
        _discovered = True
    return dict(_registry)


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def sync(now: datetime | None = None) -> list[PeriodicJob]:
    """Create a row for each registered job and apply interval changes from the code.

    Safe when several workers start at once: creation ignores rows another worker made first.
    A new job is due at once; an operator's `enabled` choice is never overwritten.
    """
    now = now or timezone.now()
    specs = registry()
    PeriodicJob.objects.bulk_create(
        [PeriodicJob(name=s.name, interval=s.every, next_run_at=now) for s in specs.values()],
        ignore_conflicts=True,
    )
    rows = list(PeriodicJob.objects.filter(name__in=specs))
    for row in rows:
        every = specs[row.name].every
        if row.interval != every:
            # A shorter interval must not leave the job waiting for the old, longer one.
            next_run_at = min(row.next_run_at, now + every)
            PeriodicJob.objects.filter(pk=row.pk).update(interval=every, next_run_at=next_run_at)
            logger.info("Periodic job %s: interval now %s", row.name, every)
            row.interval, row.next_run_at = every, next_run_at
    return rows


def next_slot(previous: datetime, interval: timedelta, now: datetime) -> datetime:
    """The first slot after `now` on the job's cadence; missed slots are skipped, not replayed."""
    if previous + interval > now:
        return previous + interval
    missed = (now - previous) // interval
    return previous + (missed + 1) * interval


def claim(job: PeriodicJob, now: datetime | None = None, claimer: str = "") -> JobRun | None:
    """Claim one due run of `job` as read by the caller. None if someone else got it first.

    The caller's `job.next_run_at` is the value it saw; the UPDATE succeeds only if the row
    still holds it. On PostgreSQL a concurrent UPDATE waits for the winner's row lock and then
    re-checks the condition; on SQLite writers are serialised. Either way one row changes once.
    """
    now = now or timezone.now()
    spec = registry().get(job.name)
    if spec is None or job.next_run_at > now:
        return None
    slot = job.next_run_at
    with transaction.atomic():
        won = PeriodicJob.objects.filter(pk=job.pk, next_run_at=slot, enabled=True).update(
            next_run_at=next_slot(slot, job.interval, now)
        )
        if won != 1:
            return None
        try:
            with transaction.atomic():
                run = JobRun.objects.create(
                    job_name=job.name, scheduled_for=slot, claimed_by=claimer[:64]
                )
        except IntegrityError:
            # Only reachable if the schedule was rewound by hand to an already-run slot.
            logger.warning("Periodic job %s: slot %s already has a run", job.name, slot)
            return None
        _enqueue(run, spec)
    logger.info("Claimed periodic job %s (run %s, slot %s)", job.name, run.pk, slot)
    return run


def _enqueue(run: JobRun, spec: JobSpec) -> None:
    from django_tasks_db import DatabaseBackend

    from tirek.core.tasks import run_periodic_job

    task = run_periodic_job.using(queue_name=spec.queue_name)
    if isinstance(task.get_backend(), DatabaseBackend):
        # Same database: the queued task commits (or not) with the claim and the run record.
        result = task.enqueue(run.pk)
        JobRun.objects.filter(pk=run.pk).update(task_result_id=str(result.id))
        return

    def send() -> None:
        # Another store (Redis): enqueue once the run row is visible to the worker that
        # picks the task up. A refused enqueue is recorded, never silently dropped.
        try:
            result = task.enqueue(run.pk)
        except Exception as exc:
            logger.exception("Periodic job %s: could not enqueue run %s", spec.name, run.pk)
            _finish(run.pk, spec.name, JobRunStatus.FAILED, error=f"Could not enqueue: {exc}")
            return
        JobRun.objects.filter(pk=run.pk).update(task_result_id=str(result.id))

    transaction.on_commit(send)


def timeout_of(name: str) -> timedelta:
    spec = registry().get(name)
    return (spec.timeout if spec else None) or settings.JOB_RUN_TIMEOUT


def reap_abandoned(now: datetime | None = None) -> list[int]:
    """Mark failed the runs left "running" past their job's timeout; returns their ids.

    Their worker died before it could record an outcome. The update is conditional on the run
    still running, so a slow run that finishes meanwhile keeps its own outcome.
    """
    now = now or timezone.now()
    reaped: list[int] = []
    stale = (
        JobRun.objects.filter(status=JobRunStatus.RUNNING, started_at__isnull=False)
        .order_by("pk")
        .values_list("pk", "job_name", "started_at", "worker_id")
    )
    for pk, name, started_at, worker in stale:
        timeout = timeout_of(name)
        if started_at > now - timeout:
            continue
        error = (
            f"Abandoned: no outcome {int(timeout.total_seconds())} s after it started; "
            f"worker {worker or '?'} stopped without recording one (killed?)."
        )
        with transaction.atomic():
            if JobRun.objects.filter(pk=pk, status=JobRunStatus.RUNNING).update(
                status=JobRunStatus.FAILED, finished_at=now, error=error
            ):
                PeriodicJob.objects.filter(name=name, last_status=JobRunStatus.RUNNING).update(
                    last_finished_at=now, last_status=JobRunStatus.FAILED
                )
                reaped.append(pk)
                logger.warning("Periodic job %s: run %s abandoned by %s", name, pk, worker)
    return reaped


def claim_due(now: datetime | None = None, claimer: str = "") -> list[JobRun]:
    """Claim every due, enabled, registered job. Returns the runs this caller won.

    Runs abandoned by a dead worker are marked failed first. A database too busy to answer
    (SQLite under contention) ends the pass early; the jobs stay due and the next pass claims
    them.
    """
    now = now or timezone.now()
    names = list(registry())
    won: list[JobRun] = []
    try:
        reap_abandoned(now)
        due = list(PeriodicJob.objects.filter(enabled=True, next_run_at__lte=now, name__in=names))
        for job in due:
            run = claim(job, now=now, claimer=claimer)
            if run is not None:
                won.append(run)
    except OperationalError as exc:
        if "locked" not in str(exc):
            raise
        logger.info("Scheduler: database busy (%s); retrying on the next pass", exc)
    return won


def execute_run(run_id: int, worker_id: str = "") -> str:
    """Run the job behind a claimed `JobRun` and record the outcome (the task's body).

    A redelivered task finds the run no longer queued and does nothing, so a run happens once.
    Returns the run's status; re-raises the job's exception after recording it.
    """
    worker_id = (worker_id or worker_label())[:64]
    now = timezone.now()
    started = JobRun.objects.filter(pk=run_id, status=JobRunStatus.QUEUED).update(
        status=JobRunStatus.RUNNING, started_at=now, worker_id=worker_id
    )
    run = JobRun.objects.filter(pk=run_id).first()
    if run is None or started != 1:
        logger.warning("Job run %s is missing or not queued; not running it again", run_id)
        return run.status if run else "missing"
    PeriodicJob.objects.filter(name=run.job_name).update(
        last_started_at=now, last_status=JobRunStatus.RUNNING
    )
    spec = registry().get(run.job_name)
    if spec is None:
        error = f"No periodic job named {run.job_name!r} is registered in this version."
        _finish(run_id, run.job_name, JobRunStatus.FAILED, error=error)
        return JobRunStatus.FAILED
    logger.info("Running periodic job %s (run %s)", run.job_name, run_id)
    try:
        value = spec.call()
    except Exception:
        _finish(run_id, run.job_name, JobRunStatus.FAILED, error=traceback.format_exc())
        logger.exception("Periodic job %s failed (run %s)", run.job_name, run_id)
        raise
    output = "" if value is None else str(value)
    _finish(run_id, run.job_name, JobRunStatus.OK, output=output)
    logger.info("Periodic job %s finished (run %s): %s", run.job_name, run_id, output)
    return JobRunStatus.OK


def _finish(run_id: int, name: str, status: str, output: str = "", error: str = "") -> None:
    now = timezone.now()
    with transaction.atomic():
        JobRun.objects.filter(pk=run_id).update(
            status=status,
            finished_at=now,
            output=output[:OUTPUT_LIMIT],
            error=error[-OUTPUT_LIMIT:],
        )
        PeriodicJob.objects.filter(name=name).update(last_finished_at=now, last_status=status)

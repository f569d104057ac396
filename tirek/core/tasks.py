"""Background tasks of the core app and its built-in periodic housekeeping jobs.

Each housekeeping job removes data that has outlived its use and says how much it removed;
the count lands in the job run's output.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskContext, task

from tirek.core import jobs

TASK_RESULT_RETENTION = timedelta(days=30)
JOB_RUN_RETENTION = timedelta(days=90)
AXES_LOG_RETENTION = timedelta(days=90)


@task(takes_context=True)
def run_periodic_job(context: TaskContext, run_id: int) -> str:
    """Run one claimed periodic job (enqueued by the scheduler in `tirek worker`)."""
    worker_ids = getattr(context.task_result, "worker_ids", None) or []
    return jobs.execute_run(run_id, worker_id=worker_ids[-1] if worker_ids else "")


@jobs.periodic_job("core.clear_expired_sessions", every=timedelta(days=1))
def clear_expired_sessions() -> str:
    """Delete expired login sessions (Django keeps them until someone clears them)."""
    from django.contrib.sessions.models import Session

    engine = import_module(settings.SESSION_ENGINE)
    before = Session.objects.count()
    engine.SessionStore.clear_expired()
    return f"{before - Session.objects.count()} expired sessions deleted"


@jobs.periodic_job("core.prune_task_results", every=timedelta(days=1))
def prune_task_results() -> str:
    """Delete finished task results older than 30 days from the database task queue."""
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    aliases = [b.alias for b in task_backends.all() if isinstance(b, DatabaseBackend)]
    if not aliases:
        return "no database task backend configured; nothing to prune"
    cutoff = timezone.now() - TASK_RESULT_RETENTION
    deleted, _ = (
        DBTaskResult.objects.finished()
        .filter(backend_name__in=aliases, finished_at__lte=cutoff)
        .delete()
    )
    return f"{deleted} task results finished before {cutoff:%Y-%m-%d} deleted"


@jobs.periodic_job("core.prune_job_runs", every=timedelta(days=1))
def prune_job_runs() -> str:
    """Delete finished periodic job runs older than 90 days."""
    from tirek.core.models import JobRun, JobRunStatus

    cutoff = timezone.now() - JOB_RUN_RETENTION
    deleted, _ = JobRun.objects.filter(
        status__in=[JobRunStatus.OK, JobRunStatus.FAILED], finished_at__lte=cutoff
    ).delete()
    return f"{deleted} job runs finished before {cutoff:%Y-%m-%d} deleted"


@jobs.periodic_job("core.clean_axes_records", every=timedelta(days=1))
def clean_axes_records() -> str:
    """Delete lapsed lockout counters and login records older than 90 days (django-axes).

    Failed attempts older than the cool-off no longer count towards a lockout; axes only
    sweeps them when someone logs in. Login success/failure is in the audit log already.
    """
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt, AccessLog

    cool_off = get_cool_off()
    attempts = 0
    if cool_off is not None:
        attempts, _ = AccessAttempt.objects.filter(
            attempt_time__lte=timezone.now() - cool_off
        ).delete()
    logs, _ = AccessLog.objects.filter(
        attempt_time__lte=timezone.now() - AXES_LOG_RETENTION
    ).delete()
    return f"{attempts} lapsed access attempts and {logs} old access log entries deleted"

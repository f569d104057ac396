"""Periodic jobs: the registry, the schedule, claiming, and the record each run leaves.

These run on whatever database the suite runs on (SQLite normally, PostgreSQL when CI sets
DATABASE_URL), so the claiming rules are proven on both.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks import task

from tirek.core import jobs
from tirek.core.models import JobRun, JobRunStatus, PeriodicJob

CALLS: list[str] = []


def tick() -> str:
    CALLS.append("tick")
    return "ticked"


def broken() -> None:
    raise RuntimeError("the target system said no")


@task(queue_name="provisioning")
def provisioning_sweep() -> str:
    return "swept"


@pytest.fixture
def registered(monkeypatch):
    """A private copy of the registry holding only the jobs a test registers."""
    jobs.registry()  # import the apps' tasks modules first, so they do not land in the copy
    monkeypatch.setattr(jobs, "_registry", {})
    CALLS.clear()

    def register(name: str, target, every=timedelta(hours=1), **kwargs):
        jobs.periodic_job(name, every=every, **kwargs)(target)
        return jobs._registry[name]

    return register


def due_job(name: str, *, every=timedelta(hours=1), late=timedelta(seconds=5)) -> PeriodicJob:
    return PeriodicJob.objects.create(name=name, interval=every, next_run_at=timezone.now() - late)


# --- registry ------------------------------------------------------------------------------


def test_builtin_jobs_are_registered():
    names = set(jobs.registry())
    assert {
        "core.clear_expired_sessions",
        "core.prune_task_results",
        "core.prune_job_runs",
        "core.clean_axes_records",
    } <= names
    # Every app's periodic jobs (imported with the app's tasks module).
    assert {
        "access.run_operations",
        "access.wipe_expired_credentials",
        "access.expire_grants",
        "access.send_credential_mail",
    } <= names
    assert jobs.registry()["access.expire_grants"].every == timedelta(days=1)
    core = [spec for name, spec in jobs.registry().items() if name.startswith("core.")]
    assert all(spec.every == timedelta(days=1) for spec in core)


def test_a_task_keeps_its_queue_and_a_function_runs_on_default(registered):
    assert registered("t.sweep", provisioning_sweep).queue_name == "provisioning"
    assert registered("t.tick", tick).queue_name == "default"
    assert registered("t.tick2", tick, queue_name="notifications").queue_name == "notifications"
    assert jobs._registry["t.sweep"].call() == "swept"


@pytest.mark.parametrize("every", [timedelta(0), timedelta(seconds=-5)])
def test_an_interval_below_one_second_is_refused(every):
    with pytest.raises(ValueError, match="interval"):
        jobs.periodic_job("t.bad", every=every)


@pytest.mark.parametrize("name", ["", "x" * 101])
def test_a_bad_name_is_refused(name):
    with pytest.raises(ValueError, match="name"):
        jobs.periodic_job(name, every=timedelta(minutes=1))


def test_one_name_cannot_belong_to_two_functions(registered):
    registered("t.tick", tick)
    registered("t.tick", tick)  # re-import of the same function is fine
    with pytest.raises(ValueError, match="already registered"):
        registered("t.tick", broken)


def test_next_slot_keeps_the_cadence_and_skips_missed_slots():
    start = timezone.now()
    hour = timedelta(hours=1)
    assert jobs.next_slot(start, hour, start) == start + hour
    # Down for 5.5 hours: one run now, the next on the old cadence, not five catch-up runs.
    assert jobs.next_slot(start, hour, start + timedelta(hours=5, minutes=30)) == start + 6 * hour
    assert jobs.next_slot(start, hour, start + 2 * hour) == start + 3 * hour


# --- sync ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sync_creates_due_rows_once_and_follows_interval_changes(registered):
    registered("t.tick", tick, every=timedelta(days=1))
    now = timezone.now()
    jobs.sync(now)
    jobs.sync(now + timedelta(seconds=1))
    row = PeriodicJob.objects.get(name="t.tick")
    assert PeriodicJob.objects.filter(name="t.tick").count() == 1
    assert row.next_run_at == now and row.interval == timedelta(days=1)

    row.next_run_at = now + timedelta(days=1)
    row.enabled = False  # an operator's choice
    row.save()
    registered("t.tick", tick, every=timedelta(minutes=5))
    jobs.sync(now)
    row.refresh_from_db()
    assert row.interval == timedelta(minutes=5)
    assert row.next_run_at == now + timedelta(minutes=5)  # not left waiting a day
    assert row.enabled is False


# --- claiming ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_workers_reading_the_same_due_row_get_one_run(registered):
    registered("t.tick", tick)
    due_job("t.tick")
    seen_by_a = PeriodicJob.objects.get(name="t.tick")
    seen_by_b = PeriodicJob.objects.get(name="t.tick")

    first = jobs.claim(seen_by_a, claimer="a")
    second = jobs.claim(seen_by_b, claimer="b")

    assert first is not None and second is None
    assert list(JobRun.objects.values_list("claimed_by", flat=True)) == ["a"]
    row = PeriodicJob.objects.get(name="t.tick")
    assert row.next_run_at == seen_by_a.next_run_at + timedelta(hours=1)
    assert row.next_run_at > timezone.now()


@pytest.mark.django_db
def test_claiming_enqueues_one_task_per_run_on_the_jobs_queue(registered):
    from django_tasks_db.models import DBTaskResult

    registered("t.sweep", provisioning_sweep)
    due_job("t.sweep")
    (run,) = jobs.claim_due(claimer="w1")
    assert jobs.claim_due(claimer="w2") == []
    queued = DBTaskResult.objects.get()
    assert queued.queue_name == "provisioning"
    assert queued.task_path == "tirek.core.tasks.run_periodic_job"
    assert queued.args_kwargs["args"] == [run.pk]
    run.refresh_from_db()
    assert run.status == JobRunStatus.QUEUED and run.task_result_id == str(queued.id)


@pytest.mark.django_db
def test_jobs_not_due_disabled_or_unregistered_are_not_claimed(registered):
    registered("t.later", tick)
    registered("t.off", tick)
    PeriodicJob.objects.create(
        name="t.later", interval=timedelta(hours=1), next_run_at=timezone.now() + timedelta(1)
    )
    PeriodicJob.objects.create(
        name="t.off", interval=timedelta(hours=1), next_run_at=timezone.now(), enabled=False
    )
    due_job("t.removed_from_code")
    assert jobs.claim_due(claimer="w") == []
    assert not JobRun.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_claims_from_threads_yield_exactly_one_run(registered):
    """Eight threads, each with its own database connection, race for one due job.

    Each thread makes several passes, as a worker's scheduler does: a pass that finds the
    database busy (SQLite) claims nothing and the next pass tries again.
    """
    registered("t.tick", tick)
    due_job("t.tick")
    barrier = threading.Barrier(8)
    won: list[str] = []
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(20):
                won.extend(name for _run in jobs.claim_due(claimer=name))
                time.sleep(0.005)
        except BaseException as exc:  # reported below, with the thread's name
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert len(won) == 1
    assert JobRun.objects.filter(job_name="t.tick").count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_run_of_one_slot(registered):
    from django.db import IntegrityError, transaction

    slot = timezone.now()
    JobRun.objects.create(job_name="t.tick", scheduled_for=slot)
    with pytest.raises(IntegrityError), transaction.atomic():
        JobRun.objects.create(job_name="t.tick", scheduled_for=slot)


# --- running -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_records_its_output_and_the_job_its_last_status(registered):
    registered("t.tick", tick)
    due_job("t.tick")
    (run,) = jobs.claim_due(claimer="w")
    assert jobs.execute_run(run.pk, worker_id="w-7") == JobRunStatus.OK
    run.refresh_from_db()
    assert run.status == JobRunStatus.OK and run.output == "ticked" and run.error == ""
    assert run.worker_id == "w-7" and run.started_at <= run.finished_at
    job = PeriodicJob.objects.get(name="t.tick")
    assert job.last_status == JobRunStatus.OK and job.last_finished_at == run.finished_at
    assert CALLS == ["tick"]


@pytest.mark.django_db
def test_a_run_is_never_executed_twice(registered):
    registered("t.tick", tick)
    due_job("t.tick")
    (run,) = jobs.claim_due(claimer="w")
    jobs.execute_run(run.pk)
    assert jobs.execute_run(run.pk) == JobRunStatus.OK  # a redelivered task
    assert CALLS == ["tick"]


@pytest.mark.django_db
def test_a_failing_job_is_recorded_as_failed_with_its_traceback(registered):
    registered("t.broken", broken)
    due_job("t.broken")
    (run,) = jobs.claim_due(claimer="w")
    with pytest.raises(RuntimeError):
        jobs.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == JobRunStatus.FAILED
    assert "the target system said no" in run.error and "Traceback" in run.error
    assert PeriodicJob.objects.get(name="t.broken").last_status == JobRunStatus.FAILED


@pytest.mark.django_db
def test_a_run_of_a_job_removed_from_the_code_fails_clearly(registered):
    run = JobRun.objects.create(job_name="t.gone", scheduled_for=timezone.now())
    assert jobs.execute_run(run.pk) == JobRunStatus.FAILED
    run.refresh_from_db()
    assert "No periodic job named 't.gone'" in run.error


def _started_by_a_dead_worker(job: str, ago: timedelta) -> JobRun:
    """A run whose worker was SIGKILLed after starting it: running, never finished."""
    due_job(job)
    (run,) = jobs.claim_due(claimer="w")
    JobRun.objects.filter(pk=run.pk).update(
        status=JobRunStatus.RUNNING, started_at=timezone.now() - ago, worker_id="host:4242-dead"
    )
    PeriodicJob.objects.filter(name=job).update(last_status=JobRunStatus.RUNNING)
    return run


@pytest.mark.django_db
def test_a_run_abandoned_by_a_killed_worker_is_marked_failed_and_the_job_runs_again(
    registered, settings
):
    settings.JOB_RUN_TIMEOUT = timedelta(minutes=10)
    registered("t.tick", tick, every=timedelta(seconds=30))
    run = _started_by_a_dead_worker("t.tick", timedelta(minutes=11))
    # The next slot is claimed, and the same pass tells the truth about the lost run.
    PeriodicJob.objects.filter(name="t.tick").update(next_run_at=timezone.now())
    (again,) = jobs.claim_due(claimer="w2")
    run.refresh_from_db()
    assert run.status == JobRunStatus.FAILED and run.finished_at
    assert "Abandoned" in run.error and "host:4242-dead" in run.error
    assert PeriodicJob.objects.get(name="t.tick").last_status == JobRunStatus.FAILED
    assert jobs.execute_run(again.pk) == JobRunStatus.OK
    assert CALLS == ["tick"]


@pytest.mark.django_db
def test_a_run_within_its_timeout_is_left_running(registered, settings):
    settings.JOB_RUN_TIMEOUT = timedelta(minutes=10)
    registered("t.tick", tick)
    registered("t.long", tick, timeout=timedelta(hours=3))
    short = _started_by_a_dead_worker("t.tick", timedelta(minutes=9))
    long = _started_by_a_dead_worker("t.long", timedelta(hours=2))
    assert jobs.reap_abandoned() == []
    assert set(JobRun.objects.values_list("status", flat=True)) == {JobRunStatus.RUNNING}
    # Its own timeout, not the default, decides for a job that declares one.
    later = timezone.now() + timedelta(hours=1, minutes=1)
    assert jobs.reap_abandoned(later) == [short.pk, long.pk]


@pytest.mark.django_db
def test_a_slow_run_that_finishes_keeps_its_outcome(registered, settings):
    settings.JOB_RUN_TIMEOUT = timedelta(minutes=10)
    registered("t.tick", tick)
    run = _started_by_a_dead_worker("t.tick", timedelta(minutes=11))
    JobRun.objects.filter(pk=run.pk).update(status=JobRunStatus.OK, output="late but fine")
    assert jobs.reap_abandoned() == []
    run.refresh_from_db()
    assert run.status == JobRunStatus.OK

"""`tirek worker --once` in-process with the database backend: periodic jobs and queued tasks."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task

from tirek.core import jobs
from tirek.core.models import JobRun, JobRunStatus, PeriodicJob

DB_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "provisioning", "notifications"],
    }
}
CALLS: list[str] = []


@task()
def shout(word: str) -> str:
    return word.upper()


@task(queue_name="provisioning")
def provision(login: str) -> str:
    return f"provisioned {login}"


@task()
def explode() -> None:
    raise ValueError("bad row 7")


def nightly() -> str:
    CALLS.append("nightly")
    return "nightly done"


@pytest.fixture(autouse=True)
def db_backend(monkeypatch):
    jobs.registry()
    monkeypatch.setattr(jobs, "_registry", {})
    jobs.periodic_job("t.nightly", every=timedelta(days=1))(nightly)
    CALLS.clear()
    with override_settings(TASKS=DB_TASKS):
        yield


def worker(*args: str) -> None:
    call_command("worker", "--once", "--worker-id", "test-worker", *args)


@pytest.mark.django_db
def test_once_runs_a_due_periodic_job_and_a_queued_task():
    queued = shout.enqueue("salem")
    worker()

    queued.refresh()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert queued.return_value == "SALEM"
    assert queued.worker_ids == ["test-worker"]

    run = JobRun.objects.get(job_name="t.nightly")
    assert run.status == JobRunStatus.OK and run.output == "nightly done"
    assert run.claimed_by == "test-worker" and run.worker_id == "test-worker"
    assert CALLS == ["nightly"]
    job = PeriodicJob.objects.get(name="t.nightly")
    assert job.last_status == JobRunStatus.OK
    assert job.next_run_at > timezone.now() + timedelta(hours=23)


@pytest.mark.django_db
def test_a_second_pass_does_not_run_the_job_again():
    worker()
    worker()
    assert JobRun.objects.filter(job_name="t.nightly").count() == 1
    assert CALLS == ["nightly"]


@pytest.mark.django_db
def test_no_scheduler_runs_tasks_but_claims_no_jobs():
    queued = shout.enqueue("ok")
    worker("--no-scheduler")
    queued.refresh()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert not JobRun.objects.exists()
    assert CALLS == []


@pytest.mark.django_db
def test_queues_option_limits_the_work_to_those_queues():
    mine = provision.enqueue("a.nurlanov")
    other = shout.enqueue("later")
    worker("--queues", "provisioning", "--no-scheduler")
    mine.refresh()
    other.refresh()
    assert mine.status == TaskResultStatus.SUCCESSFUL
    assert mine.return_value == "provisioned a.nurlanov"
    assert other.status == TaskResultStatus.READY


@pytest.mark.django_db
def test_a_failing_task_is_recorded_and_the_worker_goes_on():
    bad = explode.enqueue()
    good = shout.enqueue("next")
    worker("--no-scheduler")
    bad.refresh()
    good.refresh()
    assert bad.status == TaskResultStatus.FAILED
    assert "bad row 7" in bad.errors[0].traceback
    assert good.status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db
def test_a_failing_periodic_job_leaves_a_failed_run():
    def failing() -> None:
        raise ConnectionError("LDAP server unreachable")

    jobs._registry.clear()
    jobs.periodic_job("t.failing", every=timedelta(hours=1))(failing)
    worker()
    run = JobRun.objects.get(job_name="t.failing")
    assert run.status == JobRunStatus.FAILED
    assert "LDAP server unreachable" in run.error


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["--queues", "nope"], "Unknown queue"),
        (["--tick", "0"], "--tick"),
        (["--interval", "-1"], "--interval"),
    ],
)
def test_bad_options_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        worker(*args)

"""The same tasks and periodic jobs on Redis + RQ, switched by configuration only.

Runs `tirek` processes with TASKS_BACKEND=rq against the Redis on 127.0.0.1:6379, database
15, which the test empties before and after (nothing else there is touched). Skipped, with
the reason, when Redis does not answer; under CI=true that skip fails the run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django_tasks import task

from tirek.core import jobs

TIREK = str(Path(sys.executable).with_name("tirek"))
REDIS_URL = os.environ.get("TIREK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = pytest.mark.integration


@task(queue_name="notifications")
def greet(name: str) -> str:
    return f"Salem, {name}!"


@task()
def fail_loudly() -> None:
    raise PermissionError("directory refused the bind")


@pytest.fixture
def redis_db():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL}: {exc}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def rq_env(tmp_path) -> dict:
    environment = dict(os.environ)
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'tirek.sqlite3'}",
        TASKS_BACKEND="rq",
        REDIS_URL=REDIS_URL,
        TIREK_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="tirek.settings",
    )
    return environment


@pytest.fixture
def env(rq_env, redis_db) -> dict:
    tirek(rq_env, "migrate", "-v0")
    return rq_env


def tirek(env: dict, *args: str) -> str:
    done = subprocess.run(
        [TIREK, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"tirek {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def shell_json(env: dict, code: str) -> object:
    out = tirek(env, "shell", "--no-imports", "-c", f"import json\n{code}")
    return json.loads(out.strip().splitlines()[-1])


MODULE = "tirek.core.tests.test_worker_rq"


def test_tasks_and_periodic_jobs_run_on_rq_workers(env, redis_db):
    ids = shell_json(
        env,
        f"from {MODULE} import greet, fail_loudly\n"
        "from django_tasks import task_backends\n"
        "assert type(task_backends['default']).__name__ == 'RQBackend'\n"
        "print(json.dumps([greet.enqueue('Aigerim').id, fail_loudly.enqueue().id]))",
    )
    assert redis_db.llen("rq:queue:notifications") == 1  # stored in Redis, not the database

    log = tirek(env, "worker", "--burst", "--worker-id", "rq-test")
    assert "RQ worker" in log

    results = shell_json(
        env,
        f"from {MODULE} import greet, fail_loudly\n"
        f"ok = greet.get_result({ids[0]!r})\n"
        f"bad = fail_loudly.get_result({ids[1]!r})\n"
        "from tirek.core.models import JobRun\n"
        "runs = list(JobRun.objects.values_list('job_name', 'status', 'worker_id'))\n"
        "print(json.dumps({'ok': [ok.status, ok.return_value, ok.worker_ids],\n"
        "  'bad': [bad.status, bad.errors[0].traceback if bad.errors else ''],\n"
        "  'runs': runs}))",
    )
    status, value, worker_ids = results["ok"]
    assert (status, value) == ("SUCCESSFUL", "Salem, Aigerim!")
    assert worker_ids  # the RQ worker's name is on the result
    assert results["bad"][0] == "FAILED"
    assert "directory refused the bind" in results["bad"][1]

    runs = results["runs"]
    # Every periodic job of every installed app ran, once.
    assert sorted(name for name, _, _ in runs) == sorted(jobs.registry())
    assert all(status == "ok" and worker for _, status, worker in runs), runs

    # A second burst runs no job again that is not due yet (jobs every few seconds may be).
    tirek(env, "worker", "--burst")
    again = shell_json(
        env,
        "from collections import Counter\nfrom tirek.core.models import JobRun\n"
        "print(json.dumps(Counter(JobRun.objects.values_list('job_name', flat=True))))",
    )
    slow_jobs = [
        name for name, spec in jobs.registry().items() if spec.every.total_seconds() >= 3600
    ]
    assert slow_jobs
    assert {name: again[name] for name in slow_jobs} == dict.fromkeys(slow_jobs, 1)


def test_unknown_queue_is_refused_on_rq_too(rq_env):
    done = subprocess.run(
        [TIREK, "worker", "--burst", "--queues", "default,mail"],
        env=rq_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "Unknown queue(s) mail" in done.stderr

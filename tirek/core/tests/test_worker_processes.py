"""Real `tirek worker` processes against a real database file or server.

Several workers started together (as on several machines) share one schedule: each due
periodic job runs exactly once. Checked on a SQLite file (the default install) and on
PostgreSQL (integration: a throwaway database on 127.0.0.1:5432). A worker told to stop
finishes the task in hand first.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django_tasks import task

from tirek.core import jobs

TIREK = str(Path(sys.executable).with_name("tirek"))
PG_SERVER = os.environ.get("TIREK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@task()
def slow(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


def tirek(env: dict, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [TIREK, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"tirek {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def shell_json(env: dict, code: str) -> object:
    out = tirek(env, "shell", "--no-imports", "-c", f"import json\n{code}")
    return json.loads(out.strip().splitlines()[-1])


def environment(tmp_path: Path, database_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        TASKS_BACKEND="db",
        TIREK_VAR_DIR=str(tmp_path),
        LOG_LEVEL="INFO",
        DJANGO_SETTINGS_MODULE="tirek.settings",
    )
    return env


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    """One migrated SQLite file per module; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("migrated")
    path = folder / "tirek.sqlite3"
    tirek(environment(folder, f"sqlite:///{path}"), "migrate", "-v0")
    return path


@pytest.fixture
def sqlite_url(tmp_path, migrated_sqlite):
    shutil.copyfile(migrated_sqlite, tmp_path / "tirek.sqlite3")
    return f"sqlite:///{tmp_path / 'tirek.sqlite3'}"


@pytest.fixture
def postgres_url():
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_SERVER, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL does not answer at {PG_SERVER}: {exc}")
    name = f"tirek_jobs_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def run_workers_together(env: dict, count: int) -> None:
    procs = [
        subprocess.Popen(
            [TIREK, "worker", "--once", "--worker-id", f"w{i}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(count)
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out


def runs_per_job(env: dict) -> dict:
    return shell_json(
        env,
        "from tirek.core.models import JobRun\n"
        "runs = {}\n"
        "for name, status, worker in JobRun.objects.values_list("
        "'job_name', 'status', 'worker_id'):\n"
        "    runs.setdefault(name, []).append([status, worker])\n"
        "print(json.dumps(runs))",
    )


def assert_each_job_ran_once(runs: dict) -> None:
    # Every periodic job of every installed app, each exactly once across all the workers.
    assert set(runs) == set(jobs.registry())
    for name, outcomes in runs.items():
        assert len(outcomes) == 1, f"{name} ran {len(outcomes)} times: {outcomes}"
        status, worker = outcomes[0]
        assert status == "ok" and worker.startswith("w"), (name, outcomes)


def test_three_workers_on_one_sqlite_file_run_each_job_once(tmp_path, sqlite_url):
    env = environment(tmp_path, sqlite_url)
    run_workers_together(env, 3)
    assert_each_job_ran_once(runs_per_job(env))


@pytest.mark.integration
def test_three_workers_on_postgresql_run_each_job_once(tmp_path, postgres_url):
    env = environment(tmp_path, postgres_url)
    tirek(env, "migrate", "-v0")
    run_workers_together(env, 3)
    assert_each_job_ran_once(runs_per_job(env))


def test_sigterm_lets_the_running_task_finish(tmp_path, sqlite_url):
    env = environment(tmp_path, sqlite_url)
    task_id = shell_json(
        env,
        "from tirek.core.tests.test_worker_processes import slow\n"
        "print(json.dumps(str(slow.enqueue(3).id)))",
    )
    proc = subprocess.Popen(
        [TIREK, "worker", "--no-scheduler", "--worker-id", "stopper"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Wait until the worker has the task in hand, then ask it to stop.
        import sqlite3

        db = sqlite3.connect(tmp_path / "tirek.sqlite3")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            row = db.execute(
                "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = ?",
                [task_id.replace("-", "")],
            ).fetchone()
            if row and row[0] == "RUNNING":
                break
            time.sleep(0.05)
        else:
            pytest.fail("the worker never started the task")
        db.close()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "stopping after the current task" in out
    result = shell_json(
        env,
        "from tirek.core.tests.test_worker_processes import slow\n"
        f"r = slow.get_result({task_id!r})\n"
        "print(json.dumps([r.status, r.return_value]))",
    )
    assert result == ["SUCCESSFUL", "slept"]

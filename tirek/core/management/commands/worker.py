"""`tirek worker`: runs queued tasks and the periodic-job scheduler in one process.

With the database backend (the default) one loop does both: it claims due periodic jobs
every few seconds and, between claims, runs queued tasks with django-tasks-db's own claiming
and running code. With the RQ backend the scheduler runs in a thread and an RQ worker runs the
queues in the main thread. Any number of workers may run at once, on any number of machines:
tasks and periodic runs are each claimed by exactly one of them.

SIGTERM or SIGINT stops the worker after the current task; a second signal stops it at once.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from types import FrameType

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from tirek.core import jobs

logger = logging.getLogger("tirek.worker")


def release_stale_connections() -> None:
    """Drop broken or expired connections between tasks, as Django does between requests.

    Not inside an atomic block: there the connection belongs to whoever opened the block (a
    test's transaction, or a caller running the worker in-process), and closing it would
    break them.
    """
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


class Command(BaseCommand):
    help = "Run queued background tasks and periodic jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            default="",
            help="Comma-separated queues to run (default: every queue in TASKS).",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="Do not claim periodic jobs in this process; only run queued tasks.",
        )
        parser.add_argument(
            "--once",
            "--burst",
            action="store_true",
            dest="once",
            help="Claim what is due, run what is queued, then exit (tests, cron).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait for new tasks when the queues are empty (default 1).",
        )
        parser.add_argument(
            "--tick",
            type=float,
            default=10.0,
            help="Seconds between scheduler passes over the periodic jobs (default 10).",
        )
        parser.add_argument(
            "--worker-id",
            default="",
            help="Name of this worker in task and job records (default: host:pid-random).",
        )

    def handle(self, *args, **options) -> None:
        self.backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        configured = sorted(self.backend.queues)
        queues = [q.strip() for q in options["queues"].split(",") if q.strip()] or configured
        unknown = sorted(set(queues) - set(configured))
        if unknown:
            raise CommandError(
                f"Unknown queue(s) {', '.join(unknown)}; configured: {', '.join(configured)}."
            )
        if options["interval"] < 0 or options["tick"] <= 0:
            raise CommandError("--interval must be >= 0 and --tick > 0.")
        self.queues = queues
        self.once = options["once"]
        self.scheduler = options["scheduler"]
        self.interval = options["interval"]
        self.tick = options["tick"]
        self.worker_id = (options["worker_id"] or f"{jobs.worker_label()}-{get_random_string(6)}")[
            :64
        ]
        self.stopping = False
        self.wake = threading.Event()

        kind = type(self.backend).__name__
        logger.info(
            "Worker %s starting: backend=%s queues=%s scheduler=%s once=%s",
            self.worker_id,
            kind,
            ",".join(queues),
            "on" if self.scheduler else "off",
            self.once,
        )
        if self.scheduler:
            rows = jobs.sync()
            logger.info("Periodic jobs: %s", ", ".join(r.name for r in rows) or "none")

        from django_tasks_db import DatabaseBackend

        try:
            if isinstance(self.backend, DatabaseBackend):
                self.run_database()
            elif kind == "RQBackend":
                self.run_rq()
            else:
                # The immediate backend runs each task in-process when it is enqueued.
                self.run_scheduler_only()
        finally:
            self.restore_signals()
        logger.info("Worker %s stopped", self.worker_id)

    # Scheduler ------------------------------------------------------------------------------

    def schedule(self) -> None:
        try:
            jobs.claim_due(claimer=self.worker_id)
        except Exception:
            # A broken pass must not kill the worker; the next pass tries again.
            logger.exception("Scheduler pass failed")

    # Signals --------------------------------------------------------------------------------

    def install_signals(self) -> None:
        # Restored by `restore_signals` so that a command called in-process (tests) leaves
        # Ctrl-C working for its caller.
        self.previous_handlers = {
            sig: signal.signal(sig, self.on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }

    def restore_signals(self) -> None:
        for sig, handler in getattr(self, "previous_handlers", {}).items():
            signal.signal(sig, handler)

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            logger.warning("%s again: stopping now", signal.strsignal(signum))
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            sys.exit(1)
        logger.warning(
            "%s: stopping after the current task (send again to stop now)",
            signal.strsignal(signum),
        )
        self.stopping = True
        self.wake.set()

    # Database backend -----------------------------------------------------------------------

    def run_database(self) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        runner = Worker(
            queue_names=self.queues,
            interval=self.interval,
            batch=True,
            backend_name=self.backend.alias,
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )
        self.install_signals()
        next_pass = 0.0
        while not self.stopping:
            release_stale_connections()
            if self.scheduler and time.monotonic() >= next_pass:
                self.schedule()
                next_pass = time.monotonic() + self.tick
            result = self.next_database_task()
            if result is not None:
                runner.run_task(result)
                continue
            if self.once:
                break
            self.wake.wait(self.interval)

    def next_database_task(self):
        """Claim the next ready task the way django-tasks-db's worker does, or None."""
        from django_tasks_db.models import DBTaskResult
        from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

        ready = DBTaskResult.objects.ready().filter(
            backend_name=self.backend.alias, queue_name__in=self.queues
        )
        try:
            with exclusive_transaction(ready.db):
                result = ready.get_locked()
                if result is not None:
                    result.claim(self.worker_id)
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None
            raise
        return result

    # RQ backend -----------------------------------------------------------------------------

    def run_rq(self) -> None:
        from django_rq.utils import reset_db_connections
        from django_rq.workers import get_worker

        if self.once:
            if self.scheduler:
                self.schedule()
        elif self.scheduler:
            thread = threading.Thread(target=self.scheduler_loop, name="scheduler", daemon=True)
            thread.start()
        worker = get_worker(*self.queues, job_class="django_tasks_rq.backend.Job")
        logger.info("RQ worker %s on %s", worker.name, ",".join(self.queues))
        # The horse processes are forked: they must not share this process's connections.
        reset_db_connections()
        try:
            # RQ installs its own SIGINT/SIGTERM handling: finish the job, then stop.
            worker.work(burst=self.once, with_scheduler=True, logging_level="INFO")
        finally:
            self.stopping = True
            self.wake.set()

    def scheduler_loop(self) -> None:
        try:
            while not self.stopping:
                self.schedule()
                self.wake.wait(self.tick)
        finally:
            connections.close_all()

    # Immediate backend ----------------------------------------------------------------------

    def run_scheduler_only(self) -> None:
        if not self.scheduler:
            logger.warning(
                "Nothing to do: the %s backend runs tasks where they are enqueued",
                type(self.backend).__name__,
            )
            return
        self.install_signals()
        while not self.stopping:
            release_stale_connections()
            self.schedule()
            if self.once:
                break
            self.wake.wait(self.tick)

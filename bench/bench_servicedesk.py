"""Service desk benchmark: Tirek's staff queue, a filtered queue and a ticket page under load,
side by side with django-helpdesk measured in the same run on the same machine.

    .venv/bin/python bench/bench_servicedesk.py [--tickets 100000] [--seconds 20] [--clients 10]
        [--rounds 3] [--reuse]

Tirek: a fresh PostgreSQL database (`bench_tirek` on $BENCH_PG, default
postgres://postgres@127.0.0.1:5432) with 15 systems, a team, 2,000 requesters and `--tickets`
tickets of all four kinds (two comments each; one ticket with five comments is the one whose
page is measured).

Reference: django-helpdesk (pinned in HELPDESK_PINS) installed with uv into its own virtualenv
under var/bench/, served from the minimal project in bench/helpdesk_ref/ with its own database
(`bench_helpdesk`) holding as many tickets (bulk SQL, two follow-ups each, five on the measured
ticket). Its staff list is an empty shell whose rows come from a DataTables JSON endpoint: both
are measured, and its ticket page.

Both run under gunicorn with 2 sync workers and persistent database connections. The load
generator is `wrk` (Debian's package, installed with apt-get when missing): one thread, `--clients`
keep-alive connections, `--seconds` per page, as a signed-in member of staff. Pages alternate
between the two servers within each round; the figures are the median over `--rounds` rounds.
`--reuse` skips building the databases (after a first run with the same --tickets).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "bench_tirek"
HELPDESK_DB = "bench_helpdesk"
# The reference, pinned: the same Django, gunicorn and psycopg as Tirek's lock file.
HELPDESK_PINS = [
    "django-helpdesk[teams]==2.6.1",
    "Django==5.2.19",
    "gunicorn==27.0.1",
    "psycopg[binary]==3.3.9",
]
HELPDESK_DIR = ROOT / "bench" / "helpdesk_ref"
HELPDESK_VENV = ROOT / "var" / "bench" / "helpdesk-venv"


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "DJANGO_SETTINGS_MODULE": "tirek.settings",
        "DEBUG": "false",
        "TIREK_REQUIRE_2FA": "false",
        # Production-like: keep database connections (the reference does the same), for the
        # whole run so that their server processes' CPU time can be read.
        "DATABASE_CONN_MAX_AGE": "3600",
        "MEDIA_ROOT": str(ROOT / "var" / "bench-servicedesk-media"),
    }


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def build(count: int) -> dict:
    """Migrate and fill the database; returns what the load needs (cookie, ids)."""
    os.environ.update(env())
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from tirek.access.models import System
    from tirek.servicedesk import sla
    from tirek.servicedesk.models import (
        Comment,
        Kind,
        Status,
        SystemProfile,
        Team,
        Ticket,
        TicketCounter,
        priority_for,
    )

    call_command("migrate", verbosity=0)
    User = get_user_model()
    staff_group = Group.objects.get_or_create(name="dept_staff")[0]
    staff = []
    for n in range(6):
        user = User.objects.create(username=f"staff{n}", first_name="Staff", last_name=str(n))
        user.groups.add(staff_group)
        staff.append(user)
    requesters = User.objects.bulk_create(
        [User(username=f"user{n}", first_name="User", last_name=f"№{n}") for n in range(2000)]
    )
    services = list(System.objects.filter(is_active=True))
    team = Team.objects.create(name="Everything")
    team.members.add(*staff)
    for system in services:  # the team owns every system's tickets
        SystemProfile.objects.update_or_create(system=system, defaults={"team": team})

    rng = random.Random(42)
    cal = sla.calendar()
    now = timezone.now()
    words = [
        "Platonus",
        "grades",
        "printer",
        "password",
        "mail",
        "Wi-Fi",
        "journal",
        "login",
        "schedule",
        "exam",
        "certificate",
        "website",
        "news",
        "projector",
        "VPN",
    ]
    kinds = [Kind.INCIDENT] * 5 + [Kind.SERVICE_REQUEST] * 3 + [Kind.QUESTION] + [Kind.PUBLICATION]
    batch, made = [], 0
    start = time.perf_counter()
    for n in range(count):
        kind = rng.choice(kinds)
        impact, urgency = rng.randint(1, 3), rng.randint(1, 3)
        opened = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        done = rng.random() < 0.85
        ticket = Ticket(
            number=f"TKT-{opened.year}-{n + 1:06d}",
            kind=kind,
            status=(Status.RESOLVED if kind != Kind.PUBLICATION else Status.PUBLISHED)
            if done
            else (Status.IN_PROGRESS if kind != Kind.PUBLICATION else Status.IN_REVIEW),
            requester=rng.choice(requesters),
            subject=" ".join(rng.sample(words, 3)),
            description=" ".join(rng.choices(words, k=25)),
            system=rng.choice(services),
            impact=impact,
            urgency=urgency,
            priority=priority_for(impact, urgency),
            assignee=rng.choice([*staff, None]),
            team=team,
            opened_at=opened,
        )
        sla.set_due_dates(ticket, cal)
        if done:
            ticket.first_response_at = opened + dt.timedelta(minutes=rng.randint(5, 600))
            ticket.resolved_at = opened + dt.timedelta(hours=rng.randint(1, 100))
            ticket.resolution_breached = ticket.resolved_at > ticket.resolution_due
        batch.append(ticket)
        if len(batch) == 5000:
            made += len(Ticket.objects.bulk_create(batch))
            batch = []
    made += len(Ticket.objects.bulk_create(batch))
    TicketCounter.objects.create(year=now.year, last=count)
    ids = list(Ticket.objects.values_list("pk", "requester_id"))
    comments = []
    for pk, requester_id in ids:
        comments.append(Comment(ticket_id=pk, author_id=requester_id, body="Any news?"))
        comments.append(Comment(ticket_id=pk, author=staff[0], body="We are on it."))
        if len(comments) >= 10000:
            Comment.objects.bulk_create(comments)
            comments = []
    Comment.objects.bulk_create(comments)
    page_ticket = Ticket.objects.filter(status=Status.IN_PROGRESS).order_by("pk").first()
    Comment.objects.bulk_create(
        [Comment(ticket=page_ticket, author=staff[1], body=f"Step {i}") for i in range(3)]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"built {made} tickets and {Comment.objects.count()} comments in "
        f"{time.perf_counter() - start:.0f} s"
    )
    client = Client()
    client.force_login(staff[0])
    platonus = System.objects.get(code="platonus").pk
    name = settings.SESSION_COOKIE_NAME
    return {
        "cookie": [name, client.cookies[name].value],
        "pages": {
            "queue (default view, rows and counts)": "/servicedesk/queue/",
            "queue filtered (system, kind, search)": (
                f"/servicedesk/queue/?system={platonus}&kind=incident&status=all&q=printer"
            ),
            "ticket page (5 comments)": f"/servicedesk/t/{page_ticket.pk}/",
        },
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(gunicorn: Path, app: str, cwd: Path, environ: dict) -> tuple:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        # A long timeout: the reference's slowest page must not get its workers killed.
        [
            str(gunicorn),
            *(app, "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "300"),
            *("--log-level", "warning"),
        ],
        cwd=cwd,
        env=environ,
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn for {app} did not start")


# --- the reference: django-helpdesk -----------------------------------------------------------


def uv() -> str:
    found = shutil.which("uv") or str(ROOT / "var" / "uv" / "bin" / "uv")
    if not Path(found).exists():
        raise SystemExit("uv is needed for the reference's virtualenv (make uv)")
    return found


def helpdesk_venv() -> Path:
    """Create (once) the reference's own virtualenv with the pinned packages."""
    python = HELPDESK_VENV / "bin" / "python"
    marker = HELPDESK_VENV / "pins.txt"
    wanted = "\n".join(HELPDESK_PINS)
    if not (marker.exists() and marker.read_text() == wanted):
        HELPDESK_VENV.parent.mkdir(parents=True, exist_ok=True)
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([uv(), "venv", "-q", "--python", base, str(HELPDESK_VENV)], check=True)  # noqa: S603
        subprocess.run(  # noqa: S603
            [uv(), "pip", "install", "-q", "--python", str(python), *HELPDESK_PINS], check=True
        )
        marker.write_text(wanted)
    return HELPDESK_VENV


def helpdesk_secret() -> str:
    """The reference's secret key: random, made once, kept under var/ (never in the code)."""
    path = ROOT / "var" / "bench" / "helpdesk-secret-key"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def helpdesk_env(prepared: bool = False) -> dict[str, str]:
    user, host = PG.removeprefix("postgres://").split("@")
    host, _, port = host.partition(":")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings",
        "HELPDESK_DB": HELPDESK_DB,
        "HELPDESK_DB_USER": user,
        "HELPDESK_DB_HOST": host,
        "HELPDESK_DB_PORT": port or "5432",
        "HELPDESK_MEDIA": str(ROOT / "var" / "bench" / "helpdesk-media"),
        "HELPDESK_CONN_MAX_AGE": "3600",
        "HELPDESK_SECRET_KEY": helpdesk_secret(),
        "HELPDESK_PREPARED_STATEMENTS": "true" if prepared else "false",
    }


def build_helpdesk(venv: Path, count: int) -> dict:
    recreate_database(HELPDESK_DB)
    start = time.perf_counter()
    out = subprocess.run(  # noqa: S603
        [str(venv / "bin" / "python"), "load.py", str(count)],
        cwd=HELPDESK_DIR,
        env=helpdesk_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    info = json.loads(out.strip().splitlines()[-1])
    print(f"reference: built {count} tickets in {time.perf_counter() - start:.0f} s")
    return info


def helpdesk_pages(port: int, info: dict) -> dict[str, str]:
    """The shell, its JSON rows URL (read from the shell, as the browser does) and a ticket."""
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)

    shell = "/helpdesk/tickets/"
    html = httpx.get(
        f"http://127.0.0.1:{port}{shell}", cookies=dict([info["cookie"]]), timeout=60
    ).text
    found = re.search(r"datatables_ticket_list/[A-Za-z0-9+/=]*", html)
    if not found:
        raise SystemExit("the reference's list shell has no DataTables URL")
    return {
        "staff list shell (no rows)": shell,
        # What DataTables asks for first: draw 1, the first 25 rows in the default order.
        "staff list JSON rows (25)": f"/helpdesk/{found.group(0)}?draw=1&start=0&length=25",
        "ticket page (5 follow-ups)": f"/helpdesk/tickets/{info['ticket']}/",
    }


# --- the load generator -----------------------------------------------------------------------

WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"non2xx\\": %d, \\"errors\\": %d, "
    .. "\\"p50\\": %d, \\"p95\\": %d, \\"p99\\": %d}\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False)  # noqa: S607
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return found


def check_page(url: str, cookie: tuple[str, str]) -> None:
    import httpx

    response = httpx.get(url, cookies=dict([cookie]), timeout=60)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}, not 200")


def warm(url: str, cookie: tuple[str, str], clients: int, seconds: float) -> None:
    subprocess.run(  # noqa: S603
        [
            wrk(),
            "-t1",
            f"-c{clients}",
            f"-d{seconds:.0f}s",
            "--timeout",
            "60s",
            "-H",
            f"Cookie: {cookie[0]}={cookie[1]}",
            url,
        ],
        check=True,
        capture_output=True,
    )


TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds user + system) of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def cpu_seconds(master: int, database: str) -> float:
    """CPU time so far of a gunicorn's master and workers and of the PostgreSQL server
    processes connected to its database: the cost of its requests whatever else runs here."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        backends = {
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [database]
            )
        }
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        stat = _stat(pid)
        if stat and (pid == master or stat[0] == master or pid in backends):
            total += stat[1]
    return total


def load(
    url: str,
    cookie: tuple[str, str],
    clients: int,
    seconds: float,
    script: Path,
    cpu=lambda: 0.0,
) -> dict:
    check_page(url, cookie)
    # Warm up both workers (templates, connections, the page's cache) before measuring.
    warm(url, cookie, clients, 2)
    cpu_before = cpu()
    out = subprocess.run(  # noqa: S603
        [
            wrk(),
            "-t1",
            f"-c{clients}",
            f"-d{seconds:.0f}s",
            "--timeout",
            "60s",
            "-s",
            str(script),
            "-H",
            f"Cookie: {cookie[0]}={cookie[1]}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    cpu_used = cpu() - cpu_before
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    r = json.loads(line.removeprefix("WRKJSON "))
    return {
        "rps": r["requests"] / (r["duration_us"] / 1e6),
        # Server CPU (app + its database) per request: what the page costs on an idle machine.
        "cpu_ms": cpu_used * 1000 / max(r["requests"], 1),
        "p50": r["p50"] / 1000,
        "p95": r["p95"] / 1000,
        "p99": r["p99"] / 1000,
        "errors": r["non2xx"] + r["errors"],
    }


def median_of(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the databases of a last run")
    parser.add_argument(
        "--reference-prepared",
        action="store_true",
        help="run django-helpdesk with prepared statements too (Tirek's default on PostgreSQL)",
    )
    parser.add_argument(
        "--pages",
        default="",
        help="measure only the pages whose name holds this text (e.g. 'ticket'), while tuning",
    )
    args = parser.parse_args()
    state = ROOT / "var" / "bench" / f"servicedesk-{args.tickets}.json"
    venv = helpdesk_venv()
    if args.reuse and state.exists():
        info = json.loads(state.read_text())
    else:
        recreate_database(DB_NAME)
        info = {"tirek": build(args.tickets), "helpdesk": build_helpdesk(venv, args.tickets)}
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps(info))
    tirek, tirek_port = start_gunicorn(ROOT / ".venv/bin/gunicorn", "tirek.wsgi", ROOT, env())
    ref, ref_port = start_gunicorn(
        venv / "bin" / "gunicorn", "wsgi", HELPDESK_DIR, helpdesk_env(args.reference_prepared)
    )
    script = state.with_suffix(".lua")
    script.write_text(WRK_REPORT)
    try:
        ref_cookie = info["helpdesk"]["cookie"]
        pages = [
            ("Tirek", name, f"http://127.0.0.1:{tirek_port}{path}", info["tirek"]["cookie"])
            for name, path in info["tirek"]["pages"].items()
        ] + [
            ("django-helpdesk", name, f"http://127.0.0.1:{ref_port}{path}", ref_cookie)
            for name, path in helpdesk_pages(ref_port, info["helpdesk"]).items()
        ]
        pages = [p for p in pages if args.pages in p[1]]
        meters = {
            "Tirek": lambda: cpu_seconds(tirek.pid, DB_NAME),
            "django-helpdesk": lambda: cpu_seconds(ref.pid, HELPDESK_DB),
        }
        # A worker's first request loads the application (and indexes static files) for
        # seconds: every page of both servers is served for a while before any is measured.
        for _who, _name, url, cookie in pages:
            warm(url, tuple(cookie), 4, 5)
        runs: dict[str, list[dict]] = {}
        for n in range(args.rounds):
            for who, name, url, cookie in pages:
                r = load(url, tuple(cookie), args.clients, args.seconds, script, meters[who])
                runs.setdefault(f"{who}: {name}", []).append(r)
                print(
                    f"  round {n + 1}: {who}: {name}: {r['rps']:.1f} req/s, "
                    f"p95 {r['p95']:.0f} ms, {r['cpu_ms']:.1f} ms CPU",
                    flush=True,
                )
        result = {key: median_of(rs) for key, rs in runs.items()}
        print(
            f"\n{args.tickets} tickets, {args.clients} clients (wrk, 1 thread), "
            f"{args.seconds:.0f} s per page, median of {args.rounds} rounds, gunicorn 2 workers, "
            "PostgreSQL\n"
        )
        print(
            f"{'page':58} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
            f"{'CPU ms':>7} {'errors':>6}"
        )
        for key, r in result.items():
            print(
                f"{key:58} {r['rps']:7.1f} {r['p50']:7.1f} {r['p95']:7.1f} {r['p99']:7.1f} "
                f"{r['cpu_ms']:7.1f} {r['errors']:6.0f}"
            )
        print(
            "CPU ms: server CPU per request (gunicorn workers and their PostgreSQL backends), "
            "whatever else loads the machine"
        )
        names = list(info["tirek"]["pages"])
        queue_key, page_key = f"Tirek: {names[0]}", f"Tirek: {names[2]}"
        shell_key = "django-helpdesk: staff list shell (no rows)"
        rows_key = "django-helpdesk: staff list JSON rows (25)"
        ticket_key = "django-helpdesk: ticket page (5 follow-ups)"

        def ratio(ours: str, theirs: str, measure: str, inverse: bool = False) -> float:
            # Per round, then the median: the two pages of a round ran under the same load.
            values = [
                (b[measure] / a[measure]) if inverse else (a[measure] / b[measure])
                for a, b in zip(runs[ours], runs[theirs], strict=True)
            ]
            return statistics.median(values)

        if not {queue_key, page_key, shell_key, rows_key, ticket_key} <= set(runs):
            return
        print("\nratios, median over the rounds of each round's ratio:")
        print(
            f"queue with rows vs the reference's empty shell: req/s "
            f"×{ratio(queue_key, shell_key, 'rps'):.2f}, their p95 / ours "
            f"×{ratio(queue_key, shell_key, 'p95', inverse=True):.2f}, CPU per request "
            f"×{ratio(queue_key, shell_key, 'cpu_ms', inverse=True):.2f} less "
            f"(goal: at least as fast, p95 < 100 ms: {result[queue_key]['p95']:.0f} ms)"
        )
        print(
            f"queue with rows vs the reference's JSON rows: req/s "
            f"×{ratio(queue_key, rows_key, 'rps'):.1f}"
        )
        print(
            f"ticket page vs the reference's: req/s ×{ratio(page_key, ticket_key, 'rps'):.2f}, "
            f"CPU per request ×{ratio(page_key, ticket_key, 'cpu_ms', inverse=True):.2f} less "
            f"(goal ≥ 4)"
        )
    finally:
        for process in (tirek, ref):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


if __name__ == "__main__":
    main()

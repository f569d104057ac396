"""Service desk benchmark: the staff queue, a filtered queue and a ticket page under load.

    .venv/bin/python bench/bench_servicedesk.py [--tickets 100000] [--seconds 20] [--clients 10]

Builds a fresh PostgreSQL database (`tirek_bench_sd` on $BENCH_PG, default
postgres://postgres@127.0.0.1:5432) with 15 systems, a team, 2,000 requesters and `--tickets`
tickets of all four kinds (two comments each; one ticket with five comments is the one whose
page is measured), then runs gunicorn with 2 workers on 127.0.0.1 and, for each page, drives
`--clients` concurrent keep-alive HTTP clients for `--seconds` seconds as a signed-in member of
the department staff. Prints requests/s and p50/p95 latency per page.

The reference the issue names (django-helpdesk with the same number of tickets, measured in the
same run) is not built by this script yet; the issue's figures for it are printed beside ours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "tirek_bench_sd"
# The figures for django-helpdesk on its machines (req/s, p95 ms), shown for comparison.
HELPDESK_REFERENCE = {
    "staff list shell": (220, None),
    "staff list JSON rows": (4.5, 2200),
    "ticket page": (50, None),
}


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "DJANGO_SETTINGS_MODULE": "tirek.settings",
        "DEBUG": "false",
        "TIREK_REQUIRE_2FA": "false",
        "MEDIA_ROOT": str(ROOT / "var" / "bench-servicedesk-media"),
    }


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def build(count: int) -> dict:
    """Migrate and fill the database; returns what the load needs (cookie, ids)."""
    os.environ.update(env())
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from tirek.servicedesk import sla
    from tirek.servicedesk.models import (
        Comment,
        Kind,
        Service,
        Status,
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
    services = list(Service.objects.all())
    team = Team.objects.create(name="Everything")
    team.members.add(*staff)
    team.services.add(*services)

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
            service=rng.choice(services),
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
    platonus = Service.objects.get(code="platonus").pk
    return {
        "cookie": client.cookies["sessionid"].value
        if "sessionid" in client.cookies
        else next(iter(client.cookies.values())).value,
        "cookie_name": next(iter(client.cookies.keys())),
        "pages": {
            "queue (default view, rows and counts)": "/servicedesk/queue/",
            "queue filtered (system, kind, search)": (
                f"/servicedesk/queue/?service={platonus}&kind=incident&status=all&q=printer"
            ),
            "ticket page (5 comments)": f"/servicedesk/t/{page_ticket.pk}/",
        },
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "tirek.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env(),
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def load(url: str, cookie: tuple[str, str], clients: int, seconds: float) -> dict:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = [0.0]

    def run() -> None:
        mine, bad = [], 0
        with httpx.Client(cookies={cookie[0]: cookie[1]}, timeout=30) as client:
            while time.perf_counter() < stop[0]:
                t0 = time.perf_counter()
                response = client.get(url)
                mine.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    bad += 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    # Warm up both workers.
    import httpx as _h

    with _h.Client(cookies={cookie[0]: cookie[1]}) as warm:
        for _ in range(6):
            warm.get(url)
    threads = [threading.Thread(target=run) for _ in range(clients)]
    began = time.perf_counter()
    stop[0] = began + seconds
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "errors": errors[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=10)
    args = parser.parse_args()
    recreate_database()
    info = build(args.tickets)
    port = free_port()
    server = start_gunicorn(port)
    try:
        print(
            f"\n{args.tickets} tickets, {args.clients} clients, {args.seconds:.0f} s per page, "
            "gunicorn 2 workers, PostgreSQL\n"
        )
        print(f"{'page':42} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
        for name, path in info["pages"].items():
            r = load(
                f"http://127.0.0.1:{port}{path}",
                (info["cookie_name"], info["cookie"]),
                args.clients,
                args.seconds,
            )
            print(f"{name:42} {r['rps']:8.1f} {r['p50']:8.1f} {r['p95']:8.1f} {r['errors']:7d}")
        print("\ndjango-helpdesk, the issue's figures (not measured here):")
        for name, (rps, p95) in HELPDESK_REFERENCE.items():
            print(f"{name:42} {rps:8.1f} {'':>8} {p95 or '':>8}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


if __name__ == "__main__":
    main()

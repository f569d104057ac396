"""Fill django-helpdesk's database for bench_servicedesk.py (runs in the reference's own venv).

    python load.py TICKETS

Migrates, creates 6 staff users and 15 queues (one per system, as Tirek's bench has), then
inserts TICKETS tickets (85% resolved or closed, the rest open or reopened) with two follow-ups
each in plain SQL (generate_series), plus three more follow-ups on the first open ticket, the
one whose page is measured. Prints one JSON line: the staff session cookie and that ticket's id.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

WORDS = ["Platonus", "grades", "printer", "password", "mail", "Wi-Fi", "journal", "login"]
WORDS += ["schedule", "exam", "certificate", "website", "news", "projector", "VPN"]


def main(count: int) -> None:
    call_command("migrate", verbosity=0)
    from helpdesk.models import Queue

    User = get_user_model()
    staff = [
        User.objects.create(username=f"staff{n}", is_staff=True, email=f"staff{n}@x.edu.kz")
        for n in range(6)
    ]
    for n in range(15):
        Queue.objects.create(title=f"System {n}", slug=f"system-{n}")
    words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    pick = f"({words})[1 + floor(random() * {len(WORDS)})::int]"
    staff_ids = "ARRAY[" + ",".join(str(u.pk) for u in staff) + ",NULL]"
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            # Only our own constants are formatted in; the count is a parameter.
            f"""
            INSERT INTO helpdesk_ticket (title, created, modified, submitter_email, status,
                on_hold, description, resolution, priority, assigned_to_id, queue_id, secret_key)
            SELECT {pick} || ' ' || {pick} || ' ' || {pick},
                   now() - random() * interval '365 days', now(),
                   'user' || mod(g, 2000) || '@x.edu.kz',
                   CASE WHEN random() < 0.85 THEN 3 + mod(g, 2) ELSE 1 + mod(g, 2) END,
                   false,
                   (SELECT string_agg({pick}, ' ') FROM generate_series(1, 25) WHERE g > 0),
                   '', 1 + floor(random() * 5)::int,
                   ({staff_ids})[1 + floor(random() * 7)::int],
                   (SELECT min(id) FROM helpdesk_queue) + floor(random() * 15)::int,
                   md5(g::text)
            FROM generate_series(1, %s) AS g
            """,  # noqa: S608
            [count],
        )
        cursor.execute(
            """
            INSERT INTO helpdesk_followup (date, title, comment, public, ticket_id, user_id)
            SELECT t.created + interval '1 hour' * n, 'Comment', c, true, t.id, u
            FROM helpdesk_ticket t,
                 LATERAL (VALUES (1, 'Any news?', NULL::int), (2, 'We are on it.', %s))
                     AS f(n, c, u)
            """,
            [staff[0].pk],
        )
        cursor.execute("SELECT min(id) FROM helpdesk_ticket WHERE status = 1")
        page_ticket = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO helpdesk_followup (date, title, comment, public, ticket_id, user_id)
            SELECT now(), 'Comment', 'Step ' || n, true, %s, %s FROM generate_series(0, 2) n
            """,
            [page_ticket, staff[1].pk],
        )
        cursor.execute("ANALYZE")
    client = Client()
    client.force_login(staff[0])
    cookie = client.cookies["sessionid"]
    print(json.dumps({"cookie": ["sessionid", cookie.value], "ticket": page_ticket}))


if __name__ == "__main__":
    main(int(sys.argv[1]))

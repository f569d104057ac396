"""`tirek audit verify` checks the hash chain; `tirek audit tail` shows the newest events."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tirek.core.audit import count_events, verify
from tirek.core.models import AuditEvent


class Command(BaseCommand):
    help = "Work with the audit log: verify the hash chain, or show the newest events."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,tail}")
        sub.add_parser(
            "verify",
            help="Walk the chain; name every edited or deleted event. Exit code 1 on a problem.",
        )
        tail = sub.add_parser("tail", help="Print the newest events, newest last.")
        tail.add_argument("-n", "--lines", type=int, default=20, help="How many (default 20).")

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "verify":
            self.verify()
        elif subcommand == "tail":
            self.tail(options["lines"])

    def verify(self) -> None:
        problems = 0
        for problem in verify():
            problems += 1
            self.stdout.write(self.style.ERROR(f"PROBLEM: {problem.message}"))
        if problems:
            raise CommandError(
                f"the audit log chain is broken: {problems} problem(s) found", returncode=1
            )
        self.stdout.write(self.style.SUCCESS(f"OK: {count_events()} events, chain intact"))

    def tail(self, lines: int) -> None:
        if lines < 1:
            raise CommandError("--lines must be at least 1")
        events = list(AuditEvent.objects.order_by("-id")[:lines])
        for event in reversed(events):
            target = " ".join(x for x in (event.object_type, event.object_id) if x)
            self.stdout.write(
                f"{event.pk:>8} {timezone.localtime(event.created_at):%Y-%m-%d %H:%M:%S%z} "
                f"{event.actor_label or '-':<20} {event.action:<18} {target}"
                f"{' ' + event.ip if event.ip else ''}"
            )

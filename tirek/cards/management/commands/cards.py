"""`tirek cards export-identifiers`: the active identifiers for access control, as a file;
`tirek cards sync-access-control`: operations that bring PERCo to every card."""

from __future__ import annotations

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tirek.cards import identifiers


class Command(BaseCommand):
    help = "Card tasks for operators: export the active identifiers for access control."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{export-identifiers}"
        )
        export = sub.add_parser(
            "export-identifiers",
            help="Write active identifiers (or, with --delta, the changes since the last export).",
        )
        export.add_argument("--format", choices=identifiers.FORMATS, default="csv")
        export.add_argument(
            "--delta", action="store_true", help="Only what changed since the last export."
        )
        export.add_argument(
            "-o", "--output", help="File to write (default: standard output, CSV only)."
        )
        export.add_argument("--user", help="Record the export as made by this username.")
        sub.add_parser(
            "sync-access-control",
            help="Queue what PERCo lacks for every active card (after connecting PERCo).",
        )

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "export-identifiers":
            self.export(options)
        elif subcommand == "sync-access-control":
            from tirek.cards import accesscontrol

            made = accesscontrol.sync_all()
            self.stdout.write(f"{made} operations queued for access control")

    def export(self, options) -> None:
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and not output:
            raise CommandError("XLSX needs --output FILE")
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"no user {options['user']!r}")
        export, data = identifiers.export_identifiers(actor, fmt, options["delta"])
        if output:
            Path(output).write_bytes(data)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        self.stderr.write(
            f"export {export.pk}: {export.total} active, +{export.added} ~{export.changed} "
            f"-{export.removed} since {export.base_id or 'nothing'}"
        )

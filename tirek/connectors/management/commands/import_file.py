"""`tirek import_file <system>`: write the import file of a system's open create operations."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tirek.connectors.files import IMPORT_FILE_KINDS, download_import_file


class Command(BaseCommand):
    help = "Write the import file of a system's accounts waiting to be created (e.g. OJS users)."

    def add_arguments(self, parser):
        parser.add_argument("system", help="the system's code, e.g. ojs")
        parser.add_argument("-o", "--output", help="file to write (default: its own name)")

    def handle(self, *args, **options):
        from tirek.access.models import System

        system = System.objects.filter(code=options["system"]).first()
        if system is None:
            raise CommandError(f"no system {options['system']!r}")
        if system.connector_kind not in IMPORT_FILE_KINDS:
            raise CommandError(
                f"{system.code}: its connector ({system.connector_kind}) has no file"
            )
        result = download_import_file(None, system)
        if result is None:
            self.stdout.write("Nothing to import: no account is waiting to be created.")
            return
        path = Path(options["output"] or result.filename)
        path.write_bytes(result.content)
        self.stdout.write(f"{path}: {len(result.operation_ids)} accounts.")
        self.stdout.write(f"Run on the OJS server: {result.command}")

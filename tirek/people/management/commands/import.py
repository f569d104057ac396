"""`tirek import SOURCE FILE [--dry-run]`: import a file from cron or by hand.

Exit codes: 0 applied (or dry run clean), 1 the file or rows have errors, 2 the leaver guard
stopped the run (confirm with --confirm-leavers after checking the file).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tirek.people.imports import services
from tirek.people.imports.errors import with_messages
from tirek.people.imports.models import ImportSource, RunStatus, RunTrigger


class Command(BaseCommand):
    help = "Import people from an HR or Platonus export (CSV or XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="code of the import source, e.g. platonus")
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check and report only")
        parser.add_argument(
            "--exclude-errors", action="store_true", help="apply the good rows, leave bad ones out"
        )
        parser.add_argument(
            "--confirm-leavers",
            action="store_true",
            help="apply even when more people would leave than the source's threshold",
        )

    def handle(self, *args, source: str, file: Path, dry_run: bool, **options):
        src = ImportSource.objects.filter(code=source).first()
        if src is None:
            codes = ", ".join(ImportSource.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"no import source {source!r} (sources: {codes})")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        run = services.upload(None, src, data, filename=file.name, trigger=RunTrigger.COMMAND)
        self._report(run)
        if run.status == RunStatus.FAILED:
            raise CommandError("the file was rejected; nothing was imported", returncode=1)
        if dry_run:
            if run.status == RunStatus.INVALID:
                raise CommandError("dry run: rows have errors", returncode=1)
            return
        try:
            run = services.apply_run(
                None,
                run,
                exclude_errors=options["exclude_errors"],
                confirm_leavers=options["confirm_leavers"],
            )
        except services.ImportRefused as exc:
            code = 2 if exc.code == "confirm" else 1
            raise CommandError(f"not applied: {exc} (run #{run.pk})", returncode=code) from None
        self.stdout.write(self.style.SUCCESS(f"applied run #{run.pk}"))

    def _report(self, run) -> None:
        c = run.counts
        self.stdout.write(
            f"run #{run.pk} {run.original_name} sha256={run.sha256[:16]} "
            f"encoding={run.encoding or '-'} rows={c.get('rows', 0)} new={c.get('new', 0)} "
            f"changed={c.get('changed', 0)} unchanged={c.get('unchanged', 0)} "
            f"leaving={c.get('leaving', 0)} errors={c.get('errors', 0)} status={run.status}"
        )
        for error in with_messages(run.errors)[:50]:
            where = f"row {error['row']}" if error["row"] else "file"
            column = f" [{error['column']}]" if error["column"] else ""
            self.stderr.write(f"  {where}{column}: {error['message']}")

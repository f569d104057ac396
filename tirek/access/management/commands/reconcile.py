"""`tirek reconcile <system>...` reads each system whole and writes a reconciliation report."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tirek.access.models import RunStatus, RunTrigger, System
from tirek.access.reconciliation import RECONCILED_KINDS, reconcilable, reconcile


class Command(BaseCommand):
    help = "Reconcile LDAP/SCIM systems now: list orphans, missing accounts and drift."

    def add_arguments(self, parser) -> None:
        parser.add_argument("systems", nargs="*", metavar="system", help="System codes.")
        parser.add_argument("--all", action="store_true", help="Every active LDAP and SCIM system.")

    def handle(self, *args, systems: list[str], all: bool, **options) -> None:
        if all:
            chosen = list(
                System.objects.filter(is_active=True, connector_kind__in=RECONCILED_KINDS)
            )
        elif systems:
            found = {s.code: s for s in System.objects.filter(code__in=systems)}
            unknown = sorted(set(systems) - set(found))
            if unknown:
                raise CommandError(f"no such system: {', '.join(unknown)}")
            chosen = [found[code] for code in systems]
        else:
            raise CommandError("name a system, or use --all")
        failed = 0
        for system in chosen:
            if not reconcilable(system):
                raise CommandError(f"{system.code} is not an active LDAP or SCIM system")
            run = reconcile(system, trigger=RunTrigger.COMMAND)
            if run.status == RunStatus.DONE:
                counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items())) or "none"
                self.stdout.write(
                    f"{system.code}: run {run.pk}, {run.entries_read} entries read, "
                    f"findings: {counts}"
                )
            else:
                failed += 1
                self.stderr.write(f"{system.code}: run {run.pk} failed: {run.error}")
        if failed:
            raise CommandError(f"{failed} reconciliation run(s) failed", returncode=1)

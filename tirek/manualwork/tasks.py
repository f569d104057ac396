"""Periodic jobs of manual work: collect new items from the outbox, remind of overdue ones."""

from __future__ import annotations

from datetime import timedelta

from tirek.core.jobs import periodic_job


@periodic_job("manualwork.collect", every=timedelta(seconds=15))
def collect() -> str:
    from tirek.manualwork import services

    counts = services.collect()
    return "{created} new, {reopened} reopened, {cancelled} cancelled".format(**counts)


@periodic_job("manualwork.remind", every=timedelta(hours=1))
def remind() -> str:
    from tirek.manualwork import services

    return f"{services.remind()} reminders sent"

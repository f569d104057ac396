"""Periodic jobs of the people app."""

from __future__ import annotations

from datetime import timedelta

from tirek.core import jobs


@jobs.periodic_job("people.import_inbox", every=timedelta(minutes=5))
def import_inbox() -> str:
    """Import the HR and Platonus files waiting in the inbox folder."""
    from tirek.people.imports import inbox

    lines = inbox.scan()
    return "\n".join(lines) if lines else "inbox empty"

"""Periodic jobs of the cards app."""

from __future__ import annotations

from datetime import timedelta

from tirek.cards import services, statuslist
from tirek.core.jobs import periodic_job


@periodic_job("cards.publish_status_list", every=timedelta(minutes=5))
def publish_status_list() -> str:
    expired = services.expire_due()
    snapshot = statuslist.publish()
    return f"{expired} cards expired; status list {snapshot.size} bytes"

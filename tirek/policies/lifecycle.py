"""People lifecycle → policies: each committed batch of joiners, movers and leavers is evaluated
at once. The nightly full pass catches up anything a failed evaluation missed."""

from __future__ import annotations


def on_events(batch) -> None:
    from tirek.policies import services
    from tirek.policies.models import RunTrigger

    ids = {event.person_id for event in batch}
    if ids:
        services.evaluate(ids, trigger=RunTrigger.EVENT)

"""People lifecycle → cards: a joiner gets a draft card for review, a leaver's cards are revoked.

The events come from tirek/people/events.py (the imports work): `subscribe(on_events)` is
called from the app's ready(); the import is guarded, so without that module this does nothing.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("tirek.cards")


def on_joiner(person, affiliation=None, **kwargs) -> None:
    from tirek.cards import services
    from tirek.cards.models import Card
    from tirek.people.models import AffiliationKind

    kind = getattr(affiliation, "kind", None)
    if kind is not None and kind not in AffiliationKind.values:
        return
    if Card.objects.open().filter(person=person, **({"kind": kind} if kind else {})).exists():
        return
    try:
        services.issue_card(None, person, kind, draft=True)
    except services.CardError as exc:
        logger.info("No draft card for %s: %s", person.pk, exc)


def on_leaver(person, affiliation=None, **kwargs) -> None:
    from django.db import transaction

    from tirek.cards import accesscontrol, services
    from tirek.cards.models import Card, RevocationReason

    cards = Card.objects.open().filter(person=person)
    kind = getattr(affiliation, "kind", None)
    if kind:
        cards = cards.filter(kind=kind)
    for card in cards:
        services.revoke(None, card, RevocationReason.LEFT)
    with transaction.atomic():
        accesscontrol.person_left(person)  # no current affiliation left: dismissed in PERCo


def on_mover(person, affiliation=None, **kwargs) -> None:
    """A changed person: access control gets their record again if it differs (names)."""
    from django.db import transaction

    from tirek.cards import accesscontrol

    with transaction.atomic():
        accesscontrol.sync_person(person, cause="mover")


def on_events(batch) -> None:
    """Subscriber of tirek.people.events: one call per committed batch of events.

    One transaction for the batch, so the status list is rebuilt and signed once at its end
    (not per card). Joiners in a row get their drafts together (`services.draft_cards`); the
    other events, and joiners again if that fails, each in a savepoint of their own, so one
    refusal stops no one else. Events keep their order.
    """
    from django.db import transaction

    joiners: list = []

    def draft_joiners() -> None:
        if not joiners:
            return
        from tirek.cards import services

        try:
            with transaction.atomic():
                services.draft_cards(
                    [(e.person, getattr(e.affiliation, "kind", None)) for e in joiners]
                )
        except Exception:  # one person's data, or a concurrent writer: one by one, as before
            logger.exception("cards: draft cards of %d joiners together", len(joiners))
            for event in joiners:
                one(event)
        joiners.clear()

    def one(event) -> None:
        try:
            with transaction.atomic():
                if event.kind == "joiner":
                    on_joiner(event.person, event.affiliation)
                elif event.kind == "leaver":
                    on_leaver(event.person, event.affiliation)
                elif event.kind == "mover":
                    on_mover(event.person, event.affiliation)
        except Exception:  # logged; staff see the person's card state on their page
            logger.exception("cards: %s event of person %s", event.kind, event.person_id)

    with transaction.atomic():
        for event in batch:
            if event.kind == "joiner":
                joiners.append(event)
                continue
            draft_joiners()
            one(event)
        draft_joiners()


def connect() -> bool:
    """Subscribe to the people events if that module exists; True when subscribed."""
    try:
        from tirek.people import events
    except ImportError:
        return False
    subscribe = getattr(events, "subscribe", None)
    if subscribe is None:
        logger.warning("tirek.people.events has no subscribe(); cards do not follow lifecycle")
        return False
    subscribe(on_events)
    return True

"""Background work of the service desk: e-mails and the SLA watch."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from tirek.core.jobs import periodic_job


@task(queue_name="notifications")
def send_ticket_email(event: str, ticket_id: int, user_ids: list[int], extra: dict) -> int:
    from tirek.servicedesk.notifications import deliver

    return deliver(event, ticket_id, user_ids, extra)


@periodic_job("servicedesk.check_sla", every=timedelta(minutes=5))
def check_sla() -> str:
    """Warn before resolution targets are missed; escalate to the department head at breach."""
    from tirek.servicedesk.services import check_sla as run

    counts = run()
    return ", ".join(f"{k}: {v}" for k, v in counts.items())

"""Background work of the access app, run by `tirek worker`."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from tirek.core import jobs


@jobs.periodic_job("access.run_operations", every=timedelta(seconds=5))
def run_operations() -> str:
    """Carry out due provisioning operations (the outbox) for up to 50 seconds."""
    from tirek.access.operations import run_due

    outcome = run_due(jobs.worker_label(), time_budget=50.0)
    return (
        f"{len(outcome.done)} done, {len(outcome.retry)} to retry, "
        f"{len(outcome.waiting)} waiting for their target, "
        f"{len(outcome.attention)} need attention"
    )


@jobs.periodic_job("access.wipe_expired_credentials", every=timedelta(hours=1))
def wipe_expired_credentials() -> str:
    """Wipe one-time passwords nobody opened before their link expired."""
    from tirek.access.services import wipe_expired_credentials as wipe

    return f"{wipe()} expired one-time passwords wiped"


@jobs.periodic_job("access.expire_grants", every=timedelta(days=1))
def expire_grants() -> str:
    """Revoke temporary grants past their date; warn a few days before."""
    from tirek.access.services import expire_grants as run

    counts = run()
    return f"{counts['expired']} grants expired, {counts['warned']} people warned"


@task(queue_name="notifications")
def send_credential_mail(delivery_id: int) -> str:
    """Send one queued credential mail right after it was made (the sweep below retries)."""
    from tirek.access.deliveries import send_mail

    return send_mail(delivery_id)


@jobs.periodic_job("access.send_credential_mail", every=timedelta(minutes=1))
def send_credential_mails() -> str:
    """Send queued credential mails that are due, with retries and backoff."""
    from tirek.access.deliveries import send_due_mail

    counts = send_due_mail()
    return ", ".join(f"{k}: {v}" for k, v in counts.items())


@task(queue_name="provisioning")
def reconcile_task(run_id: int) -> str:
    """Carry out a reconciliation run staff asked for ("Reconcile now")."""
    from tirek.access.reconciliation import execute_run

    run = execute_run(run_id)
    return f"{run.system.code}: {run.status}, {run.total_findings} findings"


@jobs.periodic_job("access.reconcile", every=timedelta(hours=1))
def reconcile_nightly() -> str:
    """Reconcile every active LDAP and SCIM system once a night (in the RECONCILE_HOUR hour),
    then delete reports past their retention."""
    from tirek.access import reconciliation

    runs = reconciliation.nightly()
    pruned = reconciliation.prune()
    done = ", ".join(f"{r.system.code}: {r.status} ({r.total_findings})" for r in runs)
    return f"{len(runs)} systems reconciled{': ' + done if done else ''}; {pruned} old runs pruned"

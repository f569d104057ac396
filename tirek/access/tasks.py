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

"""Background work of the access app, run by `tirek worker`."""

from __future__ import annotations

from datetime import timedelta

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

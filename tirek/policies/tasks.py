"""Periodic jobs of the policies: the nightly full pass and leavers' deletion after grace."""

from __future__ import annotations

from datetime import timedelta

from tirek.core.jobs import periodic_job


@periodic_job("policies.full_pass", every=timedelta(days=1))
def full_pass() -> str:
    from tirek.policies import services

    run, waiting = services.full_pass()
    held = f"; {waiting.people} people wait for confirmation (run {waiting.pk})" if waiting else ""
    return (
        f"run {run.pk}: {run.people} people, +{run.grants_added} −{run.grants_removed} roles, "
        f"{run.accounts_disabled} disabled, {run.accounts_enabled} enabled{held}"
    )


@periodic_job("policies.delete_after_grace", every=timedelta(days=1))
def delete_after_grace() -> str:
    from tirek.policies import services

    return f"{services.delete_after_grace()} leavers' accounts deleted"

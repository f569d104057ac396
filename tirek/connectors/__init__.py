"""Connectors: one module per kind of target system, all behind `base.Connector`.

`for_system(system)` builds the connector a `tirek.access.models.System` names. Connectors know
nothing of Django models: they take plain `AccountData` and return plain values, so that the
worker, reconciliation and tests drive them alike.
"""

from __future__ import annotations

from tirek.connectors.base import (
    AccountData,
    Connector,
    ConnectorError,
    PermanentError,
    TargetUnavailable,
)

__all__ = [
    "AccountData",
    "Connector",
    "ConnectorError",
    "PermanentError",
    "TargetUnavailable",
    "for_kind",
]


def for_kind(kind: str, settings: dict) -> Connector:
    if kind == "ldap":
        from tirek.connectors.ldap import LDAPConnector

        return LDAPConnector(settings)
    if kind == "scim":
        from tirek.connectors.scim import SCIMConnector

        return SCIMConnector(settings)
    if kind == "perco":
        from tirek.connectors.perco import PercoConnector

        return PercoConnector(settings)
    if kind == "manual":
        from tirek.connectors.manual import ManualConnector

        return ManualConnector(settings)
    if kind == "ojs_file":
        from tirek.connectors.ojs import OJSFileConnector

        return OJSFileConnector(settings)
    if kind == "dspace":
        from tirek.connectors.dspace import DSpaceConnector

        return DSpaceConnector(settings)
    if kind == "yandex360":
        from tirek.connectors.yandex360 import Yandex360Connector

        return Yandex360Connector(settings)
    if kind == "dbtable":
        from tirek.connectors.dbtable import DBTableConnector

        return DBTableConnector(settings)
    raise ValueError(f"no connector for kind {kind!r}")

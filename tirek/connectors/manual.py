"""Systems with no API Tirek can reach (Platonus, Arta Synergy, PERCo, ...).

Operations for them are carried out by staff by hand, as work items (tirek/manualwork); the
worker never calls this connector for them. It refuses to act all the same, so that an
operation that reached it by mistake lands in the needs-attention list instead of passing as
done.
"""

from __future__ import annotations

from tirek.connectors.base import Connector, PermanentError


class ManualConnector(Connector):
    kind = "manual"

    def _refuse(self, *args, **kwargs):
        raise PermanentError("manual system: carry this out by hand, then close the operation")

    create = update = set_password = disable = enable = delete = _refuse
    add_to_group = remove_from_group = _refuse

    def read(self, login):
        return None

    def list_accounts(self):
        return iter(())

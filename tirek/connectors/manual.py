"""Systems with no API Tirek can reach (Platonus, Arta Synergy, PERCo, ...).

Operations for them are carried out by staff by hand; turning each operation into a work item
in the service desk is the next step (issue 5). Until then the connector refuses to act, so
the operations wait in the needs-attention list where staff see them, do the work and mark them
done (cancel) by hand.
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

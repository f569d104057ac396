from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "tirek.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from tirek.access.signals import access_request_changed
        from tirek.servicedesk.services import follow_access_request

        access_request_changed.connect(follow_access_request, dispatch_uid="servicedesk.access")

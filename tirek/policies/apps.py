from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "tirek.policies"
    label = "policies"
    verbose_name = _("Birthright policies")

    def ready(self) -> None:
        from tirek.people import events
        from tirek.policies import lifecycle, tasks  # noqa: F401  (registers periodic jobs)

        events.subscribe(lifecycle.on_events)

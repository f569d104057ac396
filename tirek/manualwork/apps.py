from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManualWorkConfig(AppConfig):
    name = "tirek.manualwork"
    label = "manualwork"
    verbose_name = _("Manual work")

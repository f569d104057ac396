from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CardsConfig(AppConfig):
    name = "tirek.cards"
    label = "cards"
    verbose_name = _("Cards and passes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tirek.cards import lifecycle

        lifecycle.connect()

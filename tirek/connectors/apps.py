from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    """No models: an app only so that its management command and URLs are found."""

    name = "tirek.connectors"
    verbose_name = "Connectors"

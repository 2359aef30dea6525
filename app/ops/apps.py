from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The operational side of the app: probes, request ids, metrics, heartbeats, logs, management commands."""

    name = "ops"
    verbose_name = "Operations"

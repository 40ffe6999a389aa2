from django.apps import AppConfig


class MessagingConfig(AppConfig):
    """SMS confirmations: per-clinic settings, the message log, provider backends,
    webhooks and the worker's tasks."""

    name = "clinic.messaging"
    label = "messaging"
    verbose_name = "Text messages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clinic.messaging import receivers  # noqa: F401 (connects the signal receivers)

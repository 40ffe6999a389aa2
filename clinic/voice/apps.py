from django.apps import AppConfig


class VoiceConfig(AppConfig):
    """Patients' calls: the clinic's voice settings, each call and its voicemail, the
    provider's signed webhooks and the worker's recording queue."""

    name = "clinic.voice"
    label = "voice"
    verbose_name = "Calls and voicemail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clinic.voice import receivers  # noqa: F401 (connects the signal receivers)

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "clinic.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # The receivers connect themselves on import.
        from clinic.audit import receivers  # noqa: F401

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "clinic.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # The receivers connect themselves on import.
        from clinic.audit import (
            actions,
            receivers,  # noqa: F401
        )

        # Every app's actions read now, once the apps are loaded: two apps declaring the
        # same action stop the start-up rather than one request.
        actions.declared()

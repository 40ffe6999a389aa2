from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "clinic.api"
    label = "api"
    verbose_name = "API keys and webhooks"

    def ready(self) -> None:
        # The OpenAPI extensions register themselves on import; the receivers connect.
        from clinic.api import receivers, schema  # noqa: F401

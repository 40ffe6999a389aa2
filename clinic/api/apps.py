from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "clinic.api"
    label = "api"
    verbose_name = "API keys and webhooks"

    def ready(self) -> None:
        # The OpenAPI extensions register themselves on import; the receivers connect;
        # the webhook tasks sit in a subpackage, which procrastinate does not look into.
        from clinic.api import receivers, schema  # noqa: F401
        from clinic.api.webhooks import tasks  # noqa: F401 (the worker finds the tasks)

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
        from clinic.api.webhooks.services import webhook_data_prune_due
        from clinic.messaging.services import PRUNED_WITH_TEXTS

        if webhook_data_prune_due not in PRUNED_WITH_TEXTS:
            PRUNED_WITH_TEXTS.append(webhook_data_prune_due)

from django.apps import AppConfig


class TenantAppConfig(AppConfig):
    """Two small tenant models that exercise the tenancy layer on its own."""

    name = "tests.tenant_app"
    label = "tenant_app"
    default_auto_field = "django.db.models.BigAutoField"

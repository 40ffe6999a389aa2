from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Clinics and members"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenancy import checks  # noqa: F401  (registers the system checks)
        from tenancy.request_transaction import install

        # A signed-in view joins the tenant middleware's transaction (no savepoint).
        install()

        post_migrate.connect(_install_context_key, sender=self)


def _install_context_key(sender, using: str, **kwargs) -> None:
    """After every migrate by the role owning the proof key's table (the owner role),
    store this server's key there: a changed SECRET_KEY takes effect with the next
    `manage.py migrate`."""
    from django.db import connections

    from tenancy.proof import install_context_key

    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'tenancy_private' "
            "AND tablename = 'context_key' AND tableowner = current_user)"
        )
        if cursor.fetchone()[0]:
            install_context_key(using)

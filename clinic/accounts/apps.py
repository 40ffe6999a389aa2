from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "clinic.accounts"
    label = "accounts"
    verbose_name = "Users"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from clinic.accounts import receivers  # noqa: F401 (the sign-in audit events connect)
        from clinic.accounts.middleware import record_sign_in

        # Every way of signing in (the login view, a test client, a second factor) ends in login().
        user_logged_in.connect(record_sign_in, dispatch_uid="accounts.record_sign_in")

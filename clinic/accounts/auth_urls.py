"""Sign-in (and its second step), sign-out, password reset and the two-factor pages,
under /accounts/ with Django's URL names (the password reset views reverse them),
templates in templates/registration/ and templates/accounts/two_factor/."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic.accounts import views
from clinic.accounts.forms import ChangePasswordForm, NewPasswordForm
from clinic.accounts.password_reset import ThrottledPasswordResetView
from clinic.accounts.two_factor import login as two_factor_login

urlpatterns = [
    path("login/", views.ClinicLoginView.as_view(), name="login"),
    path("login/verify/", two_factor_login.login_verify, name="login_verify"),
    path("two-factor/", include("clinic.accounts.two_factor.urls")),
    path("logout/", views.ClinicLogoutView.as_view(), name="logout"),
    path(
        "password_change/", auth_views.PasswordChangeView.as_view(form_class=ChangePasswordForm), name="password_change"
    ),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password_reset/", ThrottledPasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=NewPasswordForm),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

"""Sign-in, sign-out and password reset, under /accounts/ with Django's URL names
(the password reset views reverse them), templates in templates/registration/."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from clinic.accounts import views
from clinic.accounts.password_reset import ThrottledPasswordResetView

urlpatterns = [
    path("login/", views.ClinicLoginView.as_view(), name="login"),
    path("logout/", views.ClinicLogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password_reset/", ThrottledPasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

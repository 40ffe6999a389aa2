"""The accounts app's URLs, included from clinic/urls.py: the clinic picker, members,
invitations, closing a clinic and its security settings (`urlpatterns`, at the root),
and sign-in (with its second step), sign-out, password reset and the two-factor pages
(`auth_patterns`, under `accounts/`, with Django's URL names and no namespace: the
password reset views reverse them; templates in templates/registration/ and
templates/accounts/two_factor/)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic.accounts.forms import ChangePasswordForm, NewPasswordForm
from clinic.accounts.two_factor import login as two_factor_login
from clinic.accounts.views import invitations, members, offboarding, security, session, two_factor
from clinic.accounts.views.password_reset import ThrottledPasswordResetView

app_name = "accounts"

urlpatterns = [
    path("clinics/", session.clinic_picker, name="clinic_picker"),
    path("clinics/switch/", session.clinic_switch, name="clinic_switch"),
    path("members/", members.member_list, name="members"),
    path("members/invite/", members.member_invite, name="member_invite"),
    path("members/<uuid:membership_id>/role/", members.member_role, name="member_role"),
    path("members/<uuid:membership_id>/remove/", members.member_remove, name="member_remove"),
    path(
        "members/invitations/<uuid:invitation_id>/revoke/",
        members.invitation_revoke_view,
        name="invitation_revoke",
    ),
    # The link in an invitation email; works signed in or out, whatever clinic is active.
    path("invitations/<str:token>/", invitations.invitation, name="invitation"),
    path("clinic/close/", offboarding.clinic_close_page, name="clinic_close"),
    path("settings/security/", security.security_settings_page, name="security"),
]

two_factor_patterns = (
    [
        path("", two_factor.status, name="status"),
        path("setup/", two_factor.setup, name="setup"),
        path("recovery-codes/", two_factor.recovery_codes, name="recovery_codes"),
        path("turn-off/", two_factor.turn_off, name="turn_off"),
    ],
    "two_factor",
)

auth_patterns = [
    path("login/", session.ClinicLoginView.as_view(), name="login"),
    path("login/verify/", two_factor_login.login_verify, name="login_verify"),
    path("two-factor/", include(two_factor_patterns)),
    path("logout/", session.ClinicLogoutView.as_view(), name="logout"),
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

from __future__ import annotations

from django.urls import path

from clinic.accounts import invitations, members, offboarding, views
from clinic.accounts.two_factor import clinic_settings

app_name = "accounts"

urlpatterns = [
    path("clinics/", views.clinic_picker, name="clinic_picker"),
    path("clinics/switch/", views.clinic_switch, name="clinic_switch"),
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
    path("settings/security/", clinic_settings.security_settings_page, name="security"),
]

"""The admin index names apps and models in a clinic admin's words, for a clinic's
owner and for a platform superuser: no app labels ("Tenancy"), no class names ("Sms
messages")."""

from __future__ import annotations

import pytest

from tenancy.models import Membership
from tests.support.people import add_member, make_user
from tests.support.two_factor import sign_in_with_code

pytestmark = pytest.mark.django_db

CLINIC_APPS = {
    "Clinics and members": ["Clinics", "Invitations", "Members"],
    "Users": ["Users"],
    "Patients and appointments": [
        "Appointment moves",
        "Appointment status changes",
        "Appointment types",
        "Appointments",
        "Patients",
        "Providers",
        "Working hours",
    ],
    "Text messages": [
        "Confirmation requests",
        "Text consent records",
        "Text message settings",
        "Text messages",
        "Text opt-outs",
    ],
    "API keys and webhooks": ["API keys", "Webhook deliveries", "Webhook endpoints"],
    "Calls and voicemail": ["Calls", "Voice settings", "Voicemails"],
}
PLATFORM_APPS = {
    "Permission groups": ["Groups"],
    "Sign-in lockouts": ["Failed sign-ins", "Locked-out sign-ins", "Sign-ins"],
    "Background jobs": ["Jobs"],
}
# What a name must never look like: an app label, or a class name split by Django.
NOT_WORDS = ("Tenancy", "Sms", "Integrator", "Axes", "Procrastinate", "Access ", "Organization", "Membership")


def index(client) -> dict[str, list[str]]:
    response = client.get("/admin/")
    assert response.status_code == 200
    return {app["name"]: sorted(model["name"] for model in app["models"]) for app in response.context["app_list"]}


def assert_in_words(client, apps: dict) -> None:
    shown = index(client)
    page = client.get("/admin/").content.decode()
    assert shown == apps
    for word in NOT_WORDS:
        assert word not in page


def test_a_clinic_owner_reads_the_admin_index_in_words(admin_client):
    # The users of the platform are the superusers' (clinic.accounts.admin).
    assert_in_words(admin_client, {name: models for name, models in CLINIC_APPS.items() if name != "Users"})


def test_a_superuser_reads_every_app_in_words(client, org_a):
    boss = make_user("platform_boss", is_staff=True, is_superuser=True)
    add_member(org_a, boss, Membership.Role.ADMIN)
    sign_in_with_code(client, boss, org_a)
    assert_in_words(client, {**CLINIC_APPS, **PLATFORM_APPS})


@pytest.mark.parametrize("app_label", ["tenancy", "messaging", "axes", "procrastinate"])
def test_an_apps_own_page_is_titled_in_words(client, org_a, app_label):
    boss = make_user("platform_boss", is_staff=True, is_superuser=True)
    add_member(org_a, boss, Membership.Role.ADMIN)
    sign_in_with_code(client, boss, org_a)
    page = client.get(f"/admin/{app_label}/").content.decode()
    assert not any(word in page.split("<title>")[1].split("</title>")[0] for word in NOT_WORDS)

"""The Django admin shows and changes the active clinic's data only, and only for
its owners and admins (tenancy.admin)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import connection
from django.forms import ModelChoiceField
from django.test import RequestFactory

from clinic.appointments.models import Appointment, Patient
from tenancy.admin import TenantModelAdmin
from tenancy.context import tenant_context
from tenancy.models import Membership
from tests.support import factories
from tests.support.admin import make_staff, url
from tests.support.database import raw_connection
from tests.support.people import add_member, login, make_user
from tests.support.two_factor import force_login_verified, sign_in_with_code

TENANT_ADMINS = {
    model: model_admin
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, TenantModelAdmin)
}


@pytest.fixture
def data(org_a, org_b):
    """The same kinds of rows in both clinics; B's carry names A must never see."""
    rows = {}
    for org, who in ((org_a, "Anna"), (org_b, "Bruno")):
        with tenant_context(org=org):
            patient = factories.patient(first_name=who, last_name="Patient")
            provider = factories.provider(name=f"{who} Provider")
            kind = factories.appointment_type(name=f"{who} Type")
            appointment = factories.appointment(patient=patient, provider=provider, appointment_type=kind)
            endpoint = factories.webhook_endpoint(description=f"{who} hook")
            call = factories.call(from_number=patient.phone)
            rows[org.slug] = {
                "appointments.Patient": patient,
                "appointments.Provider": provider,
                "appointments.AppointmentType": kind,
                "appointments.Appointment": appointment,
                "appointments.WorkingHours": factories.working_hours(provider=provider),
                "appointments.AppointmentStatusChange": factories.appointment_status_change(appointment=appointment),
                "appointments.AppointmentMove": factories.appointment_move(appointment=appointment),
                "messaging.SmsSettings": factories.sms_settings(),
                "messaging.SmsMessage": factories.sms_message(patient=patient, appointment=appointment),
                "messaging.ConfirmationRequest": factories.confirmation_request(appointment=appointment),
                "messaging.SmsOptOut": factories.sms_opt_out(reason=f"{who} reason"),
                "messaging.SmsConsentRecord": factories.sms_consent_record(patient_id=patient.pk),
                "api.ApiKey": factories.api_key(name=f"{who} Key"),
                "api.WebhookEndpoint": endpoint,
                "api.WebhookDelivery": factories.webhook_delivery(endpoint=endpoint),
                "tenancy.Invitation": factories.invitation(email=f"{who.lower()}@example.test"),
                "voice.VoiceSettings": factories.voice_settings(),
                "voice.Call": call,
                "voice.Voicemail": factories.voicemail(call=call, patient=patient, transcript=f"{who} message"),
            }
    return rows["clinic-a"], rows["clinic-b"]


def test_every_tenant_model_has_a_tenant_admin():
    from tenancy.checks import tenant_models

    registered = {model for model in tenant_models() if model._meta.app_label in ("appointments", "messaging")}
    assert registered <= set(TENANT_ADMINS)


@pytest.mark.parametrize("model", sorted(TENANT_ADMINS, key=str), ids=lambda m: m._meta.label)
def test_the_changelist_shows_only_the_active_clinics_rows(admin_client, data, model):
    mine, theirs = data
    response = admin_client.get(url(model))
    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert mine[model._meta.label] in shown
    assert theirs[model._meta.label] not in shown
    assert all(row.organization_id == mine[model._meta.label].organization_id for row in shown)
    assert b"Bruno" not in response.content


@pytest.mark.parametrize("model", sorted(TENANT_ADMINS, key=str), ids=lambda m: m._meta.label)
@pytest.mark.parametrize("suffix", ["change/", "delete/", "history/"])
def test_another_clinics_object_is_a_404(admin_client, data, model, suffix):
    mine, theirs = data
    assert admin_client.get(url(model, f"{theirs[model._meta.label].pk}/{suffix}")).status_code == 404
    assert admin_client.get(url(model, f"{mine[model._meta.label].pk}/{suffix}")).status_code in (200, 403)


def test_another_clinics_object_cannot_be_changed_or_deleted_by_post(admin_client, data, org_b):
    _, theirs = data
    patient = theirs["appointments.Patient"]
    assert admin_client.post(url(Patient, f"{patient.pk}/change/"), {"first_name": "Stolen"}).status_code == 404
    assert admin_client.post(url(Patient, f"{patient.pk}/delete/"), {"post": "yes"}).status_code == 404
    action = {"action": "delete_selected", "_selected_action": [patient.pk], "post": "yes"}
    admin_client.post(url(Patient), action)
    with tenant_context(org=org_b):
        assert Patient.objects.get().first_name == "Bruno"


@pytest.mark.parametrize("model", sorted(TENANT_ADMINS, key=str), ids=lambda m: m._meta.label)
def test_foreign_key_choices_come_from_the_active_clinic(admin_client, data, model, org_a):
    mine, theirs = data
    response = admin_client.get(url(model, f"{mine[model._meta.label].pk}/change/"))
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        if isinstance(field, ModelChoiceField):
            # Evaluated as the request would: outside a tenant context RLS shows nothing.
            with tenant_context(org=org_a):
                choices = set(field.queryset)
            assert choices, name
            assert not {row for row in theirs.values()} & choices, name
            assert all(choice.organization_id == mine["appointments.Patient"].organization_id for choice in choices)


@pytest.fixture
def rf_request(owner_a):
    request = RequestFactory().get("/admin/")
    request.user = owner_a
    return request


def test_user_choices_are_the_active_clinics_members(rf_request, owner_a, owner_b, staff_a, org_a):
    model_admin = TENANT_ADMINS[Appointment]
    field = Appointment._meta.get_field("status_changed_by")
    with tenant_context(org=org_a):
        choices = set(model_admin.formfield_for_foreignkey(field, rf_request).queryset)
    assert choices == {owner_a, staff_a}


@pytest.mark.parametrize(
    ("field", "term"), [("patient", ""), ("patient", "patient"), ("provider", ""), ("appointment_type", "type")]
)
def test_autocomplete_offers_only_the_active_clinics_objects(admin_client, data, field, term):
    mine, theirs = data
    params = {"app_label": "appointments", "model_name": "appointment", "field_name": field, "term": term}
    response = admin_client.post("/admin/autocomplete/", params)
    assert response.status_code == 200
    ids = {result["id"] for result in response.json()["results"]}
    label = f"appointments.{'AppointmentType' if field == 'appointment_type' else field.title()}"
    assert ids == {str(mine[label].pk)}
    assert str(theirs[label].pk) not in ids


def test_autocomplete_searches_the_active_clinic_only(admin_client, data):
    params = {"app_label": "appointments", "model_name": "appointment", "field_name": "patient", "term": "Bruno"}
    assert admin_client.post("/admin/autocomplete/", params).json()["results"] == []


def test_list_filters_list_only_the_active_clinics_objects(admin_client, data, org_a):
    mine, theirs = data
    with tenant_context(org=org_a):
        # A filter shows once there are two choices.
        second = factories.appointment()
    response = admin_client.get(url(Appointment))
    offered = {}
    for spec in response.context["cl"].filter_specs:
        if getattr(spec, "field", None) is not None and spec.field.is_relation:
            offered[spec.field.name] = {str(pk) for pk, _ in spec.lookup_choices}
    assert offered == {
        "provider": {str(mine["appointments.Provider"].pk), str(second.provider_id)},
        "appointment_type": {str(mine["appointments.AppointmentType"].pk), str(second.appointment_type_id)},
    }
    assert b"Bruno" not in response.content


@pytest.mark.parametrize("model", [Patient, Appointment], ids=["patient", "appointment"])
def test_search_finds_only_the_active_clinics_rows(admin_client, data, model):
    for term, found in (("Bruno", 0), ("Anna", 1)):
        results = admin_client.post(url(model), {"q": term}, follow=True)
        assert results.context["cl"].result_count == found


def test_a_staff_member_gets_no_admin_access(client, data, staff_a, org_a):
    sign_in_with_code(client, make_staff(staff_a), org_a)
    assert client.get(url(Patient)).status_code == 403
    assert client.get(url(Patient, f"{data[0]['appointments.Patient'].pk}/change/")).status_code == 403
    assert client.get("/admin/").context["app_list"] == []


@pytest.fixture
def operator_grants_permissions():
    """The runtime role may not give anyone a global model permission (accounts_user_
    user_permissions is read-only for it, NON_TENANT_TABLES); an operator could, as the
    owner role. Standing in for one: the runtime role may INSERT there for this test."""
    role = connection.settings_dict["USER"]
    with raw_connection("owner") as owner:
        owner.execute(f"GRANT INSERT ON accounts_user_user_permissions TO {role}")
        owner.commit()
        try:
            yield
        finally:
            owner.execute(f"REVOKE INSERT ON accounts_user_user_permissions FROM {role}")
            owner.commit()


def test_roles_are_per_clinic_and_global_permissions_do_not_count(
    client, data, org_a, org_b, operator_grants_permissions
):
    """Admin in A, staff in B: with B active there is no admin, whatever Django's
    global model permissions say."""
    user = make_staff(make_user("ava_two_clinics"))
    add_member(org_a, user, Membership.Role.ADMIN)
    add_member(org_b, user, Membership.Role.STAFF)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="appointments"))
    sign_in_with_code(client, user, org_b)
    assert client.get(url(Patient)).status_code == 403
    assert client.get("/admin/").context["app_list"] == []
    sign_in_with_code(client, user, org_a)
    assert client.get(url(Patient)).status_code == 200


def test_without_an_active_clinic_there_is_no_tenant_data(client, data, owner_a):
    force_login_verified(client, make_staff(owner_a))
    assert client.get(url(Patient)).status_code == 403
    assert client.get("/admin/").context["app_list"] == []


def test_a_superuser_must_be_a_manager_of_the_active_clinic(client, data, org_a, owner_a):
    boss = make_user("platform_boss", is_staff=True, is_superuser=True)
    force_login_verified(client, boss)
    assert client.get(url(Patient)).status_code == 403
    add_member(org_a, boss, Membership.Role.STAFF)
    sign_in_with_code(client, boss, org_a)
    assert client.get(url(Patient)).status_code == 403
    with tenant_context(org=org_a, user=owner_a):
        Membership.objects.filter(user=boss).update(role=Membership.Role.ADMIN)
    response = client.get(url(Patient))
    assert response.status_code == 200
    assert [p.first_name for p in response.context["cl"].result_list] == ["Anna"]


def test_the_admin_writes_no_log_entries(admin_client, data, org_a):
    response = admin_client.post(
        url(Patient, "add/"),
        {"first_name": "New", "last_name": "Patient", "date_of_birth": "1990-01-02", "phone": "+12125551234"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    with tenant_context(org=org_a):
        created = Patient.objects.get(first_name="New")
    response = admin_client.post(
        url(Patient, f"{created.pk}/change/"),
        {"first_name": "Renamed", "last_name": "Patient", "date_of_birth": "1990-01-02", "phone": "+12125551234"},
    )
    assert response.status_code == 302
    assert admin_client.post(url(Patient, f"{created.pk}/delete/"), {"post": "yes"}).status_code == 302
    assert LogEntry.objects.count() == 0
    assert "None available" in admin_client.get("/admin/").content.decode()  # "Recent actions"


def test_an_organization_in_the_form_is_ignored(admin_client, data, org_a, org_b):
    fields = {"first_name": "Posted", "last_name": "Patient", "date_of_birth": "1990-01-02", "phone": "+12125551234"}
    response = admin_client.post(url(Patient, "add/"), {**fields, "organization": org_b.id})
    assert response.status_code == 302
    mine = data[0]["appointments.Patient"]
    admin_client.post(
        url(Patient, f"{mine.pk}/change/"),
        {
            "first_name": "Anna",
            "last_name": "Patient",
            "date_of_birth": "1980-05-17",
            "phone": mine.phone,
            "organization": org_b.id,
        },
    )
    with tenant_context(org=org_a):
        assert set(Patient.objects.values_list("first_name", "organization_id")) == {
            ("Posted", org_a.id),
            ("Anna", org_a.id),
        }
    with tenant_context(org=org_b):
        assert list(Patient.objects.values_list("first_name", flat=True)) == ["Bruno"]


def test_the_organization_admin_is_the_active_clinic_only(admin_client, org_a, org_b):
    from tenancy.models import Organization

    response = admin_client.get(url(Organization))
    assert list(response.context["cl"].result_list) == [org_a]
    assert admin_client.get(url(Organization, f"{org_b.pk}/change/")).status_code == 404
    assert admin_client.get(url(Organization, "add/")).status_code == 403
    assert admin_client.get(url(Organization, f"{org_a.pk}/delete/")).status_code == 403
    response = admin_client.post(
        url(Organization, f"{org_a.pk}/change/"), {"name": "Clinic A Renamed", "timezone": "Europe/Vienna", "slug": "x"}
    )
    assert response.status_code == 302
    with tenant_context(org=org_a):
        org = Organization.objects.get(pk=org_a.pk)
    assert (org.name, org.timezone, org.slug) == ("Clinic A Renamed", "Europe/Vienna", "clinic-a")
    assert LogEntry.objects.count() == 0


def test_the_organization_admin_refuses_an_unknown_time_zone(admin_client, org_a):
    from tenancy.models import Organization

    response = admin_client.post(url(Organization, f"{org_a.pk}/change/"), {"name": "A", "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "timezone" in response.context["adminform"].form.errors


def test_the_membership_admin_lists_the_active_clinics_members(admin_client, staff_a, owner_a, owner_b, org_a, org_b):
    add_member(org_b, owner_a, Membership.Role.STAFF)
    response = admin_client.get(url(Membership))
    members = response.context["cl"].result_list
    assert {(m.user, m.organization_id) for m in members} == {(owner_a, org_a.id), (staff_a, org_a.id)}
    with tenant_context(org=org_b):
        theirs = Membership.objects.get(user=owner_b)
    assert admin_client.get(url(Membership, f"{theirs.pk}/change/")).status_code == 404
    assert admin_client.get(url(Membership, "add/")).status_code == 403


def test_a_clinic_admin_sees_a_member_without_a_link_to_the_user_page(admin_client, staff_a, org_a):
    with tenant_context(org=org_a):
        membership = Membership.objects.get(user=staff_a)
    body = admin_client.get(url(Membership, f"{membership.pk}/change/")).content.decode()
    assert str(staff_a) in body
    assert "/admin/accounts/user/" not in body  # that page would answer 403
    assert admin_client.get(f"/admin/accounts/user/{staff_a.pk}/change/").status_code == 403


def test_a_superuser_sees_the_link_to_the_user_page(client, staff_a, org_a):
    boss = make_user("platform_boss", is_staff=True, is_superuser=True)
    add_member(org_a, boss, Membership.Role.ADMIN)
    sign_in_with_code(client, boss, org_a)
    with tenant_context(org=org_a):
        membership = Membership.objects.get(user=staff_a)
    body = client.get(url(Membership, f"{membership.pk}/change/")).content.decode()
    assert f'href="/admin/accounts/user/{staff_a.pk}/change/"' in body


def test_a_manager_whose_session_passed_no_second_factor_gets_no_admin(client, data, owner_a, org_a):
    login(client, make_staff(owner_a), org_a)
    assert client.get(url(Patient))["Location"] == f"/admin/login/?next={url(Patient)}"

"""Each audited change leaves exactly its event, with its actor, in the change's own
transaction: field names, never values; nothing for a change rolled back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from clinic.appointments.services import patient_create, patient_set_sms_consent, patient_update
from clinic.audit.models import AuditEvent
from tenancy.context import tenant_context
from tenancy.models import Membership
from tests.support.audit import actions, events
from tests.support.invitations import invite, link_in
from tests.support.people import PASSWORD, add_member, login, make_user
from tests.support.sms import book_in, enable_sms, reply

pytestmark = pytest.mark.django_db
NOT_VIEWS = {"action__in": [a for a in AuditEvent.Action.values if a not in ("view", "view_denied")]}


def test_patient_services_record_the_names_of_changed_fields(org_a):
    with tenant_context(org=org_a):
        patient = patient_create(
            first_name="Ann", last_name="Lee", date_of_birth=dt.date(1990, 1, 2), phone="+14155550111"
        )
        patient_update(patient=patient, notes="Allergic to penicillin", last_name="Lee")
        patient_set_sms_consent(patient=patient, opted_in=False)
    created, updated, consent = events(org_a, patient_id=patient.pk)
    assert (created.action, created.actor_type) == ("create", "system")
    assert set(created.changed_fields) == {"first_name", "last_name", "date_of_birth", "phone"}
    assert (updated.action, updated.changed_fields) == ("update", ["notes"])
    assert (consent.action, consent.changed_fields) == ("update", ["sms_consent"])
    assert not any("penicillin" in str(value) for event in events(org_a) for value in vars(event).values())


def test_a_rolled_back_change_leaves_no_event(org_a, people_a):
    with pytest.raises(RuntimeError), tenant_context(org=org_a), transaction.atomic():
        patient_update(patient=people_a.jane, notes="changed")
        raise RuntimeError("the request failed after the change")
    assert events(org_a, patient_id=people_a.jane.pk) == []


def test_the_staff_pages_book_and_edit_as_the_user(client, staff_a, org_a, people_a):
    login(client, staff_a, org_a)
    response = client.post(
        f"/patients/{people_a.jane.pk}/edit/",
        {"first_name": "Jane", "last_name": "Doe", "date_of_birth": "1980-05-17", "phone": "+14155550999"},
    )
    assert response.status_code == 302
    [event] = events(org_a, action="update", patient_id=people_a.jane.pk)
    assert (event.actor_user_id, event.changed_fields) == (staff_a.pk, ["phone"])


def test_api_bookings_are_recorded_with_the_key(api_a, org_a, people_a):
    response = api_a.post(
        "appointments/",
        {
            "patient": str(people_a.jane.pk),
            "provider": str(people_a.ada.pk),
            "appointment_type": str(people_a.checkup.pk),
            "starts_at": "2031-03-03T09:00:00+01:00",
        },
    )
    assert response.status_code == 201, response.content
    [event] = events(org_a, action="create", object_type="appointments.Appointment")
    assert (event.actor_type, event.patient_id, str(event.object_id)) == (
        "api_key",
        people_a.jane.pk,
        response.json()["id"],
    )
    assert api_a.post(f"appointments/{event.object_id}/cancel/").status_code == 200
    [cancel] = events(org_a, action="update", object_id=event.object_id)
    assert (cancel.actor_type, cancel.changed_fields) == ("api_key", ["status"])


def test_sign_in_failure_and_sign_out_are_recorded_in_each_clinic(client, owner_a, org_a, org_b):
    add_member(org_b, owner_a, "staff")
    assert client.post("/accounts/login/", {"username": owner_a.username, "password": "wrong"}).status_code == 200
    assert client.post("/accounts/login/", {"username": "nobody-at-all", "password": "wrong"}).status_code == 200
    assert client.post("/accounts/login/", {"username": owner_a.username, "password": PASSWORD}).status_code == 302
    for org in (org_a, org_b):
        assert actions(org, actor_user_id=owner_a.pk) == ["login_failed", "login"]
    membership = Membership.objects.none()
    with tenant_context(user=owner_a):
        membership = Membership.objects.get(user=owner_a, organization=org_b)
    assert client.post("/clinics/switch/", {"membership": membership.pk}).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert actions(org_b, actor_user_id=owner_a.pk) == ["login_failed", "login", "clinic_switch", "logout"]
    assert actions(org_a, actor_user_id=owner_a.pk) == ["login_failed", "login"]


def test_a_switch_from_one_clinic_to_another_is_recorded_in_the_new_one(
    client, owner_a, org_a, org_b, django_capture_on_commit_callbacks
):
    membership = add_member(org_b, owner_a, "staff")
    login(client, owner_a, org_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/clinics/switch/", {"membership": membership.pk}).status_code == 302
    assert actions(org_b, action="clinic_switch") == ["clinic_switch"]
    assert actions(org_a, action="clinic_switch") == []


def test_membership_changes_are_recorded_with_who_made_them(client, owner_a, org_a, on_commit, mailoutbox):
    newcomer = make_user("nina_new")
    login(client, owner_a, org_a)
    assert invite(client, on_commit, newcomer.email).status_code == 302
    client.logout()
    login(client, newcomer)
    assert client.post(link_in(mailoutbox[0]), {"answer": "accept"}).status_code == 302
    client.logout()
    login(client, owner_a, org_a)
    with tenant_context(org=org_a):
        member = Membership.objects.get(user=newcomer)
    assert client.post(f"/members/{member.pk}/role/", {"role": "admin"}).status_code == 302
    assert client.post(f"/members/{member.pk}/remove/").status_code == 302
    recorded = events(org_a, object_id=member.pk)
    assert [e.action for e in recorded] == ["member_added", "role_changed", "member_removed"]
    # The newcomer joined by accepting; the owner changed and removed them.
    assert [e.actor_user_id for e in recorded] == [newcomer.pk, owner_a.pk, owner_a.pk]


def test_api_keys_created_and_revoked_are_recorded(client, owner_a, org_a):
    login(client, owner_a, org_a)
    assert client.post("/settings/api-keys/new/", {"name": "Website", "access": "read_write"}).status_code in (200, 302)
    [created] = events(org_a, action="api_key_created", actor_user_id=owner_a.pk)
    assert client.post(f"/settings/api-keys/{created.object_id}/revoke/").status_code == 302
    [revoked] = events(org_a, action="api_key_revoked")
    assert (revoked.object_id, revoked.actor_user_id) == (created.object_id, owner_a.pk)


def test_texts_sent_and_received_are_recorded(client, org_a, people_a, sms_provider):
    import functools

    from clinic.messaging import delivery
    from clinic.messaging.models import ConfirmationRequest

    with tenant_context(org=org_a):
        enable_sms("+12025550199")
        appointment = book_in(people_a, hours=1)
        request = ConfirmationRequest.objects.get(appointment=appointment, status="pending")
        message = delivery.queue_confirmation(request.id)
    delivery.deliver(message.id, functools.partial(tenant_context, org=org_a.id))
    [sent] = events(org_a, action="sms_sent")
    assert (sent.actor_type, sent.object_id, sent.patient_id) == ("job", message.id, people_a.jane.pk)
    assert reply(client, to="+12025550199", from_=people_a.jane.phone, body="C").status_code == 200
    [received] = events(org_a, action="sms_received")
    assert (received.actor_type, received.patient_id) == ("sms_webhook", people_a.jane.pk)
    [confirmed] = events(org_a, action="update", object_id=appointment.pk)
    assert (confirmed.actor_type, confirmed.changed_fields) == ("sms_webhook", ["status"])


def test_a_stop_reply_changes_consent_as_the_sms_webhook(client, org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms("+12025550199")
    assert reply(client, to="+12025550199", from_=people_a.jane.phone, body="STOP").status_code == 200
    [consent] = events(org_a, action="update", patient_id=people_a.jane.pk)
    assert (consent.actor_type, consent.changed_fields) == ("sms_webhook", ["sms_consent"])

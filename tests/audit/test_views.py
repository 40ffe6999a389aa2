"""One `view` event per look at a patient record or an appointment, on the staff
pages, in the admin and through the API; another clinic's id records nothing in
that clinic and a `view_denied` in the prober's."""

from __future__ import annotations

import pytest

from clinic.audit.models import AuditEvent
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.audit import events
from tests.support.people import login
from tests.support.two_factor import sign_in_with_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit_a(people_a):
    with tenant_context(org=people_a.org):
        return factories.appointment(patient=people_a.jane, provider=people_a.ada, appointment_type=people_a.checkup)


@pytest.fixture
def visit_b(people_b):
    with tenant_context(org=people_b.org):
        return factories.appointment(patient=people_b.jane, provider=people_b.ada, appointment_type=people_b.checkup)


@pytest.fixture
def staff_client(client, staff_a, org_a):
    login(client, staff_a, org_a)
    return client


def views_of(org, obj) -> list[AuditEvent]:
    return events(org, action=AuditEvent.Action.VIEW, object_id=obj.pk)


def test_the_patient_page_records_one_view(staff_client, staff_a, people_a, org_a):
    response = staff_client.get(f"/patients/{people_a.jane.pk}/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Test/1")
    assert response.status_code == 200
    [event] = views_of(org_a, people_a.jane)
    assert (event.actor_type, event.actor_user_id, event.actor_label) == ("user", staff_a.pk, staff_a.username)
    assert (event.object_type, event.patient_id) == ("appointments.Patient", people_a.jane.pk)
    assert (event.ip_address, event.user_agent) == ("203.0.113.7", "Test/1")
    assert event.request_id == response["X-Request-ID"]


def test_a_well_formed_request_id_is_kept(staff_client, people_a, org_a):
    response = staff_client.get(f"/patients/{people_a.jane.pk}/", HTTP_X_REQUEST_ID="lb-1234567890abcdef")
    assert response["X-Request-ID"] == "lb-1234567890abcdef"
    assert views_of(org_a, people_a.jane)[0].request_id == "lb-1234567890abcdef"
    response = staff_client.get(f"/patients/{people_a.jane.pk}/", HTTP_X_REQUEST_ID="bad id; drop")
    assert response["X-Request-ID"] != "bad id; drop" and len(response["X-Request-ID"]) == 32


def test_the_edit_forms_record_a_view_too(staff_client, visit_a, org_a, people_a):
    assert staff_client.get(f"/patients/{people_a.jane.pk}/edit/").status_code == 200
    assert staff_client.get(f"/appointments/{visit_a.pk}/edit/").status_code == 200
    assert len(views_of(org_a, people_a.jane)) == len(views_of(org_a, visit_a)) == 1


def test_the_appointment_page_records_one_view(staff_client, visit_a, org_a, people_a):
    assert staff_client.get(f"/appointments/{visit_a.pk}/").status_code == 200
    [event] = views_of(org_a, visit_a)
    assert (event.object_type, event.patient_id) == ("appointments.Appointment", people_a.jane.pk)


def test_the_admin_records_one_view(admin_client, people_a, visit_a, org_a, owner_a):
    assert admin_client.get(f"/admin/appointments/patient/{people_a.jane.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/appointments/appointment/{visit_a.pk}/change/").status_code == 200
    [patient_view] = views_of(org_a, people_a.jane)
    [visit_view] = views_of(org_a, visit_a)
    assert patient_view.actor_user_id == visit_view.actor_user_id == owner_a.pk


def test_the_api_records_one_view_by_its_key(api_a, people_a, visit_a, org_a):
    assert api_a.get(f"patients/{people_a.jane.pk}/").status_code == 200
    assert api_a.get(f"appointments/{visit_a.pk}/").status_code == 200
    [patient_view] = views_of(org_a, people_a.jane)
    [visit_view] = views_of(org_a, visit_a)
    assert patient_view.actor_type == visit_view.actor_type == "api_key"
    assert patient_view.actor_api_key_id is not None and patient_view.actor_user_id is None


def test_lists_record_no_views(staff_client, api_a, people_a, org_a):
    assert staff_client.get("/patients/").status_code == 200
    assert api_a.get("patients/").status_code == 200
    assert events(org_a, action__in=["view", "view_denied"]) == []


@pytest.mark.parametrize(
    "surface",
    ["staff_patient", "staff_appointment", "admin_patient", "admin_appointment", "api_patient", "api_appointment"],
)
def test_another_clinics_id_is_recorded_only_in_the_probers_clinic(
    surface, client, owner_a, org_a, api_a, people_b, visit_b, org_b
):
    owner_a.is_staff = True
    owner_a.save()
    sign_in_with_code(client, owner_a, org_a)
    target = visit_b if surface.endswith("appointment") else people_b.jane
    kind = "appointment" if surface.endswith("appointment") else "patient"
    before_b = events(org_b)
    if surface.startswith("staff"):
        response = client.get(f"/{kind}s/{target.pk}/")
    elif surface.startswith("admin"):
        response = client.get(f"/admin/appointments/{kind}/{target.pk}/change/")
    else:
        response = api_a.get(f"{kind}s/{target.pk}/")
    assert response.status_code == 404
    assert events(org_b) == before_b
    [denied] = events(org_a, action__in=["view", "view_denied"])
    assert denied.action == AuditEvent.Action.VIEW_DENIED
    expected = (f"appointments.{kind.title()}", target.pk, None)
    assert (denied.object_type, denied.object_id, denied.patient_id) == expected


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/patients/{patient}/edit/"),
        ("get", "/appointments/{visit}/edit/"),
        ("post", "/appointments/{visit}/status/"),
        ("post", "/sms/appointments/{visit}/confirmation/"),
    ],
)
def test_another_clinics_id_on_any_staff_page_is_recorded_only_in_the_probers_clinic(
    method, path, staff_client, org_a, people_b, visit_b, org_b
):
    before_b = events(org_b)
    url = path.format(patient=people_b.jane.pk, visit=visit_b.pk)
    response = getattr(staff_client, method)(url, {"status": "confirmed"} if method == "post" else None)
    assert response.status_code == 404
    assert events(org_b) == before_b
    [denied] = events(org_a, action="view_denied")
    assert denied.object_id in (people_b.jane.pk, visit_b.pk)
    assert denied.object_type.startswith("page ")


def test_another_clinics_events_are_invisible(org_a, org_b):
    with tenant_context(org=org_b):
        factories.audit_event(object_type="probe")
    assert events(org_a, object_type="probe") == []


def test_a_patient_deleted_in_the_admin_leaves_a_delete_event(admin_client, owner_a, org_a):
    with tenant_context(org=org_a):
        patient = factories.patient(first_name="Temp")
    url = f"/admin/appointments/patient/{patient.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    [deleted] = events(org_a, action="delete")
    assert (deleted.object_id, deleted.patient_id, deleted.actor_user_id) == (patient.pk, patient.pk, owner_a.pk)


def test_an_admin_change_is_one_update_event_from_the_service(admin_client, owner_a, org_a, people_a):
    jane = people_a.jane
    data = {
        "first_name": "Jane",
        "last_name": jane.last_name,
        "date_of_birth": jane.date_of_birth.isoformat(),
        "phone": jane.phone,
        "email": "jane@example.org",
        "notes": "",
    }
    response = admin_client.post(f"/admin/appointments/patient/{jane.pk}/change/", data)
    assert response.status_code == 302, response.content
    assert [(e.action, e.changed_fields) for e in events(org_a, patient_id=jane.pk)] == [("update", ["email"])]

"""An API request is one transaction with the tenant set: a request that fails keeps
none of its writes, and the error still comes in the API's JSON shape."""

from __future__ import annotations

from django.test import Client

from clinic.api.views import patients as patient_views
from clinic.appointments.models import Patient
from clinic.appointments.services import patient_create
from tenancy.context import tenant_context

DATA = {"first_name": "Rolf", "last_name": "Back", "date_of_birth": "1970-01-01", "phone": "+14155550400"}


def test_a_request_that_raises_after_writing_keeps_nothing(key_a, org_a, monkeypatch):
    def create_then_fail(**fields):
        patient_create(**fields)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(patient_views, "patient_create", create_then_fail)
    client = Client(raise_request_exception=False)
    response = client.post(
        "/api/v1/patients/", DATA, content_type="application/json", headers={"Authorization": f"Bearer {key_a}"}
    )
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    with tenant_context(org=org_a):
        assert not Patient.objects.exists()


def test_the_tenant_is_set_only_inside_the_request(api_a, org_a):
    from django.db import connection

    assert api_a.get("me/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.org_id', true)")
        assert cursor.fetchone()[0] in ("", None)

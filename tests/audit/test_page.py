"""The audit page: owners and admins only, filters, the CSV export (audited), and the
patient page's link to who accessed the record."""

from __future__ import annotations

import csv
import io

import pytest

from tenancy.context import tenant_context
from tests.support import factories
from tests.support.audit import events
from tests.support.people import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, owner_a, org_a):
    login(client, owner_a, org_a)
    return client


def test_staff_and_outsiders_get_404(client, staff_a, org_a):
    login(client, staff_a, org_a)
    assert client.get("/audit/").status_code == 404
    assert client.get("/audit/?format=csv").status_code == 404


def test_the_owner_answers_who_looked_at_a_patient(owner_client, client, staff_a, owner_a, people_a, org_a):
    other = client.__class__()
    login(other, staff_a, org_a)
    other.get(f"/patients/{people_a.jane.pk}/")
    other.get(f"/patients/{people_a.john.pk}/")
    page = owner_client.get(f"/patients/{people_a.jane.pk}/")
    assert f"/audit/?patient={people_a.jane.pk}" in page.content.decode()
    response = owner_client.get("/audit/", {"patient": people_a.jane.pk, "action": "view"})
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [(e.actor_user_id, e.action) for e in rows] == [(owner_a.pk, "view"), (staff_a.pk, "view")]
    assert "Sam Staff" in response.content.decode() or staff_a.username in response.content.decode()
    by_user = owner_client.get("/audit/", {"user": str(staff_a.pk), "action": "view"}).context["page"].object_list
    assert {e.patient_id for e in by_user} == {people_a.jane.pk, people_a.john.pk}


def test_the_date_filter_uses_whole_days(owner_client, org_a):
    with tenant_context(org=org_a):
        factories.audit_event(object_type="old", at="2020-01-01T12:00:00+00:00")
    in_range = owner_client.get("/audit/", {"date_from": "2020-01-01", "date_to": "2020-01-01"})
    assert [e.object_type for e in in_range.context["page"].object_list] == ["old"]
    later = owner_client.get("/audit/", {"date_from": "2020-01-02"})
    assert "old" not in [e.object_type for e in later.context["page"].object_list]


def test_the_csv_export_is_audited_and_holds_only_this_clinic(owner_client, owner_a, org_a, org_b, people_a):
    with tenant_context(org=org_b):
        factories.audit_event(object_type="theirs")
    owner_client.get(f"/patients/{people_a.jane.pk}/")
    response = owner_client.get("/audit/", {"patient": people_a.jane.pk, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["action"] for row in rows] == ["view"]
    assert "theirs" not in response.content.decode()
    [export] = events(org_a, action="export")
    assert (export.actor_user_id, export.patient_id, export.changed_fields) == (
        owner_a.pk,
        people_a.jane.pk,
        ["patient"],
    )


def test_the_csv_does_not_hand_a_spreadsheet_a_formula(owner_client, people_a):
    owner_client.get(f"/patients/{people_a.jane.pk}/", HTTP_USER_AGENT='=HYPERLINK("http://evil")')
    response = owner_client.get("/audit/", {"action": "view", "format": "csv"})
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["user_agent"] == '\'=HYPERLINK("http://evil")'


def test_the_page_names_api_keys(owner_client, api_a, people_a):
    api_a.get(f"patients/{people_a.jane.pk}/")
    assert "API key “Integration”" in owner_client.get("/audit/", {"action": "view"}).content.decode()

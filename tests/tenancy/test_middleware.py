"""The organization comes from the session only, and only while the membership holds."""

from __future__ import annotations

import uuid

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from tenancy.context import current_org_id, tenant_context
from tenancy.middleware import TenantMiddleware
from tenancy.models import Membership
from tenancy.session import SESSION_ORG_KEY
from tests.tenant_app.models import Ledger


class Seen:
    """A view that records what it could see."""

    def __call__(self, request):
        self.organization = request.organization
        self.org_id = current_org_id()
        self.ledgers = list(Ledger.objects.values_list("name", flat=True))
        self.memberships = list(Membership.objects.values_list("organization__name", flat=True))
        return HttpResponse("ok")


def run(user, session_org) -> Seen:
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    if session_org is not None:
        request.session[SESSION_ORG_KEY] = str(session_org)
    view = Seen()
    TenantMiddleware(view)(request)
    view.session = request.session
    return view


@pytest.fixture
def ledgers(org_a, org_b):
    with tenant_context(org=org_a):
        Ledger.objects.create(name="A books")
    with tenant_context(org=org_b):
        Ledger.objects.create(name="B books")


def test_a_member_sees_the_active_clinic_only(ledgers, org_a, staff_a):
    seen = run(staff_a, org_a.id)
    assert seen.organization == org_a
    assert seen.org_id == org_a.id
    assert seen.ledgers == ["A books"]


def test_a_session_org_tampered_to_another_clinic_is_refused(ledgers, org_b, staff_a):
    seen = run(staff_a, org_b.id)
    assert seen.organization is None
    assert seen.org_id is None
    assert seen.ledgers == []
    assert SESSION_ORG_KEY not in seen.session


def test_a_removed_member_loses_access_at_once(ledgers, org_a, owner_a, staff_a):
    assert run(staff_a, org_a.id).ledgers == ["A books"]
    with tenant_context(org=org_a, user=owner_a):  # only a manager removes a member
        Membership.objects.filter(user=staff_a).delete()
    seen = run(staff_a, org_a.id)
    assert seen.organization is None
    assert seen.ledgers == []


def test_without_a_clinic_a_user_sees_only_their_own_memberships(ledgers, org_a, staff_a):
    seen = run(staff_a, None)
    assert seen.organization is None
    assert seen.ledgers == []
    assert seen.memberships == ["Clinic A"]


def test_an_outsider_sees_nothing(ledgers, org_a, outsider):
    seen = run(outsider, org_a.id)
    assert seen.organization is None
    assert seen.ledgers == []
    assert seen.memberships == []


def test_a_garbage_session_value_is_refused(ledgers, staff_a):
    seen = run(staff_a, "not-a-uuid")
    assert seen.organization is None
    assert seen.ledgers == []


def test_anonymous_requests_get_no_tenant(ledgers):
    from django.contrib.auth.models import AnonymousUser

    seen = run(AnonymousUser(), uuid.uuid4())
    assert seen.organization is None
    assert seen.ledgers == []


def test_the_org_in_a_query_string_or_header_is_ignored(client, ledgers, org_a, org_b, owner_a):
    from tests.support.people import login

    login(client, owner_a, org=org_a)
    response = client.get(f"/healthz?organization={org_b.id}", HTTP_X_ORGANIZATION=str(org_b.id))
    assert response.status_code == 200
    assert client.session[SESSION_ORG_KEY] == str(org_a.id)

"""A clinic's status: trial, active, suspended, closed, with when and why; changed only
through the lifecycle services, each change in that clinic's audit trail. No form or
admin edits it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clinic.audit.models import AuditEvent
from clinic.lifecycle.services import clinic_activate, clinic_close, clinic_reactivate, clinic_suspend
from tenancy.admin import OrganizationAdmin
from tenancy.context import tenant_context
from tenancy.models import Organization
from tenancy.services import organization_create

pytestmark = pytest.mark.django_db


def fresh(org) -> Organization:
    with tenant_context(org=org):
        return Organization.objects.get(pk=org.pk)


def test_a_clinic_is_active_unless_made_otherwise(org_a, outsider):
    assert fresh(org_a).status == "active"
    trial = organization_create(name="T", slug="t", timezone="UTC", owner=outsider, status="trial")
    assert fresh(trial).status == "trial"


def test_each_change_stores_when_and_why_and_is_audited(org_a, owner_a):
    clinic_suspend(organization_id=org_a.id, changed_by=owner_a, reason="  Unpaid\n invoice ")
    clinic = fresh(org_a)
    assert (clinic.status, clinic.status_reason) == ("suspended", "Unpaid invoice")
    assert clinic.status_changed_at is not None
    with tenant_context(org=org_a):
        event = AuditEvent.objects.get(action="clinic_suspended")
    assert (event.object_type, event.object_id, event.actor_user_id) == ("tenancy.Organization", org_a.id, owner_a.pk)
    assert event.changed_fields == ["status", "status_reason"]


def test_a_reason_is_required(org_a, owner_a):
    for reason in ("", "   ", "x" * 501):
        with pytest.raises(ValidationError):
            clinic_suspend(organization_id=org_a.id, changed_by=owner_a, reason=reason)
    assert fresh(org_a).status == "active"


def test_only_the_allowed_transitions_happen(org_a, owner_a, outsider):
    with pytest.raises(ValidationError):
        clinic_reactivate(organization_id=org_a.id, changed_by=owner_a, reason="r")
    with pytest.raises(ValidationError):
        clinic_activate(organization_id=org_a.id, changed_by=owner_a, reason="r")
    trial = organization_create(name="T", slug="t", timezone="UTC", owner=outsider, status="trial")
    assert clinic_activate(organization_id=trial.id, changed_by=outsider, reason="Paid").status == "active"
    clinic_close(organization_id=org_a.id, changed_by=owner_a, reason="Bye")
    for change in (clinic_suspend, clinic_reactivate, clinic_close):
        with pytest.raises(ValidationError):
            change(organization_id=org_a.id, changed_by=owner_a, reason="r")


def test_the_other_clinic_is_untouched(org_a, org_b, owner_a):
    clinic_suspend(organization_id=org_a.id, changed_by=owner_a, reason="Unpaid")
    assert fresh(org_b).status == "active"
    with tenant_context(org=org_b):
        assert not AuditEvent.objects.filter(action="clinic_suspended").exists()


def test_no_admin_form_edits_the_status():
    fields = set(OrganizationAdmin.fields)
    assert not fields & {"status", "status_reason", "status_changed_at"}
    for name in ("status", "status_reason", "status_changed_at"):
        assert Organization._meta.get_field(name).editable is False

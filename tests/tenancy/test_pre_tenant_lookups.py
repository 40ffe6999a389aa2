"""The narrow pre-tenant lookups: a SECURITY DEFINER function per surface maps one
key (an inbound number, a link token's hash) to a clinic id and nothing else. The
runtime role gains no policy on the tables behind them, and the platform-wide
sender number is the one declared UNIQUE without organization_id."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from clinic.messaging.models import SmsSettings
from tenancy.context import tenant_context
from tenancy.lookups import organization_for
from tests.support.database import raw_connection
from tests.support.sms import enable_sms

pytestmark = pytest.mark.django_db


@pytest.fixture
def senders(org_a, org_b):
    with tenant_context(org=org_a):
        enable_sms("+12025550199")
    with tenant_context(org=org_b):
        enable_sms("+12025550177")


def test_the_sender_lookup_returns_only_the_clinic_id(senders, org_a, org_b):
    assert organization_for("messaging_clinic_for_sender", "+12025550199") == org_a.id
    assert organization_for("messaging_clinic_for_sender", "+12025550177") == org_b.id
    assert organization_for("messaging_clinic_for_sender", "+12025550100") is None
    assert organization_for("messaging_clinic_for_sender", "") is None


def test_the_lookup_leaves_no_rows_visible_behind_it(senders):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT messaging_clinic_for_sender(%s)", ["+12025550199"])
        cursor.execute("SELECT count(*) FROM messaging_smssettings")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT current_setting('app.pre_tenant_lookup', true)")
        assert cursor.fetchone()[0] in ("", None)


def test_the_runtime_role_cannot_use_the_lookup_policy_itself(senders):
    """The lookup policy is for the function's owner only: setting its key as the
    runtime role shows nothing."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.pre_tenant_lookup', 'on', true)")
        cursor.execute("SELECT count(*) FROM messaging_smssettings")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT set_config('app.pre_tenant_lookup', 'on', true)")
        cursor.execute("SELECT count(*) FROM messaging_smsmessage")
        assert cursor.fetchone()[0] == 0


def test_the_lookup_functions_are_fixed_search_path_security_definers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, prosecdef, proconfig FROM pg_proc "
            "WHERE (proname LIKE 'messaging\\_%%' OR proname LIKE 'tenancy\\_%%') "
            "AND 'app.pre_tenant_lookup=on' = ANY(proconfig) ORDER BY proname"
        )
        rows = cursor.fetchall()
    assert [name for name, _, _ in rows] == [
        "messaging_clinic_for_sender",
        "messaging_clinic_for_token",
        "messaging_due_clinics",
        "messaging_retention_clinics",
        "tenancy_closed_clinics",
        "tenancy_invitation_for_token",
        # Not a lookup but the trigger that keeps a clinic's last owner (tenancy/0010),
        # which reads through the same owner-only policies.
        "tenancy_keep_an_owner",
        "tenancy_organization_id_for_slug",
    ]
    for _, definer, config in rows:
        assert definer is True
        # The flag that opens the owner's lookup policy is on only during the call.
        assert config == ["search_path=pg_catalog, pg_temp", "app.pre_tenant_lookup=on"]


def test_nobody_but_the_runtime_role_may_call_them(senders):
    with raw_connection("audit") as conn, pytest.raises(Exception, match="permission denied"):
        conn.execute("SELECT messaging_clinic_for_sender('+12025550199')")


def test_a_sender_number_is_unique_across_the_platform(senders, org_a):
    from django.core.exceptions import ValidationError

    from clinic.messaging.services import sms_settings_save

    with tenant_context(org=org_a), pytest.raises(ValidationError) as refused:
        sms_settings_save(sender_number="+12025550177")
    assert refused.value.message_dict == {"sender_number": ["Another clinic already uses this sender number."]}
    with tenant_context(org=org_a):
        assert SmsSettings.objects.get().sender_number == "+12025550199"


def test_the_declared_routing_keys_are_the_only_uniques_without_organization():
    from tenancy import introspection

    with connection.cursor() as cursor:
        assert introspection.unique_constraints_without_org(cursor) == []
        declared = introspection.unique_constraints_without_org(cursor, platform_unique=True)
    # The sender number routes inbound texts and the voice number inbound calls; an
    # invitation token's and a calendar feed token's hash (of 32 random bytes, so its
    # uniqueness reveals nothing) find their clinic.
    assert sorted(declared) == [
        "calendars_calendarfeed_token_uniq",
        "messaging_smssettings_sender_uniq",
        "tenancy_invitation_token_uniq",
        "voice_voicesettings_number_uniq",
    ]


def test_an_undeclared_unique_without_organization_is_still_a_finding():
    from tenancy import introspection

    # As the owner, in a transaction that is rolled back: the new index is reported.
    with raw_connection("owner") as conn:
        conn.execute("CREATE UNIQUE INDEX loose_phone ON messaging_smssettings (clinic_phone)")
        found = introspection.unique_constraints_without_org(conn.cursor())
        conn.rollback()
    assert found == ["loose_phone"]


def test_the_runtime_role_cannot_reach_any_settings_row_without_a_tenant(senders):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT messaging_clinic_for_sender(%s)", ["+12025550199"])
        cursor.execute("UPDATE messaging_smssettings SET enabled = false")
        assert cursor.rowcount == 0

"""`platform_clinic_overview()` answers only a platform superuser: rows only when the
proven user of the transaction (tenancy_proven_user(), signed by the app server, see
tenancy.proof) is an active superuser. The console calls it in the signed-in
superuser's own tenant context; SQL running as the runtime role in anyone else's
request (an injection) gets no row, and cannot claim a superuser's id without the
proof. Before, any caller got every clinic's metadata."""

from django.conf import settings
from django.db import migrations

from tenancy.operations import ReplacePreTenantFunction

RETURNS = (
    "TABLE(name text, slug text, status text, created_at timestamptz, members bigint, patients bigint, "
    "appointments bigint, messages bigint, last_activity timestamptz)"
)

# 0001's body, as it was.
PREVIOUS = """
SELECT o.name::text, o.slug::text, o.status::text, o.created_at,
       (SELECT count(*) FROM public.tenancy_membership m WHERE m.organization_id = o.id),
       (SELECT count(*) FROM public.appointments_patient p WHERE p.organization_id = o.id),
       (SELECT count(*) FROM public.appointments_appointment a WHERE a.organization_id = o.id),
       (SELECT count(*) FROM public.messaging_smsmessage s WHERE s.organization_id = o.id),
       (SELECT max(e.at) FROM public.audit_auditevent e WHERE e.organization_id = o.id)
  FROM public.tenancy_organization o
 ORDER BY o.name, o.slug
"""

OVERVIEW = """
SELECT o.name::text, o.slug::text, o.status::text, o.created_at,
       (SELECT count(*) FROM public.tenancy_membership m WHERE m.organization_id = o.id),
       (SELECT count(*) FROM public.appointments_patient p WHERE p.organization_id = o.id),
       (SELECT count(*) FROM public.appointments_appointment a WHERE a.organization_id = o.id),
       (SELECT count(*) FROM public.messaging_smsmessage s WHERE s.organization_id = o.id),
       (SELECT max(e.at) FROM public.audit_auditevent e WHERE e.organization_id = o.id)
  FROM public.tenancy_organization o
 WHERE EXISTS (SELECT 1 FROM public.accounts_user u
                WHERE u.id = public.tenancy_proven_user() AND u.is_superuser AND u.is_active)
 ORDER BY o.name, o.slug
"""


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0001_platform_clinic_overview"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        ReplacePreTenantFunction(
            "platform_clinic_overview",
            "",
            RETURNS,
            OVERVIEW,
            PREVIOUS,
            (
                "tenancy.Organization",
                "tenancy.Membership",
                "appointments.Patient",
                "appointments.Appointment",
                "messaging.SmsMessage",
                "audit.AuditEvent",
            ),
        )
    ]

"""The platform console's one read: `platform_clinic_overview()`, every clinic's
metadata and nothing else: name, slug, status, created, how many members, patients,
appointments and texts it has, and when its audit trail last recorded anything. Counts
and dates, never a row of clinic data: the console (clinic.lifecycle.console) shows
superusers this list and no patient ever. How it reads without a bypass: see
tenancy.operations.AddPreTenantFunction."""

from django.db import migrations

from tenancy.operations import AddPreTenantFunction

RETURNS = (
    "TABLE(name text, slug text, status text, created_at timestamptz, members bigint, patients bigint, "
    "appointments bigint, messages bigint, last_activity timestamptz)"
)

OVERVIEW = """
SELECT o.name::text, o.slug::text, o.status::text, o.created_at,
       (SELECT count(*) FROM public.tenancy_membership m WHERE m.organization_id = o.id),
       (SELECT count(*) FROM public.appointments_patient p WHERE p.organization_id = o.id),
       (SELECT count(*) FROM public.appointments_appointment a WHERE a.organization_id = o.id),
       (SELECT count(*) FROM public.messaging_smsmessage s WHERE s.organization_id = o.id),
       (SELECT max(e.at) FROM public.audit_auditevent e WHERE e.organization_id = o.id)
  FROM public.tenancy_organization o
 ORDER BY o.name, o.slug
"""


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0008_first_owner_invitation"),
        ("appointments", "0004_appointment_sequence"),
        ("messaging", "0001_initial"),
        ("audit", "0005_clinic_lifecycle_actions"),
    ]

    operations = [
        AddPreTenantFunction(
            "platform_clinic_overview",
            "",
            RETURNS,
            OVERVIEW,
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

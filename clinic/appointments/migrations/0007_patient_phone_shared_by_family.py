"""Patients of one clinic may share a phone number (a parent's phone for their
children): the unique constraint goes, a plain index on (organization, phone) keeps
the lookups by number (inbound texts, the opt-out list) fast. The index is built
before the constraint (and its index) is dropped, so the lookups are never without one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0006_patient_timezone"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["organization", "phone"], name="appt_patient_org_phone_idx"),
        ),
        migrations.RemoveConstraint(
            model_name="patient",
            name="appointments_patient_org_phone_uniq",
        ),
    ]

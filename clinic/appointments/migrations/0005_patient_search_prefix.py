"""Patient search by prefix through indexes that row-level security lets the planner use.

Under RLS only leakproof operators may be index conditions; LIKE is not, so the trigram
index on search_name was never used by the runtime role and is dropped. The search now
matches a prefix of the first or last name as a range (`>=`, `<`: leakproof) on two
btree indexes leading with organization_id, in collation "C" so a prefix is a range.

search_last (the accent-free last name) is filled for existing rows by the database
while the column is added: it starts as a generated column, computed for every row as
the table is rewritten (no policy applies to a rewrite, so nothing is bypassed), then
becomes a plain column that Patient.save() keeps. The SQL expression matches the
Python search_key() for the accents and letters names use; a rarer character (e.g.
'ß', folded to 'ss' in Python) is corrected by the patient's next save."""

from django.db import migrations, models

BACKFILL = r"""
ALTER TABLE appointments_patient ADD COLUMN search_last varchar(100) COLLATE "C"
    GENERATED ALWAYS AS (
        btrim(regexp_replace(
            regexp_replace(lower(normalize(last_name, NFKD)), '[\u0300-\u036f]', '', 'g'),
            '\s+', ' ', 'g'))
    ) STORED;
ALTER TABLE appointments_patient ALTER COLUMN search_last DROP EXPRESSION;
ALTER TABLE appointments_patient ALTER COLUMN search_last SET NOT NULL;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_appointment_sequence"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="patient", name="appt_patient_search_trgm_idx"),
        migrations.AlterField(
            model_name="patient",
            name="search_name",
            field=models.CharField(db_collation="C", default="", editable=False, max_length=201),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="patient",
                    name="search_last",
                    field=models.CharField(db_collation="C", default="", editable=False, max_length=100),
                ),
            ],
            database_operations=[
                migrations.RunSQL(BACKFILL, reverse_sql="ALTER TABLE appointments_patient DROP COLUMN search_last"),
            ],
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["organization", "search_name"], name="appt_patient_org_search_idx"),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["organization", "search_last"], name="appt_patient_org_slast_idx"),
        ),
    ]

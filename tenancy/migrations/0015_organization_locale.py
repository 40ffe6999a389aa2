"""A clinic's locale (Organization.locale): the order in which its pages read and show
dates, en-us month first (12/20/1961), en-gb day first (20/12/1961).

Existing clinics get the order of their time zone's country: month first in the United
States and the places that write dates its way, day first in every other country, and
en-us (Django's default, what every clinic had so far) for a zone of no country (UTC).
The column is filled by the database while it is added: it starts as a generated
column, computed for every row as the table is rewritten (no policy applies to a
rewrite, so nothing is bypassed), then becomes a plain column with a default.

The zones are read here, from the tz database, rather than from any app module: a
migration must do the same thing on every later install."""

from importlib import resources

from django.db import migrations, models

import tenancy.models

MONTH_FIRST_COUNTRIES = {"US", "PR", "GU", "AS", "VI", "MP", "UM", "FM", "MH", "PW"}


def _day_first_zones() -> list[str]:
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in table.splitlines() if line and not line.startswith("#"))
    return sorted(row[2] for row in rows if len(row) >= 3 and row[0] not in MONTH_FIRST_COUNTRIES)


ZONES = ", ".join(f"'{zone}'" for zone in _day_first_zones())

FORWARD = f"""
ALTER TABLE tenancy_organization ADD COLUMN locale varchar(16)
    GENERATED ALWAYS AS (CASE WHEN timezone IN ({ZONES}) THEN 'en-gb' ELSE 'en-us' END) STORED;
ALTER TABLE tenancy_organization ALTER COLUMN locale DROP EXPRESSION;
ALTER TABLE tenancy_organization ALTER COLUMN locale SET DEFAULT 'en-us';
ALTER TABLE tenancy_organization ALTER COLUMN locale SET NOT NULL;
"""


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0014_clinic_and_member_names")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="organization",
                    name="locale",
                    field=models.CharField(
                        db_default="en-us",
                        default="en-us",
                        help_text="A language code of settings.LANGUAGES, e.g. en-gb.",
                        max_length=16,
                        validators=[tenancy.models.validate_locale],
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(FORWARD, reverse_sql="ALTER TABLE tenancy_organization DROP COLUMN locale"),
            ],
        ),
    ]

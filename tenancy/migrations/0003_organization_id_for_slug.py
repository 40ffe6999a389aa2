"""`tenancy_organization_id_for_slug(slug)`: the clinic id for a slug, before any
tenant is set, for operator commands that name a clinic by its slug
(`manage.py create_api_key --clinic northside`).

Organizations are visible only to their members or as the current tenant, and a
command has neither a user nor a tenant yet. See AddPreTenantLookup for how the
function reads the one row it needs and nothing else."""

from django.db import migrations

from tenancy.operations import AddPreTenantLookup


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0002_row_level_security")]

    operations = [AddPreTenantLookup("tenancy_organization_id_for_slug", "organization", "slug", returns="id")]

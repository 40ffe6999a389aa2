"""`tenancy_organization_id_for_slug(slug)`: the clinic id for a slug, before any
tenant is set, for operator commands that name a clinic by its slug
(`manage.py create_api_key --clinic northside`).

Organizations are visible only to their members or as the current tenant, and a
command has neither a user nor a tenant yet. The function runs as the owner role
(SECURITY DEFINER), which FORCE ROW LEVEL SECURITY binds too; one extra policy, for
the owner role only, lets it read the organization whose slug equals
`app.org_slug_lookup`, which the function sets for its one query and clears. It
returns the id and nothing else; everything after runs in that clinic's tenant
context. EXECUTE is revoked from PUBLIC and granted to the runtime role by
`manage.py db_roles`."""

from django.db import migrations

FORWARD = """
CREATE POLICY organization_slug_lookup ON tenancy_organization FOR SELECT TO CURRENT_USER
    USING (slug = NULLIF(current_setting('app.org_slug_lookup', true), ''));

CREATE FUNCTION tenancy_organization_id_for_slug(org_slug text)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    found uuid;
BEGIN
    PERFORM set_config('app.org_slug_lookup', org_slug, true);
    SELECT o.id INTO found FROM tenancy_organization o WHERE o.slug = org_slug;
    PERFORM set_config('app.org_slug_lookup', '', true);
    RETURN found;
END
$$;

REVOKE ALL ON FUNCTION tenancy_organization_id_for_slug(text) FROM PUBLIC;
"""

BACKWARD = """
DROP FUNCTION IF EXISTS tenancy_organization_id_for_slug(text);
DROP POLICY IF EXISTS organization_slug_lookup ON tenancy_organization;
"""


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0002_row_level_security")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]

"""Row-level security for organizations and memberships (invariant 7).

Organizations: a user sees the organizations they are a member of (`app.user_id`);
only the current organization (`app.org_id`) can be inserted, changed or deleted.
Memberships: a user sees their own memberships; the current organization's
memberships are visible and writable while it is the current tenant.

Creating a clinic needs no bypass: generate its id, open a tenant context for that
id, insert the organization (WITH CHECK accepts it: its id is the current org),
then the owner's membership (tenancy.services.create_organization)."""

from django.db import migrations

from tenancy.operations import AddTenantForeignKey

ORG = "NULLIF(current_setting('app.org_id', true), '')::uuid"
USER = "NULLIF(current_setting('app.user_id', true), '')"

FORWARD = f"""
ALTER TABLE tenancy_organization ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy_organization FORCE ROW LEVEL SECURITY;
CREATE POLICY organization_current ON tenancy_organization FOR ALL
    USING (id = {ORG}) WITH CHECK (id = {ORG});
CREATE POLICY organization_member_read ON tenancy_organization FOR SELECT
    USING (EXISTS (SELECT 1 FROM tenancy_membership m
                   WHERE m.organization_id = tenancy_organization.id
                     AND m.user_id::text = {USER}));

ALTER TABLE tenancy_membership ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy_membership FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenancy_membership FOR ALL
    USING (organization_id = {ORG}) WITH CHECK (organization_id = {ORG});
CREATE POLICY membership_own_read ON tenancy_membership FOR SELECT
    USING (user_id::text = {USER});
"""

BACKWARD = """
DROP POLICY IF EXISTS membership_own_read ON tenancy_membership;
DROP POLICY IF EXISTS tenant_isolation ON tenancy_membership;
ALTER TABLE tenancy_membership NO FORCE ROW LEVEL SECURITY;
ALTER TABLE tenancy_membership DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS organization_member_read ON tenancy_organization;
DROP POLICY IF EXISTS organization_current ON tenancy_organization;
ALTER TABLE tenancy_organization NO FORCE ROW LEVEL SECURITY;
ALTER TABLE tenancy_organization DISABLE ROW LEVEL SECURITY;
"""


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [
        AddTenantForeignKey("membership", "organization"),
        migrations.RunSQL(FORWARD, reverse_sql=BACKWARD),
    ]

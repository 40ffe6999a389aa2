"""The policies accept only a proven tenant (tenancy.proof), and a role in a clinic is
granted only by someone who may grant it.

Every tenant policy compares with tenancy_proven_org(): `app.org_id` counts only
with the app server's proof for this transaction. Organizations and memberships use
tenancy_proven_user() likewise, so `app.user_id` set by hand shows nobody's clinics.

A membership row (a role in a clinic) may be written, as a restrictive policy on top
of the tenant policy, only when tenancy_may_grant_role() agrees: the proven user is
an owner of the proven clinic, or an admin and the role is not owner; or the clinic
has no member yet and the proven user makes themselves its owner, the onboarding of
tenancy.services.organization_create. SQL running as the runtime role can neither
add a member to its own clinic nor promote itself."""

from django.db import migrations

from tenancy.operations import PROVEN_ORG_SQL, PROVEN_USER_SQL, UNPROVEN_ORG_SQL, ProveTenantPolicies

UNPROVEN_USER_SQL = "NULLIF(current_setting('app.user_id', true), '')"

MAY_GRANT = """
CREATE FUNCTION tenancy_may_grant_role(target_user uuid, target_role text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT proven.org IS NOT NULL AND proven.usr IS NOT NULL AND (
        EXISTS (SELECT 1 FROM public.tenancy_membership m
                WHERE m.organization_id = proven.org AND m.user_id = proven.usr
                  AND (m.role = 'owner' OR (m.role = 'admin' AND target_role <> 'owner')))
        OR (target_user = proven.usr AND target_role = 'owner'
            AND NOT EXISTS (SELECT 1 FROM public.tenancy_membership m WHERE m.organization_id = proven.org)))
    FROM (SELECT public.tenancy_proven_org() AS org, public.tenancy_proven_user() AS usr) proven
$$;
REVOKE ALL ON FUNCTION tenancy_may_grant_role(uuid, text) FROM PUBLIC;
"""


def _policies(org: str, user: str, user_cast: str) -> str:
    return f"""
ALTER POLICY organization_current ON tenancy_organization USING (id = {org}) WITH CHECK (id = {org});
ALTER POLICY organization_member_read ON tenancy_organization
    USING (EXISTS (SELECT 1 FROM tenancy_membership m
                   WHERE m.organization_id = tenancy_organization.id AND m.user_id{user_cast} = {user}));
ALTER POLICY membership_own_read ON tenancy_membership USING (user_id{user_cast} = {user});
"""


FORWARD = (
    _policies(PROVEN_ORG_SQL, PROVEN_USER_SQL, "")
    + MAY_GRANT
    + """
CREATE POLICY membership_grant ON tenancy_membership AS RESTRICTIVE FOR INSERT
    WITH CHECK (tenancy_may_grant_role(user_id, role));
CREATE POLICY membership_regrant ON tenancy_membership AS RESTRICTIVE FOR UPDATE
    USING (tenancy_may_grant_role(user_id, role)) WITH CHECK (tenancy_may_grant_role(user_id, role));
"""
)

BACKWARD = """
DROP POLICY IF EXISTS membership_regrant ON tenancy_membership;
DROP POLICY IF EXISTS membership_grant ON tenancy_membership;
DROP FUNCTION IF EXISTS tenancy_may_grant_role(uuid, text);
""" + _policies(UNPROVEN_ORG_SQL, UNPROVEN_USER_SQL, "::text")


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0003_organization_id_for_slug")]

    operations = [
        ProveTenantPolicies(),
        migrations.RunSQL(FORWARD, reverse_sql=BACKWARD),
    ]

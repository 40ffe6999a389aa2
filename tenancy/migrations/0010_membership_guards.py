"""Roles are taken away only by those who may give them, a clinic always keeps an
owner, and no clinic is deleted by the runtime role.

- A membership row is deleted or changed only when tenancy_may_invite() agrees for its
  role (before and after a change): a proven owner of the clinic, or a proven admin
  when the role is not owner. Before, any proven member could delete any membership of
  their clinic, every owner included, after which "a clinic with no member yet" let
  them make themselves its owner (0004_proven_context). Inserting is unchanged
  (tenancy_may_grant_role: a manager, the first owner of a new clinic, an invitee).
- The last owner of a clinic is never removed or demoted: a constraint trigger, after
  each change to an owner's row, refuses it if the clinic is still there and has no
  owner left. It reads both tables as the owner role through lookup policies of its
  own (as the pre-tenant functions do, tenancy.operations.AddPreTenantFunction), so
  its answer does not depend on the transaction's tenant settings, which SQL may
  change in the same statement. The purge of a closed clinic deletes the organization
  and its memberships go with it by cascade: the clinic is gone, so nothing is refused.
  A trigger function cannot be called as a function: it tells the runtime role nothing.
- Only the owner role deletes an organization (tenancy.operations.ReserveDeletesToOwner):
  a clinic's deletion cascades to all its data, its audit trail included."""

from django.db import migrations

from tenancy.operations import PRE_TENANT_FLAG, ReserveDeletesToOwner

LOOKUP = "lookup_tenancy_keep_an_owner"
FLAG_ON = f"current_setting('{PRE_TENANT_FLAG}', true) = 'on'"

FORWARD = f"""
CREATE POLICY membership_revoke ON tenancy_membership AS RESTRICTIVE FOR DELETE
    USING (tenancy_may_invite(role));
ALTER POLICY membership_regrant ON tenancy_membership
    USING (tenancy_may_invite(role)) WITH CHECK (tenancy_may_invite(role));

CREATE POLICY {LOOKUP} ON tenancy_organization FOR SELECT TO CURRENT_USER USING ({FLAG_ON});
CREATE POLICY {LOOKUP} ON tenancy_membership FOR SELECT TO CURRENT_USER USING ({FLAG_ON});
CREATE FUNCTION tenancy_keep_an_owner() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET "{PRE_TENANT_FLAG}" = 'on' AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM public.tenancy_organization o WHERE o.id = OLD.organization_id)
       AND NOT EXISTS (SELECT 1 FROM public.tenancy_membership m
                       WHERE m.organization_id = OLD.organization_id AND m.role = 'owner') THEN
        RAISE EXCEPTION 'a clinic always keeps one owner'
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Make someone else an owner first.';
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION tenancy_keep_an_owner() FROM PUBLIC;
CREATE CONSTRAINT TRIGGER membership_keeps_an_owner AFTER UPDATE OR DELETE ON tenancy_membership
    DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW WHEN (OLD.role = 'owner')
    EXECUTE FUNCTION tenancy_keep_an_owner();
"""

BACKWARD = f"""
DROP TRIGGER IF EXISTS membership_keeps_an_owner ON tenancy_membership;
DROP FUNCTION IF EXISTS tenancy_keep_an_owner();
DROP POLICY IF EXISTS {LOOKUP} ON tenancy_membership;
DROP POLICY IF EXISTS {LOOKUP} ON tenancy_organization;
ALTER POLICY membership_regrant ON tenancy_membership
    USING (tenancy_may_grant_role(user_id, role)) WITH CHECK (tenancy_may_grant_role(user_id, role));
DROP POLICY IF EXISTS membership_revoke ON tenancy_membership;
"""


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0009_cheaper_proof_check")]

    operations = [
        migrations.RunSQL(FORWARD, reverse_sql=BACKWARD),
        ReserveDeletesToOwner("organization"),
    ]

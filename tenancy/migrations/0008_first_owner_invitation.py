"""A clinic created by the platform operator starts with no member: its first owner
joins by accepting an invitation. The database admits that one invitation:
tenancy_may_offer_first_owner() lets a proven user offer the owner role of the proven
clinic while that clinic has no member at all. Once anyone has joined, only its
owners and admins invite (0006_invitation_grants)."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION tenancy_may_offer_first_owner(target_role text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT target_role = 'owner'
       AND public.tenancy_proven_org() IS NOT NULL AND public.tenancy_proven_user() IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM public.tenancy_membership m
                       WHERE m.organization_id = public.tenancy_proven_org())
$$;
REVOKE ALL ON FUNCTION tenancy_may_offer_first_owner(text) FROM PUBLIC;
ALTER POLICY invitation_offer ON tenancy_invitation
    WITH CHECK (tenancy_may_invite(role) OR tenancy_may_offer_first_owner(role));
"""

BACKWARD = """
ALTER POLICY invitation_offer ON tenancy_invitation WITH CHECK (tenancy_may_invite(role));
DROP FUNCTION IF EXISTS tenancy_may_offer_first_owner(text);
"""


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0007_organization_status")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]

"""Invitations are offers of a role, so the database holds them to the rule of
memberships (0004_proven_context): only a proven owner of the clinic, or a proven admin
for a role other than owner, may write one. The invitee may do one thing with an
invitation addressed to them while it is pending: accept it (recording themselves) or
decline it — never change its role, address or expiry (a trigger compares old and new).

Accepting is the second way a membership is granted: tenancy_may_grant_role() now also
admits a proven user joining with the role of an invitation of that clinic that they
accepted, addressed to their own email."""

from django.conf import settings
from django.db import migrations

DEFINER = "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp"

FUNCTIONS = f"""
CREATE FUNCTION tenancy_may_invite(target_role text) RETURNS boolean {DEFINER} AS $$
    SELECT EXISTS (SELECT 1 FROM public.tenancy_membership m
                   WHERE m.organization_id = public.tenancy_proven_org()
                     AND m.user_id = public.tenancy_proven_user()
                     AND (m.role = 'owner' OR (m.role = 'admin' AND target_role <> 'owner')))
$$;
CREATE FUNCTION tenancy_is_proven_users_email(address text) RETURNS boolean {DEFINER} AS $$
    SELECT EXISTS (SELECT 1 FROM public.{{users}} u
                   WHERE u.id = public.tenancy_proven_user() AND lower(u.email) = lower(address))
$$;
CREATE OR REPLACE FUNCTION tenancy_may_grant_role(target_user uuid, target_role text) RETURNS boolean {DEFINER} AS $$
    SELECT proven.org IS NOT NULL AND proven.usr IS NOT NULL AND (
        public.tenancy_may_invite(target_role)
        OR (target_user = proven.usr AND target_role = 'owner'
            AND NOT EXISTS (SELECT 1 FROM public.tenancy_membership m WHERE m.organization_id = proven.org))
        OR (target_user = proven.usr AND EXISTS (
            SELECT 1 FROM public.tenancy_invitation i
            WHERE i.organization_id = proven.org AND i.accepted_by_id = proven.usr AND i.role = target_role
              AND i.accepted_at IS NOT NULL AND i.revoked_at IS NULL
              AND public.tenancy_is_proven_users_email(i.email))))
    FROM (SELECT public.tenancy_proven_org() AS org, public.tenancy_proven_user() AS usr) proven
$$;
CREATE FUNCTION tenancy_invitation_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF public.tenancy_may_invite(OLD.role) THEN
        RETURN NEW;
    END IF;
    IF OLD.accepted_at IS NOT NULL OR OLD.revoked_at IS NOT NULL OR OLD.expires_at <= now()
       OR (NEW.organization_id, NEW.email, NEW.role, NEW.token_hash, NEW.invited_by_id, NEW.created_at,
           NEW.expires_at)
          IS DISTINCT FROM (OLD.organization_id, OLD.email, OLD.role, OLD.token_hash, OLD.invited_by_id,
                            OLD.created_at, OLD.expires_at)
       OR NEW.accepted_by_id IS DISTINCT FROM (CASE WHEN NEW.accepted_at IS NULL THEN NULL
                                                    ELSE public.tenancy_proven_user() END) THEN
        RAISE EXCEPTION 'only an owner or admin of the clinic may change this invitation'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION tenancy_may_invite(text), tenancy_is_proven_users_email(text),
    tenancy_invitation_guard() FROM PUBLIC;
CREATE TRIGGER invitation_guard BEFORE UPDATE ON tenancy_invitation
    FOR EACH ROW EXECUTE FUNCTION tenancy_invitation_guard();
CREATE POLICY invitation_offer ON tenancy_invitation AS RESTRICTIVE FOR INSERT
    WITH CHECK (tenancy_may_invite(role));
CREATE POLICY invitation_answer ON tenancy_invitation AS RESTRICTIVE FOR UPDATE
    USING (tenancy_may_invite(role) OR tenancy_is_proven_users_email(email))
    WITH CHECK (tenancy_may_invite(role) OR tenancy_is_proven_users_email(email));
"""

# 0004's function, as it was.
BACKWARD = """
DROP POLICY IF EXISTS invitation_answer ON tenancy_invitation;
DROP POLICY IF EXISTS invitation_offer ON tenancy_invitation;
DROP TRIGGER IF EXISTS invitation_guard ON tenancy_invitation;
DROP FUNCTION IF EXISTS tenancy_invitation_guard();
CREATE OR REPLACE FUNCTION tenancy_may_grant_role(target_user uuid, target_role text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT proven.org IS NOT NULL AND proven.usr IS NOT NULL AND (
        EXISTS (SELECT 1 FROM public.tenancy_membership m
                WHERE m.organization_id = proven.org AND m.user_id = proven.usr
                  AND (m.role = 'owner' OR (m.role = 'admin' AND target_role <> 'owner')))
        OR (target_user = proven.usr AND target_role = 'owner'
            AND NOT EXISTS (SELECT 1 FROM public.tenancy_membership m WHERE m.organization_id = proven.org)))
    FROM (SELECT public.tenancy_proven_org() AS org, public.tenancy_proven_user() AS usr) proven
$$;
DROP FUNCTION IF EXISTS tenancy_is_proven_users_email(text);
DROP FUNCTION IF EXISTS tenancy_may_invite(text);
"""


def forwards(apps, schema_editor):
    users = apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table
    schema_editor.execute(FUNCTIONS.replace("{users}", schema_editor.quote_name(users)))


def backwards(apps, schema_editor):
    schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0005_invitation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

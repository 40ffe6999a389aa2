"""When a clinic's status last changed is the database's own clock, not the writer's.

The purge of closed clinics (the owner role's `manage.py purge_closed_clinics`) deletes
a clinic once `status_changed_at` is older than the grace period. Were that column
writable, SQL running as the runtime role in a member's request could close the clinic
"40 days ago" and have the next purge delete it with all its data: the deletion the
runtime role may not do itself (0010_membership_guards). So a trigger sets
`status_changed_at` to the transaction's time whenever the status changes, and refuses
any other change of it: a closed clinic always gets its whole grace period, during
which its owners see it and download its export. The owner role (an operator's repair,
a test's) is exempt."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION tenancy_organization_status_clock() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
               WHERE c.oid = TG_RELID AND r.rolname = current_user) THEN
        RETURN NEW;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.status_changed_at := now();
    ELSIF NEW.status_changed_at IS DISTINCT FROM OLD.status_changed_at THEN
        RAISE EXCEPTION 'a clinic''s status_changed_at is set by the database when its status changes'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION tenancy_organization_status_clock() FROM PUBLIC;
CREATE TRIGGER organization_status_clock BEFORE UPDATE ON tenancy_organization
    FOR EACH ROW EXECUTE FUNCTION tenancy_organization_status_clock();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS organization_status_clock ON tenancy_organization;
DROP FUNCTION IF EXISTS tenancy_organization_status_clock();
"""


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0010_membership_guards")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]

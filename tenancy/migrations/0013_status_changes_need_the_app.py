"""A clinic's status changes only through the app's lifecycle services.

0011 made the time of a status change the database's own. The status itself was still
anybody's to write in their clinic's row: SQL running as the runtime role in a staff
member's request could close the clinic (locking everyone out), or, in the owner's
export of a closed clinic, open it again. The status clock's trigger now also refuses a
change of status unless the app server signed the grant `clinic_status` for the
transaction (tenancy.context.granted, asked for by
clinic.lifecycle.services alone), which SQL cannot forge. The owner role stays exempt."""

from django.db import migrations

from tenancy.operations import install_proof_machinery

STATUS_GRANT = "clinic_status"

FUNCTION = """
CREATE OR REPLACE FUNCTION tenancy_organization_status_clock() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
               WHERE c.oid = TG_RELID AND r.rolname = current_user) THEN
        RETURN NEW;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF public.tenancy_proven_grant() IS DISTINCT FROM '{grant}' THEN
            RAISE EXCEPTION 'a clinic''s status changes only through the app'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.status_changed_at := now();
    ELSIF NEW.status_changed_at IS DISTINCT FROM OLD.status_changed_at THEN
        RAISE EXCEPTION 'a clinic''s status_changed_at is set by the database when its status changes'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION tenancy_organization_status_clock() RETURNS trigger
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
"""


def install_grant_function(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        install_proof_machinery(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0012_job_slots"), ("accounts", "0004_accounts_under_the_guarantee")]

    operations = [
        migrations.RunPython(install_grant_function, migrations.RunPython.noop),
        migrations.RunSQL(FUNCTION.replace("{grant}", STATUS_GRANT), reverse_sql=PREVIOUS),
    ]

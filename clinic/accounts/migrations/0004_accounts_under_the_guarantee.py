"""Users and their second factors under the database's guarantee.

SQL running as the runtime role could rewrite any user's password hash, email or
platform roles and read every second factor. From here:
- `accounts_user`: everyone may read the rows (sign-in finds a user by name before
  anyone is proven; the hash is sealed, clinic.accounts.passwords), anyone may add a
  user (sign-up, invitations), but only the proven user changes or deletes their own
  row — or a platform superuser, proven the same way. A trigger refuses any change of
  `is_staff` / `is_superuser` unless the app server signed the grant for it
  (User.save) or the table's owner (an operator's command) makes it.
- django-otp's devices and recovery codes: visible and writable by the proven user
  alone (or a proven platform superuser, who may remove a lost phone in the admin).
Not FORCEd: the owner role (migrations, operators' commands) stays above them."""

from django.db import migrations, models

from tenancy.operations import install_proof_machinery

OWN_ROW = "{column} = (SELECT tenancy_proven_user()) OR (SELECT accounts_proven_superuser())"

FORWARDS = [
    """CREATE FUNCTION accounts_proven_superuser() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT coalesce((SELECT u.is_superuser FROM public.accounts_user u
                           WHERE u.id = public.tenancy_proven_user()), false) $$""",
    "REVOKE ALL ON FUNCTION accounts_proven_superuser() FROM PUBLIC",
    """CREATE FUNCTION accounts_user_platform_roles_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
        IF current_user = (SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = TG_RELID) THEN
            RETURN NEW;
        END IF;
        IF (TG_OP = 'INSERT' AND (NEW.is_staff OR NEW.is_superuser))
           OR (TG_OP = 'UPDATE' AND (NEW.is_staff, NEW.is_superuser) IS DISTINCT FROM (OLD.is_staff, OLD.is_superuser))
        THEN
            IF public.tenancy_proven_grant() IS DISTINCT FROM 'platform_roles' THEN
                RAISE EXCEPTION 'platform roles (is_staff, is_superuser) change only through the app'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER accounts_user_platform_roles BEFORE INSERT OR UPDATE ON accounts_user
    FOR EACH ROW EXECUTE FUNCTION accounts_user_platform_roles_guard()""",
    "ALTER TABLE accounts_user ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY user_read ON accounts_user FOR SELECT USING (true)",
    "CREATE POLICY user_add ON accounts_user FOR INSERT WITH CHECK (true)",
    f"CREATE POLICY user_change_own ON accounts_user FOR UPDATE USING ({OWN_ROW.format(column='id')}) "
    f"WITH CHECK ({OWN_ROW.format(column='id')})",
    f"CREATE POLICY user_delete_own ON accounts_user FOR DELETE USING ({OWN_ROW.format(column='id')})",
    "ALTER TABLE otp_totp_totpdevice ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY own_devices ON otp_totp_totpdevice FOR ALL USING ({OWN_ROW.format(column='user_id')}) "
    f"WITH CHECK ({OWN_ROW.format(column='user_id')})",
    "ALTER TABLE otp_static_staticdevice ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY own_devices ON otp_static_staticdevice FOR ALL USING ({OWN_ROW.format(column='user_id')}) "
    f"WITH CHECK ({OWN_ROW.format(column='user_id')})",
    # A token belongs to whoever may see its device (that table's own policy applies).
    "ALTER TABLE otp_static_statictoken ENABLE ROW LEVEL SECURITY",
    """CREATE POLICY own_devices ON otp_static_statictoken FOR ALL
    USING (device_id IN (SELECT d.id FROM otp_static_staticdevice d))
    WITH CHECK (device_id IN (SELECT d.id FROM otp_static_staticdevice d))""",
]

BACKWARDS = [
    "DROP POLICY IF EXISTS own_devices ON otp_static_statictoken",
    "ALTER TABLE otp_static_statictoken DISABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS own_devices ON otp_static_staticdevice",
    "ALTER TABLE otp_static_staticdevice DISABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS own_devices ON otp_totp_totpdevice",
    "ALTER TABLE otp_totp_totpdevice DISABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS user_delete_own ON accounts_user",
    "DROP POLICY IF EXISTS user_change_own ON accounts_user",
    "DROP POLICY IF EXISTS user_add ON accounts_user",
    "DROP POLICY IF EXISTS user_read ON accounts_user",
    "ALTER TABLE accounts_user DISABLE ROW LEVEL SECURITY",
    "DROP TRIGGER IF EXISTS accounts_user_platform_roles ON accounts_user",
    "DROP FUNCTION IF EXISTS accounts_user_platform_roles_guard()",
    "DROP FUNCTION IF EXISTS accounts_proven_superuser()",
]


def seal_stored_hashes(apps, schema_editor) -> None:
    """Hashes stored before sealing are sealed now; User.check_password opens only
    sealed ones."""
    from clinic.accounts import passwords

    users = apps.get_model("accounts", "User").objects.using(schema_editor.connection.alias)
    for user in users.only("id", "password"):
        if passwords.needs_sealing(user.password):
            users.filter(pk=user.pk).update(password=passwords.seal(user.password, user.pk))


def install_grant_function(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        install_proof_machinery(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_email_pending_verification"),
        ("tenancy", "0009_cheaper_proof_check"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user", name="password", field=models.CharField(max_length=512, verbose_name="password")
        ),
        migrations.RunPython(seal_stored_hashes, migrations.RunPython.noop),
        migrations.RunPython(install_grant_function, migrations.RunPython.noop),
        migrations.RunSQL(FORWARDS, BACKWARDS),
    ]

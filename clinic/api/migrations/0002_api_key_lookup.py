"""The one pre-tenant lookup of the API: `api_key_lookup(key_hash)`.

A request presenting `Authorization: Bearer <key>` must find the key's clinic before
any tenant is set, and row-level security (rightly) shows no key then. This function
maps the sha256 of a presented key to (key id, organization id, scopes, revoked) and
returns nothing else: no name, no other key, no other column.

How it reads the row without a bypass:
- It is SECURITY DEFINER, so it runs as the owner role, which FORCE ROW LEVEL SECURITY
  binds like everyone else.
- One extra policy, for the owner role only (`TO CURRENT_USER`: the role running this
  migration), lets it SELECT the key row whose hash equals `app.api_key_hash`. The
  function sets that to its argument for the one query and clears it again; the
  runtime role gains nothing from setting it itself, as the policy is not its own.
- `search_path` is fixed, so no object of another schema can stand in for the table.
- EXECUTE is revoked from PUBLIC; `manage.py db_roles` grants it to the runtime role
  (default privileges cover functions the owner creates later).
"""

from django.db import migrations

FORWARD = """
CREATE POLICY api_key_lookup ON api_apikey FOR SELECT TO CURRENT_USER
    USING (hash = NULLIF(current_setting('app.api_key_hash', true), ''));

CREATE FUNCTION api_key_lookup(key_hash text)
RETURNS TABLE (key_id uuid, organization_id uuid, scopes varchar[], revoked boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    PERFORM set_config('app.api_key_hash', key_hash, true);
    RETURN QUERY
        SELECT k.id, k.organization_id, k.scopes, k.revoked_at IS NOT NULL
        FROM api_apikey k
        WHERE k.hash = key_hash
        LIMIT 2;
    PERFORM set_config('app.api_key_hash', '', true);
END
$$;

REVOKE ALL ON FUNCTION api_key_lookup(text) FROM PUBLIC;
"""

BACKWARD = """
DROP FUNCTION IF EXISTS api_key_lookup(text);
DROP POLICY IF EXISTS api_key_lookup ON api_apikey;
"""


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]

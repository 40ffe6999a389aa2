"""The one pre-tenant lookup of the API: `api_key_lookup(key_hash)`.

A request presenting `Authorization: Bearer <key>` must find the key's clinic before
any tenant is set, and row-level security (rightly) shows no key then. This function
maps the sha256 of a presented key to (key id, organization id, scopes, revoked) and
returns nothing else: no name, no other key, no other column. How it reads the row
without a bypass: see tenancy.operations.AddPreTenantFunction."""

from django.db import migrations

from tenancy.operations import AddPreTenantFunction

KEY_BY_HASH = """
SELECT k.id, k.organization_id, k.scopes, k.revoked_at IS NOT NULL
  FROM public.api_apikey k
 WHERE k.hash = key_hash
 LIMIT 2
"""


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [
        AddPreTenantFunction(
            "api_key_lookup",
            "key_hash text",
            "TABLE (key_id uuid, organization_id uuid, scopes varchar[], revoked boolean)",
            KEY_BY_HASH,
            ("apikey",),
        )
    ]

"""The endpoints under /api/v1/. Each runs in the caller's clinic (tenancy.drf), parses
with an input serializer, writes through the services and renders with an output one.

The staff's settings pages for the API are here too: `key_pages` (Settings → API keys)
and `webhook_pages` (Settings → Webhooks)."""

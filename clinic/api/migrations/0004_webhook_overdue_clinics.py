"""The webhook tick's one pre-tenant question: which clinics have deliveries that lost
their job (pending, late for their attempt by more than the grace the caller passes,
and not in flight). `api_webhook_overdue_clinics(overdue_before)` returns clinic ids
and nothing else; the redelivery itself runs in each clinic's tenant context.

As the other lookups: SECURITY DEFINER with a fixed search_path, reading through one
SELECT policy for the owner role only that holds while the function has marked the
transaction; EXECUTE is for the runtime role only (manage.py db_roles)."""

from django.db import migrations

FORWARD = """
CREATE POLICY lookup_api_webhook_overdue_clinics ON api_webhookdelivery
    FOR SELECT TO CURRENT_USER
    USING (current_setting('app.lookup_api_webhook_overdue_clinics', true) = 'on');
CREATE FUNCTION api_webhook_overdue_clinics(overdue_before timestamptz)
RETURNS SETOF uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM set_config('app.lookup_api_webhook_overdue_clinics', 'on', true);
    RETURN QUERY
        SELECT DISTINCT d.organization_id FROM public.api_webhookdelivery d
         WHERE d.status = 'pending' AND d.next_attempt_at < overdue_before
           AND (d.in_flight_until IS NULL OR d.in_flight_until < now());
    PERFORM set_config('app.lookup_api_webhook_overdue_clinics', '', true);
END $$;
REVOKE ALL ON FUNCTION api_webhook_overdue_clinics(timestamptz) FROM PUBLIC;
"""
BACKWARD = """
DROP FUNCTION IF EXISTS api_webhook_overdue_clinics(timestamptz);
DROP POLICY IF EXISTS lookup_api_webhook_overdue_clinics ON api_webhookdelivery;
"""


class Migration(migrations.Migration):
    dependencies = [("api", "0003_webhooks")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

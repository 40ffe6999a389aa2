"""Outbound event webhooks: a clinic's integrators register endpoints, and every
appointment change is POSTed to the endpoints subscribed to its event type.

- events.py: the outbox. A receiver of `appointment_changed` writes the event and one
  delivery per subscribed endpoint in the change's own transaction, and defers a job
  per delivery once it commits (nothing for a change that rolls back).
- tasks.py: the worker's jobs (a delivery, the minute tick for lost ones).
- delivery.py: the job's body. It claims the delivery in one tenant
  transaction, POSTs outside any transaction, and records the answer in another;
  failures are retried with exponential backoff, and an endpoint that keeps failing is
  turned off.
- signing.py: the Standard Webhooks headers (webhook-id, webhook-timestamp,
  webhook-signature) and the endpoint secrets.
- targets.py: which URLs may be called (https, public addresses: no SSRF), checked
  when an endpoint is saved and again, on the resolved address, at each delivery.
- http.py: the POST itself, to the address that was checked, without redirects.
- services.py: the one write path for endpoints (pages, admin, API); what a delivery
  learns of its endpoint (failures counted, turned off) is endpoint_state.py, below it."""

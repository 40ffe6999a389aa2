"""`Idempotency-Key` on POST: a retried request gets the first response again and
changes nothing a second time.

- Same caller (API key or user), same key, same method, path and body within 24 hours:
  the first successful response is replayed (with `Idempotent-Replayed: true`).
- Same key with another request: 422, nothing done.
- Two identical requests at once: the first claims the key by inserting its record;
  the second's insert waits on the unique index until the first transaction ends,
  then replays what it committed (or, if it rolled back, runs itself).

The record is written in the request's own transaction, so a request that fails
leaves no record and the key can be used again. Only 2xx responses are kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable

from django.db import connection
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from clinic.api.errors import ApiError
from clinic.api.models import IdempotencyRecord
from tenancy.context import current_org_id

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WINDOW = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255
# Expired records of the clinic removed per new claim: enough to keep up, never a long delete.
PURGE_BATCH = 100


def run_idempotent(request, caller: str, call: Callable[[], Response]) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return call()
    _check_key(key)
    fingerprint = _fingerprint(request)
    record = _claim(caller, key, fingerprint)
    if record is not None:
        return _replay(record, fingerprint)
    response = call()
    if 200 <= response.status_code < 300:
        IdempotencyRecord.objects.filter(caller=caller, key=key).update(
            response_status=response.status_code,
            response_body=json.loads(JSONRenderer().render(response.data) or b"null"),
            response_location=response.get("Location", ""),
        )
    else:
        IdempotencyRecord.objects.filter(caller=caller, key=key).delete()
    return response


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        message = f"Use 1 to {MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID."
        raise ApiError(message, code="invalid_idempotency_key", fields={HEADER: [message]})


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def _claim(caller: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Insert this request's record; None if it is ours now, else the earlier one."""
    now = timezone.now()
    for _ in range(2):
        if _insert(caller, key, fingerprint, now):
            _purge_expired(now)
            return None
        earlier = IdempotencyRecord.objects.filter(caller=caller, key=key).first()
        if earlier is not None and now - earlier.created_at < WINDOW:
            return earlier
        # Expired (or gone meanwhile): free the key and claim it afresh.
        IdempotencyRecord.objects.filter(caller=caller, key=key, created_at__lte=now - WINDOW).delete()
    raise ApiError("This Idempotency-Key is in use; try again.", code="idempotency_key_in_use", status_code=409)


def _insert(caller: str, key: str, fingerprint: str, now: dt.datetime) -> bool:
    # ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit
    # or roll back, and only then decides: that is what serialises twin requests.
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO api_idempotencyrecord
                   (id, organization_id, caller, key, fingerprint, response_location, created_at)
               VALUES (%s, %s, %s, %s, %s, '', %s)
               ON CONFLICT (organization_id, caller, key) DO NOTHING
               RETURNING id""",
            [uuid.uuid4(), current_org_id(), caller, key, fingerprint, now],
        )
        return cursor.fetchone() is not None


def _purge_expired(now: dt.datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """DELETE FROM api_idempotencyrecord WHERE id IN (
                   SELECT id FROM api_idempotencyrecord
                   WHERE organization_id = %s AND created_at < %s LIMIT %s)""",
            [current_org_id(), now - WINDOW, PURGE_BATCH],
        )


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise ApiError(
            "This Idempotency-Key was used for a different request. Use a new key for a new request.",
            code="idempotency_key_reused",
            status_code=422,
            fields={HEADER: ["Already used with another method, path or body."]},
        )
    if record.response_status is None:
        raise ApiError("This Idempotency-Key is in use; try again.", code="idempotency_key_in_use", status_code=409)
    headers = {REPLAYED_HEADER: "true"}
    if record.response_location:
        headers["Location"] = record.response_location
    return Response(record.response_body, status=record.response_status, headers=headers)

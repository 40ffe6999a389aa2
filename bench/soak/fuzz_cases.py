"""Part 5's cases: each a name, the answers it may get, and a maker of one request
with seeded random variation. The API is called with a read/write key of one clinic
(`Target.clinic`); webhooks are signed as the provider signs them, unless the case is
about the signature.

No case sends a valid write except where it says so: PATCH bodies always carry a
field that is refused, and a webhook that should store a text records its
MessageSid in `Target.texts`, so the database check afterwards knows every row that
may appear."""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode

from clinic.messaging.webhook_auth import sign

API = "/api/v1"
INBOUND = "/webhooks/sms/twilio/inbound/"
STATUS = "/webhooks/sms/twilio/status/"
ORGANIZATION_KEYS = ("organization", "organization_id", "organizationId", "org", "org_id")
# Values no field of ours accepts: CharField refuses bools, lists and objects too.
BAD_VALUES = (True, False, [], {}, [1, "a"], {"id": str(uuid.UUID(int=1))}, [[[]]], {"a": {"b": [None]}})
INVALID_UTF8 = (b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80", b"\x80")
MALFORMED = ("{'q': 'x'}", '{"q": "x",}', '{"q": NaN}', '{"q": Infinity}', '{"q" "x"}', "nul", "tru", "[1,]", "{]")


@dataclass
class Request:
    method: str
    path: str
    body: bytes | Iterator[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Target:
    """The running app and the world's data, as the cases need them."""

    base: str
    token: str  # the webhooks' signing key (the console backend's, from SECRET_KEY)
    limit: int  # the largest body the app accepts (REQUEST_BODY_MAX_BYTES)
    clinic: dict  # the clinic whose API key is used
    ids: dict  # that clinic's ids
    foreign: dict  # another clinic's ids
    senders: list[str]  # every clinic's SMS number
    texts: dict[str, str] = field(default_factory=dict)  # MessageSid -> sender it must be stored under
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expect_text(self, sid: str, to: str) -> None:
        with self.lock:
            self.texts[sid] = to


@dataclass
class Case:
    name: str
    expect: frozenset[int]
    make: Callable[[random.Random, Target], Request]
    repeat: int = 30
    code: str = ""  # the API error code each answer must carry, if any


# --- the API ---------------------------------------------------------------------


def api(t: Target, method: str, path: str, body: bytes | Iterator[bytes] | None, **headers: str) -> Request:
    headers = {"Authorization": f"Bearer {t.clinic['key']}", "Content-Type": "application/json", **headers}
    return Request(method, f"{API}/{path}", body, {k: v for k, v in headers.items() if v is not None})


def patient(rng: random.Random) -> dict:
    return {
        "first_name": rng.choice(["Ada", "Zoë", "Ōta", "María-José"]),
        "last_name": rng.choice(["Fuzz", "O'Brien", "Nguyễn"]),
        "date_of_birth": f"19{rng.randrange(30, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}",
        "phone": f"+1415555{rng.randrange(10_000):04d}",
    }


def booking(rng: random.Random, ids: dict) -> dict:
    return {
        "patient": rng.choice(ids["patients"]),
        "provider": rng.choice(ids["providers"]),
        "appointment_type": rng.choice(ids["types"]),
        "starts_at": f"2032-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}T{rng.randrange(10, 18)}:00:00+00:00",
    }


def endpoint(rng: random.Random, t: Target, *, search: bool = True, patch: bool = True) -> tuple[str, str, dict]:
    """A write endpoint of the clinic (or the search) and a valid body for it."""
    choices = ["patients", "appointments"] + (["search"] if search else []) + (["patch"] * 2 if patch else [])
    kind = rng.choice(choices)
    if kind == "patients":
        return "POST", "patients/", patient(rng)
    if kind == "appointments":
        return "POST", "appointments/", booking(rng, t.ids)
    if kind == "search":
        return "POST", "patients/search/", {"q": rng.choice(["ada", "fuzz", "1955"])}
    if rng.random() < 0.5:
        return "PATCH", f"patients/{rng.choice(t.ids['patients'])}/", patient(rng)
    return "PATCH", f"appointments/{rng.choice(t.ids['appointments'])}/", {"notes": "moved"}


def spoil(rng: random.Random, body: dict) -> dict:
    """The body with one value no field accepts."""
    return {**body, rng.choice(sorted(body)): rng.choice(BAD_VALUES)}


def with_raw(body: dict, key: str, raw: str) -> bytes:
    """The body as JSON with `raw` (JSON text no Python value gives) as the value of `key`."""
    return json.dumps({**body, key: "<raw>"}).replace('"<raw>"', raw).encode()


def malformed_json(rng, t):
    method, path, body = endpoint(rng, t)
    text = json.dumps(body)
    raw = text[: rng.randrange(1, len(text) - 1)] if rng.random() < 0.5 else rng.choice(MALFORMED)
    return api(t, method, path, raw.encode())


def wrong_shape(rng, t):
    method, path, body = endpoint(rng, t)
    if rng.random() < 0.4:
        body = rng.choice([[], [body], None, 0, -1.5, "text", True, 10**30, [body] * 50])
    else:
        body = spoil(rng, body)
    return api(t, method, path, json.dumps(body).encode())


def deep_nesting(rng, t):
    method, path, body = endpoint(rng, t)
    depth = rng.choice([33, 100, 999, 1_001, 5_000, 50_000])
    opening, closing = ("[", "]") if rng.random() < 0.5 else ('{"a": ', "}")
    value = opening * depth + "1" + closing * depth
    key = rng.choice(sorted(body))
    return api(t, method, path, with_raw(body, key, value))


def huge_numbers(rng, t):
    method, path, body = endpoint(rng, t, search=False)
    number = rng.choice(["1e400", "-1e400", "9" * rng.randrange(20, 6_000), "1" + "0" * 400 + ".5", "-0", "1e-400"])
    # Fields that take no number: a date, a time, an id.
    key = {"patients/": "date_of_birth", "appointments/": rng.choice(["patient", "starts_at"])}.get(path, "nope")
    if method == "PATCH":
        body = spoil(rng, body)
    return api(t, method, path, with_raw(body, key, number))


def invalid_utf8(rng, t):
    method, path, body = endpoint(rng, t)
    raw = json.dumps(body, ensure_ascii=False).encode()
    at = raw.index(b'": "') + 4
    return api(t, method, path, raw[:at] + rng.choice(INVALID_UTF8) + raw[at:])


def lone_surrogates(rng, t):
    # Valid JSON, but "\ud800" decodes to a string that is no valid Unicode text.
    method, path, body = endpoint(rng, t)
    text = json.dumps(body)
    at = text.index('": "') + 4
    return api(t, method, path, (text[:at] + rng.choice(["\\ud800", "\\udfff", "a\\udc80b"]) + text[at:]).encode())


def nul_characters(rng, t):
    method, path, body = endpoint(rng, t)
    key = rng.choice([k for k, v in body.items() if isinstance(v, str)])
    return api(t, method, path, json.dumps({**body, key: body[key][:2] + "\x00" + body[key][2:]}).encode())


def wrong_content_type(rng, t):
    method, path, body = endpoint(rng, t)
    kind = rng.choice([None, "text/plain", "application/x-www-form-urlencoded", "application/xml", "text/json"])
    raw = urlencode(body).encode() if kind == "application/x-www-form-urlencoded" else json.dumps(body).encode()
    return api(t, method, path, raw, **{"Content-Type": kind})


def huge_body(rng, t):
    method, path, _ = endpoint(rng, t)
    size = t.limit + rng.choice([1, 1_000, 500_000])
    return api(t, method, path, b'{"q": "' + b"a" * size + b'"}')


def huge_field(rng, t):
    method, path, body = endpoint(rng, t)
    key = rng.choice([k for k, v in body.items() if isinstance(v, str)])
    size = min(rng.choice([101, 10_001, 200_000, 2_000_000]), t.limit - 1_000)  # the body stays under the limit
    return api(t, method, path, json.dumps({**body, key: "a" * size}).encode())


def clinic_in_input(rng, t):
    method, path, body = endpoint(rng, t)
    named = {rng.choice(ORGANIZATION_KEYS): rng.choice([t.foreign["org"], t.clinic["id"], None, 1])}
    body = {**body, **named} if rng.random() < 0.6 else {**body, "meta": [{"x": named}]}
    return api(t, method, path, json.dumps(body).encode())


def unknown_fields(rng, t):
    # The search takes `q` and ignores the rest (a read); the writes refuse what they do not know.
    method, path, body = endpoint(rng, t, search=False)
    extra = rng.choice(["id", "status", "created_at", "extra", "first_name ", "Patient", "is_admin"])
    return api(t, method, path, json.dumps({**body, extra: rng.choice(["x", 1, None])}).encode())


def bad_key(rng, t):
    method, path, body = endpoint(rng, t)
    key = t.clinic["key"]
    header = rng.choice([None, "Bearer", "Bearer ck_live_", f"Bearer {key[:-1]}", f"Bearer {key}x", "Basic YTpi"])
    return api(t, method, path, json.dumps(body).encode(), Authorization=header)


def foreign_rows(rng, t):
    kind = rng.choice(["patients", "appointments"])
    target = rng.choice(t.foreign[kind])
    if kind == "appointments" and rng.random() < 0.5:
        return api(t, "POST", f"appointments/{target}/{rng.choice(['confirm', 'cancel', 'arrived'])}/", b"")
    body = patient(rng) if kind == "patients" else {"notes": "moved"}
    return api(t, "PATCH", f"{kind}/{target}/", json.dumps(body).encode())


def foreign_ids_in_booking(rng, t):
    body = booking(rng, t.ids)
    key = rng.choice(["patient", "provider", "appointment_type"])
    body[key] = rng.choice(t.foreign[{"appointment_type": "types"}.get(key, f"{key}s")])
    return api(t, "POST", "appointments/", json.dumps(body).encode())


def wrong_method(rng, t):
    method, path = rng.choice(
        [
            ("PUT", f"patients/{rng.choice(t.ids['patients'])}/"),
            ("DELETE", f"patients/{rng.choice(t.ids['patients'])}/"),
            ("DELETE", f"appointments/{rng.choice(t.ids['appointments'])}/"),
            ("PUT", "patients/search/"),
            ("POST", "me/"),
        ]
    )
    return api(t, method, path, json.dumps(patient(rng)).encode())


def chunked_body(rng, t):
    # No Content-Length: Django's WSGI handler reads no body at all, so the view sees none.
    method, path, body = endpoint(rng, t, patch=False)
    raw = json.dumps(body).encode()
    return api(t, method, path, iter([raw[:5], raw[5:]]))


# --- the SMS webhooks -------------------------------------------------------------


def text_params(rng: random.Random, t: Target) -> dict[str, str]:
    """A text from a number no patient has (it lands in the clinic's inbox)."""
    return {
        "MessageSid": f"SM{uuid.UUID(int=rng.getrandbits(128)).hex}",
        "From": f"+1415999{rng.randrange(10_000):04d}",
        "To": rng.choice(t.senders),
        "Body": rng.choice(["C", "YES", "Hello?", "Wann ist mein Termin?", "🙂"]),
        "NumMedia": "0",
    }


def status_params(rng: random.Random, t: Target) -> dict[str, str]:
    return {
        "MessageSid": f"SM{uuid.UUID(int=rng.getrandbits(128)).hex}",
        "From": rng.choice(t.senders),
        "To": f"+1415999{rng.randrange(10_000):04d}",
        "MessageStatus": rng.choice(["delivered", "failed", "undelivered", "sent", "bogus"]),
        "ErrorCode": rng.choice(["", "30003", "30005"]),
    }


def signed(t: Target, path: str, params: dict[str, str], raw: bytes | None = None, **headers: str) -> Request:
    """A form POST signed as the provider signs it: over the URL and the parameters
    as the app will decode them."""
    raw = urlencode(params).encode() if raw is None else raw
    decoded = dict(parse_qsl(raw.decode("ascii"), keep_blank_values=True, errors="replace"))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": sign(t.base + path, decoded, t.token),
        **headers,
    }
    return Request("POST", path, raw, {k: v for k, v in headers.items() if v is not None})


def webhook(rng: random.Random, t: Target) -> tuple[str, dict[str, str]]:
    return (INBOUND, text_params(rng, t)) if rng.random() < 0.6 else (STATUS, status_params(rng, t))


def bad_signature(rng, t):
    path, params = webhook(rng, t)
    request = signed(t, path, params)
    choice = rng.randrange(5)
    if choice == 0:
        del request.headers["X-Twilio-Signature"]
    elif choice == 1:
        request.headers["X-Twilio-Signature"] = sign(t.base + path, params, "another account's token")
    elif choice == 2:
        other = STATUS if path == INBOUND else INBOUND
        request.headers["X-Twilio-Signature"] = sign(t.base + other, params, t.token)
    elif choice == 3:
        request.body = urlencode({**params, "Body": "changed on the way"}).encode()
    else:
        request.headers["X-Twilio-Signature"] = "x" * rng.randrange(0, 200)
    return request


def webhook_wrong_content_type(rng, t):
    path, params = webhook(rng, t)
    kind = rng.choice([None, "application/json", "text/plain", "application/xml"])
    raw = json.dumps(params).encode() if kind == "application/json" else urlencode(params).encode()
    return signed(t, path, params, raw, **{"Content-Type": kind})


def webhook_nul(rng, t):
    path, params = webhook(rng, t)
    key = rng.choice(sorted(params))
    return signed(t, path, {**params, key: params[key] + "\x00"})


def webhook_overlong(rng, t):
    path, params = webhook(rng, t)
    key = rng.choice(["MessageSid", "From", "To"])
    return signed(t, path, {**params, key: params[key] + "9" * rng.choice([60, 1_000, 100_000])})


def webhook_huge_body(rng, t):
    path, params = webhook(rng, t)
    return signed(t, path, {**params, "Body": "a" * (t.limit + rng.choice([1, 500_000]))})


def webhook_huge_text(rng, t):
    """Signed, under the limit: stored, its body cut to a text's 1,600 characters."""
    size = min(rng.choice([1_601, 100_000, 2_000_000]), t.limit - 1_000)
    params = {**text_params(rng, t), "Body": "a" * size}
    t.expect_text(params["MessageSid"], params["To"])
    return signed(t, INBOUND, params)


def webhook_invalid_utf8(rng, t):
    """Invalid UTF-8 in the body or the sender: read as U+FFFD, and stored."""
    params = text_params(rng, t)
    key = rng.choice(["Body", "From"])
    bad = rng.choice(INVALID_UTF8)
    raw = urlencode({k: v for k, v in params.items() if k != key}) + f"&{key}=" + quote(bad + b"x")
    t.expect_text(params["MessageSid"], params["To"])
    return signed(t, INBOUND, params, raw.encode())


def webhook_to_nobody(rng, t):
    """Signed, but to a number no clinic has, or without a MessageSid: 200, nothing stored."""
    params = text_params(rng, t)
    if rng.random() < 0.5:
        params["To"] = f"+1999555{rng.randrange(10_000):04d}"
    else:
        del params["MessageSid"]
    return signed(t, INBOUND, params)


def webhook_status_unknown(rng, t):
    return signed(t, STATUS, status_params(rng, t))


def webhook_wrong_method(rng, t):
    path, params = webhook(rng, t)
    request = signed(t, path, params)
    request.method = rng.choice(["GET", "PUT", "DELETE", "PATCH"])
    return request


CASES = [
    Case("api: malformed JSON", frozenset({400}), malformed_json, code="parse_error"),
    Case("api: wrong shape and types", frozenset({400}), wrong_shape),
    Case("api: nested too deep", frozenset({400}), deep_nesting, code="parse_error"),
    Case("api: huge numbers", frozenset({400}), huge_numbers),
    Case("api: invalid UTF-8", frozenset({400}), invalid_utf8, code="parse_error"),
    Case("api: lone surrogates", frozenset({400}), lone_surrogates),
    Case("api: NUL characters", frozenset({400}), nul_characters),
    Case("api: wrong Content-Type", frozenset({415}), wrong_content_type, code="unsupported_media_type"),
    Case("api: body over the limit", frozenset({413}), huge_body, repeat=6, code="request_too_large"),
    Case("api: huge single field", frozenset({400}), huge_field, repeat=12),
    Case("api: clinic in the body", frozenset({400}), clinic_in_input, code="organization_not_allowed"),
    Case("api: unknown fields", frozenset({400}), unknown_fields),
    Case("api: missing or bad key", frozenset({401}), bad_key),
    Case("api: another clinic's rows", frozenset({404}), foreign_rows),
    Case("api: another clinic's ids", frozenset({400}), foreign_ids_in_booking),
    Case("api: wrong method", frozenset({405}), wrong_method),
    Case("api: chunked, no length", frozenset({400}), chunked_body),
    Case("sms: bad or no signature", frozenset({403}), bad_signature),
    Case("sms: wrong Content-Type", frozenset({403}), webhook_wrong_content_type),
    Case("sms: NUL characters", frozenset({400}), webhook_nul),
    Case("sms: over-long id or number", frozenset({400}), webhook_overlong),
    Case("sms: body over the limit", frozenset({413}), webhook_huge_body, repeat=6),
    Case("sms: huge text (stored, cut)", frozenset({200}), webhook_huge_text, repeat=8),
    Case("sms: invalid UTF-8 (stored)", frozenset({200}), webhook_invalid_utf8),
    Case("sms: no clinic's number, no id", frozenset({200}), webhook_to_nobody),
    Case("sms: status of unknown texts", frozenset({200}), webhook_status_unknown),
    Case("sms: wrong method", frozenset({405}), webhook_wrong_method),
]

"""Part 5: bad input. The integrator API and the SMS webhooks of the real app (gunicorn)
get malformed, oversized, mistyped, wrongly encoded and unsigned requests, each case
many times with seeded variation (bench.soak.fuzz_cases), then concurrent duplicate
deliveries of one text and of one booking. No answer may be a 5xx, and each must be
its case's; afterwards, read as the database admin, no clinic's row has changed and
the only new rows are the valid writes: one inbound text per distinct MessageSid, in
the clinic whose number it was sent to, and one appointment per Idempotency-Key."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests

from bench.soak.checks import database_url, verdict
from bench.soak.data import TENANT_TABLES
from bench.soak.fuzz_cases import CASES, INBOUND, Case, Request, Target, api, booking, signed, text_params
from bench.soak.recovery import admin
from bench.soak.servers import app_environment, build, gunicorn

CLINICS = 3
SEED = 5
THREADS = 8
DISTINCT, TWINS = 5, 20  # texts and bookings, each delivered TWINS times at once


def bad_input(args, workdir: Path) -> bool:
    cases = len(CASES)
    print(
        f"\n== 5. bad input: {cases} cases against the API and the SMS webhooks (seed {SEED}), "
        f"{DISTINCT} texts and {DISTINCT} bookings each sent {TWINS} times at once; gunicorn (2 workers x 8 threads)"
    )
    data = build("world", f"{args.database}_fuzz", workdir, "--clinics", str(CLINICS), "--switchers", "0")
    server = data["server"]
    # The settings the data was built with (SECRET_KEY among them): API keys, the tenant
    # proof and the webhooks' signing key all derive from it.
    env = app_environment(database_url(server), server["name"], SMS_BACKEND="console")
    with admin(server) as conn:
        before = snapshot(conn)
        with gunicorn(env, workdir / "gunicorn-5.log") as base:
            target = _target(base, data)
            started, seen = time.monotonic(), Counter()
            results = [_run(case, target, seen) for case in CASES]
            results.append(_twin_texts(target, seen))
            booked, ok = _twin_bookings(target, seen)
            results.append(ok)
        server_errors = sum(n for status, n in seen.items() if status >= 500 or status == 0)
        print(
            f"  requests {sum(seen.values())} in {time.monotonic() - started:.0f} s, "
            f"statuses {dict(sorted(seen.items()))}, 5xx or no answer {server_errors}"
        )
        stored = _stored(conn, before, target, booked, data)
    return all(results) and not server_errors and stored


def _target(base: str, data: dict) -> Target:
    clinic, other = data["clinics"][0], data["clinics"][1]
    return Target(
        base=base,
        token=data["sms_signing_token"],
        limit=data["body_limit"],
        clinic=clinic,
        ids=data["by_kind"][clinic["id"]],
        foreign={**data["by_kind"][other["id"]], "org": other["id"]},
        senders=[c["sender"] for c in data["clinics"]],
    )


def _send(base: str, request: Request) -> tuple[int, str, str]:
    """The status, the API error code if the answer has one, and the id a 201 names;
    status 0 if no answer came."""
    try:
        # A connection each: a kept-alive one the server has just closed as idle would
        # fail the next request before it reached the app.
        response = requests.request(
            request.method, base + request.path, data=request.body, headers=request.headers, timeout=60
        )
    except requests.RequestException as exc:
        return 0, f"{type(exc).__name__}: {exc}"[:200], ""
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return response.status_code, "", ""
    try:
        answer = response.json()
    except ValueError:
        return response.status_code, "(not JSON)", ""
    error = answer.get("error") if isinstance(answer, dict) else None
    code = error.get("code", "") if isinstance(error, dict) else ""
    created = str(answer.get("id", "")) if response.status_code == 201 and isinstance(answer, dict) else ""
    return response.status_code, code, created


def _run(case: Case, target: Target, seen: Counter) -> bool:
    # Made in order, in this thread: the same seed gives the same requests.
    batch = [case.make(random.Random(f"{SEED}:{case.name}:{n}"), target) for n in range(case.repeat)]  # noqa: S311
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda request: _send(target.base, request), batch))
    statuses = Counter(status for status, _, _ in answers)
    seen.update(statuses)
    wrong = Counter(
        (status, code) for status, code, _ in answers if status not in case.expect or (case.code and code != case.code)
    )
    ok = not wrong
    expected = "/".join(map(str, sorted(case.expect))) + (f" {case.code}" if case.code else "")
    print(f"  {case.name:33} {case.repeat:3} x  expect {expected:32} got {_counts(statuses):18} {verdict(ok)}")
    for (status, code), count in wrong.most_common(5):
        print(f"      {count} x {status} {code}")
    return ok


def _counts(statuses: Counter) -> str:
    return ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))


def _at_once(target: Target, request: Request) -> list[tuple[int, str, str]]:
    """The same request from TWINS threads released together."""
    start = threading.Barrier(TWINS)

    def deliver(_):
        start.wait()
        return _send(target.base, request)

    with ThreadPoolExecutor(TWINS) as pool:
        return list(pool.map(deliver, range(TWINS)))


def _twin_texts(target: Target, seen: Counter) -> bool:
    rng = random.Random(f"{SEED}:twin texts")  # noqa: S311
    statuses: Counter = Counter()
    for _ in range(DISTINCT):
        params = text_params(rng, target)
        target.expect_text(params["MessageSid"], params["To"])
        statuses.update(status for status, _, _ in _at_once(target, signed(target, INBOUND, params)))
    seen.update(statuses)
    ok = set(statuses) == {200}
    label = f"sms: one text x {TWINS} at once"
    print(f"  {label:33} {DISTINCT:3} x  expect {'200 (stored once)':32} got {_counts(statuses):18} {verdict(ok)}")
    return ok


def _twin_bookings(target: Target, seen: Counter) -> tuple[dict[str, str], bool]:
    """Each booking with one Idempotency-Key: 201 (the first, or its replay), or 409
    `idempotency_key_in_use`; every 201 names the same appointment."""
    rng = random.Random(f"{SEED}:twin bookings")  # noqa: S311
    statuses: Counter = Counter()
    booked: dict[str, str] = {}
    ok = True
    for day in range(1, DISTINCT + 1):
        # A year no other case books in: these slots are free.
        body = {**booking(rng, target.ids), "starts_at": f"2033-01-{day:02d}T09:00:00+00:00"}
        key = str(uuid.UUID(int=rng.getrandbits(128)))
        request = api(target, "POST", "appointments/", json.dumps(body).encode(), **{"Idempotency-Key": key})
        answers = _at_once(target, request)
        statuses.update(status for status, _, _ in answers)
        ids = {created for status, _, created in answers if status == 201}
        ok = ok and len(ids) == 1 and all(s == 201 or (s, c) == (409, "idempotency_key_in_use") for s, c, _ in answers)
        booked.update(dict.fromkeys(ids, key))
    seen.update(statuses)
    label = f"api: one booking x {TWINS} at once"
    expected = "201 (one id), 409 key in use"
    print(f"  {label:33} {DISTINCT:3} x  expect {expected:32} got {_counts(statuses):18} {verdict(ok)}")
    return booked, ok


def snapshot(conn: psycopg.Connection) -> dict[str, dict[str, tuple[str, str]]]:
    """Every tenant row: table -> id -> (clinic, a hash of the whole row)."""
    tables = [row[0] for row in conn.execute(TENANT_TABLES).fetchall()]
    return {
        table: {
            row_id: (org, digest)
            for row_id, org, digest in conn.execute(
                f'SELECT id::text, organization_id::text, md5(t::text) FROM "{table}" t'  # noqa: S608 (catalog names)
            ).fetchall()
        }
        for table in tables
    }


def _stored(conn: psycopg.Connection, before: dict, target: Target, booked: dict[str, str], data: dict) -> bool:
    """No row changed or removed; new rows only the valid writes, each in its clinic."""
    added, changed = _differences(before, snapshot(conn))
    changed.pop("api_apikey", None)  # the key's own row notes when it was last used
    sender_clinic = {c["sender"]: c["id"] for c in data["clinics"]}
    wanted_texts = {sid: sender_clinic[to] for sid, to in target.texts.items()}
    rows = conn.execute(
        "SELECT provider_message_id, organization_id::text FROM messaging_smsmessage WHERE id = ANY(%s::uuid[])",
        [list(added.pop("messaging_smsmessage", {}))],
    ).fetchall()
    texts = dict(rows)
    clinic = target.clinic["id"]
    wanted_appointments = dict.fromkeys(booked, clinic)
    appointments = added.pop("appointments_appointment", {})
    # Each booking brings its status history's first entry and its idempotency record.
    per_booking = {
        t: Counter(added.pop(t, {}).values()) for t in ("appointments_appointmentstatuschange", "api_idempotencyrecord")
    }
    # Audit events: texts received, patient data shown; only in the clinics acted for.
    audit = Counter(added.pop("audit_auditevent", {}).values())
    acted_for = {clinic, *wanted_texts.values()}
    ok = (
        len(rows) == len(texts) == len(wanted_texts)
        and texts == wanted_texts
        and appointments == wanted_appointments
        and all(counts == Counter({clinic: len(booked)}) for counts in per_booking.values())
        and set(audit) <= acted_for
        and not changed
        and not added
    )
    texts_right = sum(1 for sid, org in wanted_texts.items() if texts.get(sid) == org)
    print(
        f"  stored, read as the database admin: inbound texts +{len(rows)} ({len(wanted_texts)} MessageSids sent "
        f"validly, {texts_right} stored once in the clinic they were sent to); appointments +{len(appointments)} "
        f"({len(booked)} Idempotency-Keys, one each)"
    )
    print(
        f"  with them: status history +{sum(per_booking['appointments_appointmentstatuschange'].values())}, "
        f"idempotency records +{sum(per_booking['api_idempotencyrecord'].values())}, audit events "
        f"+{sum(audit.values())} (in {len(audit)} clinics acted for); rows changed or removed {dict(changed) or 0}; "
        f"other new rows {({t: len(rows) for t, rows in added.items()}) or 0}  {verdict(ok)}"
    )
    return ok


def _differences(before: dict, after: dict) -> tuple[dict[str, dict[str, str]], Counter]:
    """New rows (table -> id -> clinic), and per table the rows changed or removed."""
    added: dict[str, dict[str, str]] = defaultdict(dict)
    changed: Counter = Counter()
    for table, rows in after.items():
        old = before.get(table, {})
        for row_id, (org, digest) in rows.items():
            if row_id not in old:
                added[table][row_id] = org
            elif old[row_id] != (org, digest):
                changed[table] += 1
        changed[table] += sum(1 for row_id in old if row_id not in rows)
    return added, +changed

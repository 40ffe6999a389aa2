"""Synthetic load data at platform scale: many clinics, each with providers, patients,
appointments over ±60 days with realistic statuses, SMS messages and audit events.

Clinics are created through the onboarding service (`organization_create`), as a new
clinic signs up. Their bulk rows are not product data and skip the service write path
on purpose: a million bookings through `appointment_book` would take hours and record
a million integrator events and confirmation requests nobody wants. They are written
as the runtime role inside each clinic's tenant context, so every row still passes the
RLS WITH CHECK policy and the composite tenant foreign keys. PostgreSQL refuses
`COPY FROM` into a table with row-level security, so each table's rows are copied into
a temporary table first (no RLS: it is the session's own) and moved with one
`INSERT ... SELECT`, which the policies check row by row.

Content is reproducible: the same seed gives the same clinics, names, phones, slots
and statuses (ids are random, and times are relative to today, UTC)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator

from django.db import connections
from django.utils import timezone

from clinic.appointments.querysets import search_key
from tenancy.context import tenant_context
from tenancy.models import Organization
from tenancy.services import organization_create

SLOT = dt.timedelta(minutes=30)
SLOTS_PER_DAY = 16  # 08:00-16:00 UTC, one appointment per provider per half hour
DAYS_BACK = 60
DAYS = 2 * DAYS_BACK  # today - 60 days .. today + 59 days
SKEW_FACTOR = 50
TYPES = (("Check-up", 30, "#3b82f6"), ("Consultation", 30, "#10b981"), ("Follow-up", 30, "#f59e0b"))


@dataclasses.dataclass(frozen=True)
class LoadPlan:
    clinics: int = 1000
    appointments: int = 1000
    patients: int = 200
    messages: int = 2
    skew: bool = False
    seed: int = 1

    def check(self) -> None:
        """Appointments at the same time go to distinct patients: a clinic needs at least
        as many patients as providers."""
        appointments, patients = self.size(0)
        if patients < providers_for(appointments):
            raise ValueError(
                f"{self.appointments:,} appointments per clinic need at least "
                f"{providers_for(self.appointments):,} patients per clinic."
            )

    def size(self, number: int) -> tuple[int, int]:
        """(appointments, patients) of clinic `number`: the first is the big one under --skew."""
        factor = SKEW_FACTOR if self.skew and number == 0 else 1
        return self.appointments * factor, self.patients * factor


@dataclasses.dataclass
class LoadResult:
    organizations: list[Organization]
    rows: dict[str, int]


def providers_for(appointments: int) -> int:
    """Enough providers that at most 75% of their slots are booked."""
    return max(1, -(-appointments // (DAYS * SLOTS_PER_DAY * 3 // 4)))


def slug_prefix(seed: int) -> str:
    return f"load-{seed}-"


def owner_username(seed: int) -> str:
    return f"load-owner-{seed}"


def load_clinics(seed: int) -> list[Organization]:
    """The clinics a load made, in order (the first is the big one under --skew)."""
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.filter(username=owner_username(seed)).first()
    if owner is None:
        return []
    with tenant_context(user=owner):
        orgs = list(Organization.objects.filter(slug__startswith=slug_prefix(seed)))
    return sorted(orgs, key=lambda org: int(org.slug.rsplit("-", 1)[1]))


def generate_load_data(plan: LoadPlan, *, progress: Callable[[int], None] | None = None) -> LoadResult:
    from django.contrib.auth import get_user_model

    plan.check()
    owner, _ = get_user_model().objects.get_or_create(
        username=owner_username(plan.seed), defaults={"email": f"{owner_username(plan.seed)}@example.test"}
    )
    # The load's owner is a member of every clinic it made: what it sees is the load.
    with tenant_context(user=owner):
        if Organization.objects.filter(slug__startswith=slug_prefix(plan.seed)).exists():
            raise ValueError(f"Load data with seed {plan.seed} exists already; pick another --seed.")
    rows: dict[str, int] = {}
    orgs = []
    for number in range(plan.clinics):
        org = organization_create(
            name=f"Load clinic {number}", slug=f"{slug_prefix(plan.seed)}{number}", timezone="UTC", owner=owner
        )
        appointments, patients = plan.size(number)
        rng = random.Random(f"{plan.seed}-{number}")  # noqa: S311 (reproducible test data, not secrets)
        with tenant_context(org=org, user=owner):
            counts = _fill_clinic(org.id, rng, appointments=appointments, patients=patients, messages=plan.messages)
        for table, count in counts.items():
            rows[table] = rows.get(table, 0) + count
        orgs.append(org)
        if progress:
            progress(number + 1)
    return LoadResult(orgs, rows)


def _fill_clinic(org_id: uuid.UUID, rng: random.Random, *, appointments: int, patients: int, messages: int) -> dict:
    now = timezone.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    providers = providers_for(appointments)
    org = str(org_id)
    stamp = _ts(now)
    type_rows = [(_id(), org, name, minutes, colour, "t") for name, minutes, colour in TYPES]
    provider_rows = [
        (_id(), org, f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "Dr", rng.choice(SPECIALTIES), "t", stamp)
        for _ in range(providers)
    ]
    people = list(_patients(org, rng, patients, stamp))
    bookings = list(_appointments(org, rng, appointments, today, now, type_rows, provider_rows, people))
    texts = list(_messages(org, rng, bookings, people, messages))
    events = list(_audit_events(org, people, bookings))
    with connections["default"].cursor() as cursor:
        raw = cursor.cursor
        _bulk(raw, "appointments_appointmenttype", TYPE_COLUMNS, type_rows)
        _bulk(raw, "appointments_provider", PROVIDER_COLUMNS, provider_rows)
        _bulk(raw, "appointments_patient", PATIENT_COLUMNS, people)
        _bulk(raw, "appointments_appointment", APPOINTMENT_COLUMNS, bookings)
        _bulk(raw, "messaging_smsmessage", MESSAGE_COLUMNS, texts)
        _bulk(raw, "audit_auditevent", AUDIT_COLUMNS, events)
    return {
        "providers": providers,
        "patients": len(people),
        "appointments": len(bookings),
        "sms messages": len(texts),
        "audit events": len(events),
    }


def _bulk(raw, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY into a session-local copy of `table`, then INSERT ... SELECT under the policies."""
    staging = f"load_{table}"
    names = ", ".join(columns)
    raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
    with raw.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
        copy.write("".join("\t".join(_text(value) for value in row) + "\n" for row in rows))
    raw.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}")
    # Emptied at once, not only at commit: an outer transaction (a test's) may load
    # several clinics before it commits.
    raw.execute(f"TRUNCATE {staging}")


def _text(value) -> str:
    # Names and texts here never hold tabs, newlines or backslashes; NULL is \N.
    return "\\N" if value is None else str(value)


def _id() -> str:
    return str(uuid.uuid4())


def _ts(moment: dt.datetime) -> str:
    return moment.isoformat()


PATIENT_COLUMNS = (
    "id", "organization_id", "first_name", "last_name", "date_of_birth", "phone", "email", "sms_consent",
    "notes", "search_name", "search_last", "created_at", "updated_at", "timezone",
)  # fmt: skip


def _patients(org: str, rng: random.Random, count: int, stamp: str) -> Iterator[tuple]:
    for number in range(count):
        first, last = rng.choice(FIRST_NAMES), surname(rng)
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(30_000))
        consent = "opted_out" if rng.random() < 0.03 else "opted_in"
        yield (
            _id(), org, first, last, born.isoformat(), f"+1415{number:07d}", "", consent, "",
            search_key(f"{first} {last}"), search_key(last), stamp, stamp, "",
        )  # fmt: skip


APPOINTMENT_COLUMNS = (
    "id", "organization_id", "patient_id", "provider_id", "appointment_type_id", "starts_at", "ends_at", "status",
    "notes", "created_at", "updated_at", "status_changed_at",
)  # fmt: skip


def _appointments(org, rng, count, today, now, types, providers, people) -> Iterator[tuple]:
    """`count` appointments spread evenly over the provider-slots of ±60 days. Slots at
    the same time go to consecutive numbers, so consecutive patients never overlap."""
    cells = DAYS * SLOTS_PER_DAY * len(providers)
    start = today - dt.timedelta(days=DAYS_BACK) + dt.timedelta(hours=8)
    for number in range(count):
        cell = number * cells // count
        slot, provider = divmod(cell, len(providers))
        day, slot_of_day = divmod(slot, SLOTS_PER_DAY)
        starts = start + dt.timedelta(days=day) + slot_of_day * SLOT
        status = _status(rng, starts < now)
        booked = _ts(starts - dt.timedelta(days=rng.randrange(1, 30)))
        yield (
            _id(), org, people[number % len(people)][0], providers[provider][0], rng.choice(types)[0],
            _ts(starts), _ts(starts + SLOT), status, "", booked, booked, booked,
        )  # fmt: skip


def _status(rng: random.Random, past: bool) -> str:
    roll = rng.random()
    if past:
        return "completed" if roll < 0.82 else "cancelled" if roll < 0.92 else "no_show"
    return "scheduled" if roll < 0.55 else "confirmed" if roll < 0.92 else "cancelled"


MESSAGE_COLUMNS = (
    "id", "organization_id", "direction", "kind", "from_number", "to_number", "body", "status",
    "provider_message_id", "error_code", "error_message", "needs_attention", "attempts", "created_at",
    "status_changed_at", "appointment_id", "patient_id",
)  # fmt: skip
CLINIC_NUMBER = "+14155550100"


def _messages(org, rng, bookings, people, per_appointment: int) -> Iterator[tuple]:
    """A confirmation request a day before, the patient's answer, then more back and forth."""
    patients = {row[0]: row for row in people}
    for booking in bookings:
        phone = patients[booking[2]][5]
        sent = dt.datetime.fromisoformat(booking[5]) - dt.timedelta(days=1)
        for index in range(per_appointment):
            at = _ts(sent + dt.timedelta(minutes=7 * index))
            if index % 2 == 0:
                body = "Reply YES to confirm or NO to cancel your appointment tomorrow."
                row = ("out", "confirmation" if index == 0 else "manual", CLINIC_NUMBER, phone, body, "delivered")
                provider_id = f"LD{uuid.uuid4().hex}"
            else:
                row = ("in", "inbound", phone, CLINIC_NUMBER, rng.choice(("YES", "yes", "NO", "Y")), "received")
                provider_id = None
            yield (_id(), org, *row, provider_id, "", "", "f", 1, at, at, booking[0], booking[2])


AUDIT_COLUMNS = (
    "id", "organization_id", "at", "action", "actor_type", "actor_label", "object_type", "object_id", "patient_id",
    "changed_fields", "user_agent", "request_id",
)  # fmt: skip


def _audit_events(org, people, bookings) -> Iterator[tuple]:
    """A `create` event for each patient and each booking, as the services record them."""
    for person in people:
        yield (_id(), org, person[11], "create", "system", "load data", "appointments.Patient", person[0], person[0],
               "{}", "", "")  # fmt: skip
    for booking in bookings:
        yield (_id(), org, booking[9], "create", "system", "load data", "appointments.Appointment", booking[0],
               booking[2], "{}", "", "")  # fmt: skip


TYPE_COLUMNS = ("id", "organization_id", "name", "default_duration", "colour", "active")
PROVIDER_COLUMNS = ("id", "organization_id", "name", "title", "specialty", "active", "created_at")

FIRST_NAMES = (
    "Ada", "Ben", "Chloé", "Dmitri", "Esther", "Farid", "Grace", "Hiro", "Inès", "Jonas", "Kemi", "Lars", "Maya",
    "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tariq", "Una", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë",
)  # fmt: skip
LAST_NAMES = (
    "Okafor", "Lindqvist", "Müller", "Nakamura", "Rossi", "Santos", "Whitfield", "Kowalski", "Haddad", "Novak",
    "García", "Dubois", "Jensen", "O'Brien", "Petrov", "Yilmaz", "Chen", "Silva", "Andersen", "Moreau", "Tanaka",
    "Fischer", "Costa", "Horvat", "Ivanova", "Kaur", "Murphy", "Nguyen", "Ortiz", "Schmidt",
)  # fmt: skip
# Surnames as a clinic meets them: a few common ones and a long tail. The 30 above
# take COMMON_SURNAME_SHARE of the patients between them (in the US and Germany the
# 30 most common surnames are about a tenth of the people, the commonest alone under
# 1%); the rest get one of about 20,000 built from the parts below, so a name prefix
# matches a number of patients that grows with the clinic, not a thirtieth of it.
COMMON_SURNAME_SHARE = 0.10
SURNAME_ONSETS = (
    "B", "Br", "C", "Ch", "D", "F", "G", "Gr", "H", "J", "K", "Kr", "L", "M", "N", "P", "R", "S", "Sch", "St", "T",
    "V", "W", "Z",
)  # fmt: skip
SURNAME_VOWELS = ("a", "e", "i", "o", "u", "ei", "au", "ö", "é")
SURNAME_CODAS = ("n", "r", "l", "s", "rk", "nd", "ck", "ll", "m", "t")
SURNAME_ENDINGS = ("", "er", "son", "sen", "ski", "ez", "ini", "ov", "man", "ley", "ford", "berg", "stein", "ou", "ić")


def surname(rng: random.Random) -> str:
    if rng.random() < COMMON_SURNAME_SHARE:
        return rng.choice(LAST_NAMES)
    parts = (SURNAME_ONSETS, SURNAME_VOWELS, SURNAME_CODAS, SURNAME_ENDINGS)
    return "".join(rng.choice(part) for part in parts)


SPECIALTIES = ("General practice", "Dentistry", "Physiotherapy", "Paediatrics", "Dermatology")

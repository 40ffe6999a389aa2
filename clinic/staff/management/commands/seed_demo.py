"""`manage.py seed_demo [--if-empty]`: two demo clinics to click through, kept filled.

The first run creates the clinics, their people and a week of appointments around
today (clinic.appointments.demo). Every later run tops up the demo clinics: today
and the next days, in each clinic's own time zone, get appointments if they have
none, and a clinic that heard from no patient in the last day gets a few texts
exchanged (clinic.messaging.demo). Other clinics are never touched. `make run`
runs it with --if-empty on every start, which leaves a database alone that has
users but no demo clinics.

Everything is written as the runtime role through the real services, inside each
clinic's tenant context, in one transaction: a failure leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.api.demo import create_demo_keys
from clinic.appointments.demo import (
    DAYS_AHEAD,
    DemoSchedule,
    coming_days_without_appointments,
    cover_every_weekday,
    fill_days,
    schedule_of,
)
from clinic.appointments.demo_data import (
    CLINICS,
    DEMO_PASSWORD,
    PATIENT_NOTES,
    SHARED_STAFF,
    DemoClinic,
    DemoUser,
)
from clinic.appointments.models import Patient
from clinic.appointments.services import (
    appointment_type_create,
    patient_create,
    provider_create,
    working_hours_set,
)
from clinic.core.dates import locale_for_timezone
from clinic.core.timezones import to_local
from clinic.messaging.demo import exchange_demo_texts, set_up_demo_messaging
from clinic.voice.demo import leave_demo_voicemails
from tenancy.context import tenant_context
from tenancy.models import Membership, Organization
from tenancy.services import membership_add, organization_create
from tenancy.session import memberships_for

DAYS_BACK = 3  # the first run's week: three days back, today, three days ahead


class Command(BaseCommand):
    help = "Load two demo clinics, or fill the demo clinics' coming days if they have none."
    # For tests: the moment the demo is loaded or topped up for (default: now).
    stealth_options = ("now",)

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load the demo only into a database without users; top up the demo clinics if they exist "
            "(for `make run` on every start).",
        )

    def handle(self, *args, if_empty: bool = False, now: dt.datetime | None = None, **options) -> None:
        now = now or timezone.now()
        users = get_user_model().objects
        owners = {demo.slug: users.filter(username=demo.owner.username).first() for demo in CLINICS}
        staff = users.filter(username=SHARED_STAFF.username).first()
        self.api_keys: list[tuple[str, str]] = []
        try:
            with transaction.atomic():
                if any(owners.values()):
                    self._top_up(owners, staff, now)
                    return
                if if_empty and users.exists():
                    self.stdout.write("Users exist already: demo data not loaded.")
                    return
                if staff is not None:
                    raise CommandError(f"User {staff.username} exists, but no demo clinic: demo data not loaded.")
                self._seed(now)
        except IntegrityError as exc:
            raise CommandError(f"Could not load the demo data, so none was loaded: {exc}") from exc
        self._print_credentials()

    def _seed(self, now: dt.datetime) -> None:
        rng = random.Random(2026)  # noqa: S311 (demo data, not secrets: the same demo every time)
        staff = _user(SHARED_STAFF, is_staff=False)
        for demo in CLINICS:
            owner = _user(demo.owner, is_staff=True)
            org = organization_create(
                name=demo.name,
                slug=demo.slug,
                timezone=demo.timezone,
                owner=owner,
                locale=locale_for_timezone(demo.timezone),
            )
            with tenant_context(org=org, user=owner):
                owner_membership = Membership.objects.get(organization=org, user=owner)
                membership_add(user=staff, role=Membership.Role.STAFF, added_by=owner_membership)
                clinic = _set_up(demo, org, owner, staff, rng)
                set_up_demo_messaging(demo.slug)
                today = to_local(now, org.zone).date()
                days = [today + dt.timedelta(days=offset) for offset in range(-DAYS_BACK, DAYS_AHEAD + 1)]
                fill_days(clinic, days, now, rng)
                texts = exchange_demo_texts(demo.slug)
                voicemails = leave_demo_voicemails(demo.name)
                self.api_keys += create_demo_keys(clinic_name=demo.name, owner=owner)
            self.stdout.write(
                f"{demo.name}: {len(clinic.providers)} providers, {len(clinic.patients)} patients, "
                f"{clinic.booked} appointments, {texts} text conversations, {voicemails} voicemails."
            )

    def _top_up(self, owners: dict, staff, now: dt.datetime) -> None:
        for demo in CLINICS:
            owner = owners[demo.slug]
            org = _demo_clinic(demo, owner) if owner is not None else None
            if org is None:
                self.stdout.write(f"{demo.name}: not found, left alone.")
                continue
            with tenant_context(org=org, user=owner):
                clinic = schedule_of(demo, org, owner, staff or owner)
                added = cover_every_weekday(demo, clinic)
                days = coming_days_without_appointments(clinic, now)
                rng = random.Random(f"{demo.slug}-{days[0] if days else ''}")  # noqa: S311 (demo data)
                fill_days(clinic, days, now, rng)
                texts = exchange_demo_texts(demo.slug)
                voicemails = leave_demo_voicemails(demo.name)
            self.stdout.write(_top_up_summary(demo, clinic, days, added, texts))
            if voicemails:
                self.stdout.write(f"{demo.name}: {voicemails} new voicemails.")

    def _print_credentials(self) -> None:
        rows = [(demo.owner.username, f"owner of {demo.name} (/admin/ after two-factor set-up)") for demo in CLINICS]
        rows.append((SHARED_STAFF.username, f"staff at {' and '.join(clinic.name for clinic in CLINICS)}"))
        self.stdout.write(self.style.SUCCESS("\nDemo clinics are ready. Sign in with:"))
        for username, role in rows:
            self.stdout.write(f"  {username:<16} password {DEMO_PASSWORD}   {role}")
        self.stdout.write(self.style.SUCCESS("\nAPI keys (shown only now; see docs/integrators/api.md):"))
        for description, key in self.api_keys:
            self.stdout.write(f"  {key}   {description}")


def _demo_clinic(demo: DemoClinic, owner) -> Organization | None:
    """The demo clinic: the one with the demo's slug that the demo owner owns."""
    with tenant_context(user=owner):
        for membership in memberships_for(owner):
            if membership.role == Membership.Role.OWNER and membership.organization.slug == demo.slug:
                return membership.organization
    return None


def _top_up_summary(demo: DemoClinic, clinic: DemoSchedule, days, added: list[int], texts: int) -> str:
    parts = [f"{clinic.booked} appointments on {', '.join(f'{day:%a %d %b}' for day in days)}" if days else ""]
    if added:
        parts.append(f"working hours on {', '.join(dt.date(2024, 1, 1 + day).strftime('%A') for day in added)}")
    if texts:
        parts.append(f"{texts} text conversations")
    done = "; ".join(part for part in parts if part)
    return f"{demo.name}: {done or f'today and the next {DAYS_AHEAD} days have appointments, nothing to add'}."


def _user(demo: DemoUser, *, is_staff: bool):
    return get_user_model().objects.create_user(
        username=demo.username,
        email=demo.email,
        password=DEMO_PASSWORD,
        first_name=demo.first_name,
        last_name=demo.last_name,
        is_staff=is_staff,
    )


def _set_up(demo: DemoClinic, org: Organization, owner, staff, rng: random.Random) -> DemoSchedule:
    providers, hours = [], {}
    for spec in demo.providers:
        provider = provider_create(title=spec.title, name=spec.name, specialty=spec.specialty)
        working_hours_set(provider=provider, hours=spec.hours)
        providers.append(provider)
        hours[provider.pk] = spec.hours
    types = [
        appointment_type_create(name=kind.name, default_duration=kind.minutes, colour=kind.colour)
        for kind in demo.types
    ]
    patients = [_patient(demo, index, first, last, rng) for index, (first, last) in enumerate(demo.patients)]
    return DemoSchedule(
        org=org,
        owner=owner,
        staff=staff,
        providers=providers,
        hours=hours,
        types=types,
        weights=[kind.weight for kind in demo.types],
        patients=patients,
        timing=random.Random(f"{demo.slug}-timing"),  # noqa: S311 (demo data)
    )


def _patient(demo: DemoClinic, index: int, first: str, last: str, rng: random.Random) -> Patient:
    born = dt.date(1942, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 78))
    email = f"{first}.{last}".lower().replace("'", "") + f"@{demo.email_domain}" if rng.random() < 0.7 else ""
    return patient_create(
        first_name=first,
        last_name=last,
        date_of_birth=born,
        phone=f"{demo.phone_prefix}{demo.first_number + index:04d}",
        email=email,
        notes=rng.choice(PATIENT_NOTES),
        sms_consent=Patient.SmsConsent.OPTED_IN if index % 9 != 4 else Patient.SmsConsent.OPTED_OUT,
    )

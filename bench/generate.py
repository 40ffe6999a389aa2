"""Synthetic clinics for benchmarks: many clinics, each with providers, patients and
a few weeks of non-overlapping appointments, written through the runtime role in each
clinic's tenant context (bulk inserts, so RLS WITH CHECK runs on every row)."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from clinic.appointments.models import Appointment, AppointmentType, Patient, Provider
from clinic.appointments.querysets import search_key
from tenancy.context import tenant_context
from tenancy.models import Organization
from tenancy.services import organization_create

SLOT = dt.timedelta(minutes=30)


def generate(*, clinics: int, providers: int, patients: int, days: int, seed: int = 7) -> list[Organization]:
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
    user_model = get_user_model()
    owner = user_model.objects.create_user(username=f"bench-owner-{seed}", email=f"bench{seed}@example.test")
    orgs = []
    for number in range(clinics):
        org = organization_create(
            name=f"Bench clinic {number}", slug=f"bench-{seed}-{number}", timezone="UTC", owner=owner
        )
        with tenant_context(org=org, user=owner):
            _fill_clinic(rng, providers=providers, patients=patients, days=days)
        orgs.append(org)
    return orgs


def _fill_clinic(rng: random.Random, *, providers: int, patients: int, days: int) -> None:
    kinds = AppointmentType.objects.bulk_create(
        [AppointmentType(name=f"Visit {n}", default_duration=30, colour="#3b82f6") for n in range(3)]
    )
    staff = Provider.objects.bulk_create([Provider(name=f"Provider {n}", title="Dr") for n in range(providers)])
    people = Patient.objects.bulk_create(
        [
            Patient(
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                search_name="",
                date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(25_000)),
                phone=f"+1202555{n:04d}",
            )
            for n in range(patients)
        ]
    )
    for person in people:
        person.search_name = search_key(f"{person.first_name} {person.last_name}")
        person.search_last = search_key(person.last_name)
    Patient.objects.bulk_update(people, ["search_name", "search_last"])
    start = timezone.now().replace(hour=8, minute=0, second=0, microsecond=0) - dt.timedelta(days=days // 2)
    bookings = []
    for day in range(days):
        for provider_index, provider in enumerate(staff):
            for slot in range(16):  # 08:00-16:00, one patient per half hour
                starts = start + dt.timedelta(days=day) + slot * SLOT
                # Each patient is booked in at most one slot at a time: the same
                # (slot, provider) cell never repeats a patient within the hour.
                patient = people[(day * 977 + slot * len(staff) + provider_index) % len(people)]
                bookings.append(
                    Appointment(
                        patient=patient,
                        provider=provider,
                        appointment_type=rng.choice(kinds),
                        starts_at=starts,
                        ends_at=starts + SLOT,
                    )
                )
    Appointment.objects.bulk_create(bookings, batch_size=2000)


FIRST_NAMES = ["Ada", "Ben", "Chloé", "Dmitri", "Esther", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Lars"]
LAST_NAMES = ["Okafor", "Lindqvist", "Müller", "Nakamura", "Rossi", "Santos", "Whitfield", "Kowalski", "Haddad"]

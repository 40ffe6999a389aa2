"""`manage.py generate_load_data`: synthetic clinics at platform scale for benchmarks.

    manage.py generate_load_data --clinics 1000 --appointments-per-clinic 1000 \\
        [--patients-per-clinic 200] [--messages-per-appointment 2] [--skew] [--seed 1]

Runs as the runtime role (no bypass): clinics are created through the onboarding
service and their rows are loaded in each clinic's tenant context, through the RLS
policies (see clinic/appointments/load_data.py for why bulk rows skip the services).
The same seed gives the same data; a seed already loaded is refused."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinic.appointments.load_data import LoadPlan, generate_load_data


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "Generate synthetic clinics, patients, appointments, texts and audit events for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = LoadPlan()
        parser.add_argument("--clinics", type=_positive, default=defaults.clinics)
        parser.add_argument("--appointments-per-clinic", type=_not_negative, default=defaults.appointments)
        parser.add_argument("--patients-per-clinic", type=_positive, default=defaults.patients)
        parser.add_argument("--messages-per-appointment", type=_not_negative, default=defaults.messages)
        parser.add_argument("--skew", action="store_true", help="the first clinic gets 50x the others' data")
        parser.add_argument("--seed", type=int, default=defaults.seed)

    def handle(self, *args, **options) -> None:
        plan = LoadPlan(
            clinics=options["clinics"],
            appointments=options["appointments_per_clinic"],
            patients=options["patients_per_clinic"],
            messages=options["messages_per_appointment"],
            skew=options["skew"],
            seed=options["seed"],
        )
        started = time.perf_counter()
        step = max(1, plan.clinics // 20)

        def progress(done: int) -> None:
            if done % step == 0 and options["verbosity"] >= 2:
                self.stdout.write(f"  {done}/{plan.clinics} clinics, {time.perf_counter() - started:.0f}s")

        try:
            result = generate_load_data(plan, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        took = time.perf_counter() - started
        counts = ", ".join(f"{count:,} {table}" for table, count in result.rows.items())
        self.stdout.write(f"Generated {len(result.organizations):,} clinics ({counts}) in {took:.1f}s.")

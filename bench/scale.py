"""Benchmark: the product at platform scale, on data from `manage.py generate_load_data`.

    make bench                         # 1,000 clinics (about 22 minutes on 2 busy cores)
    make bench-small                   # 50 clinics, 10 vs 1,000 at onboarding (about 7 minutes)
    .venv/bin/python -m bench.scale --small --reuse   # keep the last run's data

a. RLS cost of the hot queries at the median clinic: the runtime role under the
   policies against the BYPASSRLS audit role on the same SQL (target <= 1.10x; patient
   search <= 1.5x at a clinic of 50,000 patients), with EXPLAIN showing organization_id
   as an index condition; and where that cost goes (bench/rls_anatomy.py).
b. The big clinic (--skew: 50x the median's data) against the median clinic (<= 2x).
c. Onboarding a clinic at 10 vs 10,000 clinics (<= 1.2x, each < 50 ms), and `migrate`
   with nothing to do at both sizes (<= 1.2x).
d. HTTP under gunicorn: day view, patient page, API list, API create (req/s, p50/p95/p99).

Runs on its own databases (`clinic_bench_scale`, `..._onboard`), rebuilt unless --reuse."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEARCH_PATIENTS = 50_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="50 clinics; onboarding at 10 vs 1,000")
    parser.add_argument("--clinics", type=int, help="clinics to generate (default 1,000, --small 50)")
    parser.add_argument("--database", default="clinic_bench_scale")
    parser.add_argument("--reuse", action="store_true", help="keep the generated data of the last run")
    parser.add_argument("--per-round", type=int, default=20, help="queries per variant per round")
    parser.add_argument("--max-rounds", type=int, default=40)
    parser.add_argument("--http-seconds", type=float, default=15)
    parser.add_argument("--users", type=int, default=8, help="virtual users of the HTTP client")
    parser.add_argument("--skip", action="append", default=[], choices=["rls", "skew", "onboarding", "http"])
    args = parser.parse_args()
    clinics = args.clinics or (50 if args.small else 1000)

    os.environ["DATABASE_NAME"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["SECURE_COOKIES"] = "false"  # the session cookie travels over plain HTTP here
    import django

    django.setup()
    started = time.perf_counter()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {_load()}")
    orgs, search_org = _data(clinics, reuse=args.reuse)
    big, median = orgs[0], orgs[len(orgs) // 2]
    results = _measure(args, orgs=orgs, big=big, median=median, search_org=search_org)
    if "onboarding" not in args.skip:
        results.update(_onboarding(args))
    if "http" not in args.skip:
        _http(args, median)
    print(f"\nsummary (load average now {_load()}, {time.perf_counter() - started:.0f} s in all):")
    for name, ok in results.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _data(clinics: int, *, reuse: bool):
    from django.core.management import call_command
    from django.db import connections

    from bench.database import rebuild_database
    from clinic.appointments.load_data import load_clinics

    if not reuse or len(load_clinics(1)) != clinics or not load_clinics(2):
        rebuild_database()
        started = time.perf_counter()
        call_command("generate_load_data", clinics=clinics, skew=True, seed=1)
        took = time.perf_counter() - started
        print(f"generate_load_data --clinics {clinics} --skew: {took:.0f} s (load average {_load()})")
        call_command(
            "generate_load_data", clinics=1, appointments_per_clinic=1000, patients_per_clinic=SEARCH_PATIENTS, seed=2
        )
        with connections["owner"].cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return load_clinics(1), load_clinics(2)[0]


def _measure(args, *, orgs, big, median, search_org) -> dict[str, bool]:
    from bench import rls_anatomy, scale_queries

    results = {}
    rounds = {"per_round": args.per_round, "max_rounds": args.max_rounds}
    if "rls" not in args.skip:
        print(f"\n== a. RLS cost at the median clinic ({median.slug}), runtime role vs BYPASSRLS, same SQL")
        found = scale_queries.rls_cost(median, **rounds)
        results.update({f"RLS {name}": ok for name, ok in found.items() if name != "patient search by name"})
        print(f"\n== a. patient search at a clinic of {SEARCH_PATIENTS:,} patients")
        found = scale_queries.rls_cost(search_org, only={"patient search by name"}, **rounds)
        results[f"RLS patient search ({SEARCH_PATIENTS:,} patients)"] = found["patient search by name"]
        scale_queries.proof_call_us(median)
        print("\n== a. where the cost goes: the audit page on copies of its table, one policy each")
        rls_anatomy.anatomy(median, **rounds)
        scale_queries.explain(median)
        scale_queries.explain(search_org, names={"patient search by name"})
    if "skew" not in args.skip:
        print(f"\n== b. the big clinic ({big.slug}) against the median clinic, both under RLS")
        found = scale_queries.skew_cost(big, median, **rounds)
        grows = scale_queries.GROWS_WITH_THE_CLINIC
        results.update({f"skew {name}": ok for name, ok in found.items() if name not in grows})
    return results


def _onboarding(args) -> dict[str, bool]:
    """In a process of its own, on a database of its own (it fills it with clinics)."""
    large = 1000 if args.small else 10_000
    print(f"\n== c. onboarding and migrate at 10 vs {large:,} clinics")
    command = [sys.executable, "-m", "bench.scale_onboarding", "--database", f"{args.database}_onboard"]
    command += ["--large", str(large), "--max-rounds", str(args.max_rounds)]
    done = subprocess.run(command, check=False, capture_output=True, text=True)  # noqa: S603 (our own module)
    print(done.stdout.rstrip())
    if done.returncode not in (0, 1):  # 1 is a FAIL it printed; anything else ended it early
        print(f"the onboarding benchmark ended with status {done.returncode}:\n{done.stderr[-3000:]}")
        return {"onboarding and migrate (did not finish)": False}
    return {
        line.split(":", 1)[1].strip(): line.startswith("PASS")
        for line in done.stdout.splitlines()
        if line.startswith(("PASS:", "FAIL:"))
    }


def _http(args, org) -> None:
    from django.contrib.auth import get_user_model

    from bench.scale_http import http_load, staff_session, start_server, stop_server
    from clinic.api.services import api_key_create
    from clinic.appointments.load_data import owner_username
    from clinic.appointments.models import Appointment, AppointmentType, Patient, Provider
    from tenancy.context import tenant_context

    print("\n== d. HTTP")
    owner = get_user_model().objects.get(username=owner_username(1))
    with tenant_context(org=org, user=owner):
        _, key = api_key_create(name=f"bench {time.time():.0f}")
        patients = list(Patient.objects.order_by("id").values_list("id", flat=True)[:200])
        last = Appointment.objects.order_by("-ends_at").values_list("ends_at", flat=True).first()
        first_free = last.replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
        booking = (patients, Provider.objects.first().id, AppointmentType.objects.first().id, first_free)
    cookies = staff_session(org, _staff_member(org, owner))
    log = Path(tempfile.gettempdir()) / f"bench-scale-gunicorn-{os.getpid()}.log"
    server, url = start_server(os.environ["DATABASE_NAME"], log)
    try:
        http_load(
            url,
            cookies=cookies,
            api_key=key,
            patient_id=patients[0],
            booking=booking,
            users=args.users,
            seconds=args.http_seconds,
        )
    finally:
        stop_server(server)


def _staff_member(org, owner):
    """A staff member of this one clinic. (The load's owner belongs to every generated
    clinic, and the clinic switcher on every page would list all of them.)"""
    from django.contrib.auth import get_user_model

    from tenancy.context import tenant_context
    from tenancy.models import Membership
    from tenancy.services import membership_add

    username = f"bench-staff-{org.slug}"
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.test"}
    )
    if created:
        with tenant_context(org=org, user=owner):
            added_by = Membership.objects.get(user=owner, organization=org)
            membership_add(user=user, role=Membership.Role.STAFF, added_by=added_by)
    return user


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: what each appointment adds to the day view.

One clinic with 4 providers and full days (16 half-hour appointments per provider, 64
on today), served in-process by the whole Django stack (the test client, signed in as
the clinic's owner). Today's page and the page of an empty day (the same providers and
hours, no appointment) are loaded in turn, interleaved, so a busy machine slows both
alike, and each is timed in the app's own CPU time (the database server is another
process); the difference over the number of appointments is the cost of one
appointment in the app: its rows, the grid's layout and the template. A
profile of the full day's requests follows (`--profile`), the template's share
apart from the rest.

    .venv/bin/python -m bench.day_view [--rounds 200] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import platform
import pstats
import statistics
import sys
import time

PROVIDERS = 4
# Milliseconds of CPU one appointment may add to the page: half of what it cost with
# a template include per card and a URL reverse per link (0.91 ms, bench/RESULTS.md).
TARGET_MS_PER_APPOINTMENT = 0.45


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200, help="requests per page (interleaved)")
    parser.add_argument("--profile", action="store_true", help="then profile 50 requests of the full day")
    parser.add_argument("--html", help="write the full day's page to this file (to compare two versions)")
    args = parser.parse_args()

    os.environ["DATABASE_NAME"] = "clinic_bench_day_view"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
    from bench.database import rebuild_database

    rebuild_database()
    client, full, empty, count = _load()
    if args.html:
        with open(args.html, "w") as page:
            page.write(client.get(full).content.decode())
    samples = _measure(client, {"full": full, "empty": empty}, args.rounds)
    full_ms, empty_ms = statistics.median(samples["full"]), statistics.median(samples["empty"])
    per_appointment = (full_ms - empty_ms) / count
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {args.rounds} requests per page, interleaved")
    print(f"full day ({count} appointments, {PROVIDERS} providers): {full_ms:7.2f} ms (median CPU time)")
    print(f"empty day (same providers and hours):        {empty_ms:7.2f} ms (median CPU time)")
    verdict = "PASS" if per_appointment <= TARGET_MS_PER_APPOINTMENT else "FAIL"
    print(f"per appointment: {per_appointment:.3f} ms (target <= {TARGET_MS_PER_APPOINTMENT} ms) {verdict}")
    if args.profile:
        _profile(client, full)
    return 0 if verdict == "PASS" else 1


def _load():
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from bench.generate import generate
    from clinic.appointments.models import Appointment, Provider, WorkingHours
    from tenancy.context import tenant_context
    from tenancy.session import SESSION_ORG_KEY

    (org,) = generate(clinics=1, providers=PROVIDERS, patients=500, days=3)
    today = timezone.now().date()
    empty_day = today + dt.timedelta(days=30)
    with tenant_context(org=org):
        providers = list(Provider.objects.all())
        WorkingHours.objects.bulk_create(
            [
                WorkingHours(provider=provider, weekday=day.weekday(), starts=dt.time(8), ends=dt.time(16))
                for provider in providers
                for day in {today, empty_day}
            ]
        )
        count = Appointment.objects.on_day(today, org.zone).count()
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-owner-7"))
    session = client.session
    session[SESSION_ORG_KEY] = str(org.id)
    session.save()
    return client, f"/?date={today.isoformat()}", f"/?date={empty_day.isoformat()}", count


def _measure(client, urls: dict[str, str], rounds: int) -> dict[str, list[float]]:
    for url in urls.values():  # warm up
        for _ in range(5):
            assert client.get(url).status_code == 200
    samples: dict[str, list[float]] = {name: [] for name in urls}
    for index in range(rounds):
        order = list(urls.items()) if index % 2 == 0 else list(reversed(urls.items()))
        for name, url in order:
            # The server's own CPU time: the database's work is another process's, and
            # a busy machine's waits are not the page's.
            started = time.process_time()
            response = client.get(url)
            samples[name].append((time.process_time() - started) * 1000)
            assert response.status_code == 200
    return samples


def _profile(client, url: str) -> None:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(50):
        client.get(url)
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats("clinic|templatetags|include|loader_tags|defaulttags", 30)


if __name__ == "__main__":
    sys.exit(main())

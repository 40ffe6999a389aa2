"""Onboarding at scale: creating a clinic through the real onboarding service
(`organization_create`, each clinic by a new owner, as sign-ups come) on a platform of
10 clinics and on one of 10,000, and `manage.py migrate` with nothing to do on both.
Neither should notice the other clinics.

Two databases, `<name>_10` and `<name>_10000`, each served by a process of its own that
creates clinics on request; the two sizes are then measured interleaved, round by round
(bench.measure.interleave), so a busy machine slows both alike.

    .venv/bin/python -m bench.scale_onboarding --database clinic_bench_onboard --large 10000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from bench.measure import interleave, report

ONBOARD_TARGET = 1.2
ONBOARD_LIMIT_MS = 50.0
MIGRATE_TARGET = 1.2
PER_ROUND = 5


def _serve() -> None:
    """Child: rebuild this database, fill it to --count clinics, then for each line read
    ("N"), create N clinics and answer with the median milliseconds."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from bench.database import rebuild_database

    count = int(sys.argv[2])
    rebuild_database()
    started = time.perf_counter()
    numbers = iter(range(10**9))
    for _ in range(count):
        _create(next(numbers))
    print(f"ready {count} {time.perf_counter() - started:.0f}", flush=True)
    for line in sys.stdin:
        times = []
        for _ in range(int(line)):
            owner = _new_owner(next(numbers))
            begun = time.perf_counter()
            _create(next(numbers), owner)
            times.append((time.perf_counter() - begun) * 1000)
        print(f"{statistics.median(times):.3f}", flush=True)


def _new_owner(number: int):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username=f"owner-{number}", email=f"owner-{number}@example.test")


def _create(number: int, owner=None) -> None:
    from tenancy.services import organization_create

    owner = owner or _new_owner(number)
    organization_create(name=f"Clinic {number}", slug=f"clinic-{number}", timezone="UTC", owner=owner)


class _Platform:
    """A child process serving one database of `count` clinics."""

    def __init__(self, database: str, count: int) -> None:
        self.env = {**os.environ, "DATABASE_NAME": database}
        command = [sys.executable, "-m", "bench.scale_onboarding", "serve", str(count)]
        self.process = subprocess.Popen(  # noqa: S603 (our own module)
            command, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.count = count

    def _answer(self, starts: str = "") -> str:
        """The child's next answer, past what set-up printed."""
        while line := self.process.stdout.readline():
            line = line.strip()
            if line.startswith(starts) and (starts or line.replace(".", "", 1).isdigit()):
                return line
        raise RuntimeError(f"the clinic server for {self.count} clinics stopped")

    def wait_ready(self) -> str:
        _, count, seconds = self._answer("ready ").split()
        return f"{int(count):,} clinics onboarded in {seconds} s"

    def onboard_ms(self) -> float:
        self.process.stdin.write(f"{PER_ROUND}\n")
        self.process.stdin.flush()
        return float(self._answer())

    def migrate_ms(self) -> float:
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", "migrate", "--database", "owner", "--no-input"],
            env={**self.env, "DJANGO_SETTINGS_MODULE": "clinic.settings"},
            check=True,
            capture_output=True,
        )
        return (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def onboarding(*, database: str, small: int, large: int, max_rounds: int) -> dict[str, bool]:
    platforms = [_Platform(f"{database}_{small}", small), _Platform(f"{database}_{large}", large)]
    try:
        for platform in platforms:
            print(platform.wait_ready(), flush=True)
        few, many = platforms
        times: dict[str, list[float]] = {"few": [], "many": []}

        def timed(name: str, platform: _Platform) -> float:
            times[name].append(platform.onboard_ms())
            return times[name][-1]

        ratios = interleave(lambda: timed("many", many), lambda: timed("few", few), max_rounds)
        a, b = statistics.median(times["few"]), statistics.median(times["many"])
        print(f"onboarding a clinic (organization_create): {a:.1f} ms at {small:,} clinics, {b:.1f} ms at {large:,}")
        ok_ratio = report(f"  {large:,} / {small:,} clinics", ratios, ONBOARD_TARGET)
        ok_each = max(a, b) < ONBOARD_LIMIT_MS
        print(f"  each < {ONBOARD_LIMIT_MS:.0f} ms: {'PASS' if ok_each else 'FAIL'}")
        migrations = {"few": [], "many": []}

        def migrate(name: str, platform: _Platform) -> float:
            migrations[name].append(platform.migrate_ms())
            return migrations[name][-1]

        ratios = interleave(lambda: migrate("many", many), lambda: migrate("few", few), max(10, max_rounds // 3))
        print(
            f"migrate with nothing to do: {statistics.median(migrations['few']):.0f} ms at {small:,} clinics, "
            f"{statistics.median(migrations['many']):.0f} ms at {large:,}"
        )
        ok_migrate = report(f"  {large:,} / {small:,} clinics", ratios, MIGRATE_TARGET)
    finally:
        for platform in platforms:
            platform.close()
    return {"onboarding ratio": ok_ratio, "onboarding < 50 ms": ok_each, "migrate": ok_migrate}


def main() -> int:
    if sys.argv[1:2] == ["serve"]:
        _serve()
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="clinic_bench_onboard", help="prefix of the two databases")
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--max-rounds", type=int, default=40)
    args = parser.parse_args()
    results = onboarding(database=args.database, small=args.small, large=args.large, max_rounds=args.max_rounds)
    for name, ok in results.items():
        print(f"{'PASS' if ok else 'FAIL'}: {name}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

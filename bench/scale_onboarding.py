"""Onboarding at scale: creating a clinic through the real onboarding service
(`organization_create`) when the platform has 10 clinics and when it has 10,000, and
`manage.py migrate` with nothing to do at both sizes. Neither should notice the others.

Runs on its own database (DATABASE_NAME, rebuilt each run): bench.scale starts it as

    DATABASE_NAME=clinic_bench_scale_onboard .venv/bin/python -m bench.scale_onboarding --large 10000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from bench.measure import samples_ms, verdict

ONBOARD_TARGET = 1.2
ONBOARD_LIMIT_MS = 50.0
MIGRATE_TARGET = 1.2


def _owner():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="onboarding-bench", email="onboarding@example.test")
    return user


def _create(owner, number: int) -> None:
    from tenancy.services import organization_create

    organization_create(name=f"Onboarded {number}", slug=f"onboarded-{number}", timezone="UTC", owner=owner)


def _fill_to(total: int, already: int) -> None:
    """Empty clinics up to `total`, each through the onboarding service."""
    owner = _owner()
    for number in range(already, total):
        _create(owner, 1_000_000 + number)


def _onboard_samples(count: int, first: int) -> list[float]:
    owner = _owner()
    numbers = iter(range(first, first + count))
    return samples_ms(lambda: _create(owner, next(numbers)), count)


def _migrate_ms(repeat: int) -> list[float]:
    """`manage.py migrate` as an operator runs it, in its own process, timed whole
    (start-up included, which is the same at both sizes)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings"}
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--database", "owner", "--no-input"],
            env=env,
            check=True,
            capture_output=True,
        )
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def onboarding(*, small: int, large: int, samples: int, migrate_repeat: int) -> dict[str, bool]:
    _fill_to(small, 0)
    at_small = _onboard_samples(samples, 10_000_000)
    migrate_small = _migrate_ms(migrate_repeat)
    started = time.perf_counter()
    _fill_to(large, small + samples)
    print(f"\nonboarded {large - small - samples:,} more clinics in {time.perf_counter() - started:.0f}s")
    at_large = _onboard_samples(samples, 20_000_000)
    migrate_large = _migrate_ms(migrate_repeat)
    a, b = statistics.median(at_small), statistics.median(at_large)
    ok_ratio = b / a <= ONBOARD_TARGET
    ok_each = max(a, b) < ONBOARD_LIMIT_MS
    print(
        f"onboarding a clinic (organization_create): clinic #{small + 1:,}: {a:.1f} ms, "
        f"clinic #{large + 1:,}: {b:.1f} ms (medians of {samples})"
    )
    print(f"  ratio {b / a:.2f}x, target <= {ONBOARD_TARGET}x: {verdict(ok_ratio)}")
    print(f"  each < {ONBOARD_LIMIT_MS:.0f} ms: {verdict(ok_each)}")
    m_small, m_large = statistics.median(migrate_small), statistics.median(migrate_large)
    ok_migrate = m_large / m_small <= MIGRATE_TARGET
    print(
        f"migrate with nothing to do: {m_small:.0f} ms at {small + samples:,} clinics, "
        f"{m_large:.0f} ms at {large + samples:,} (medians of {migrate_repeat})"
    )
    print(f"  ratio {m_large / m_small:.2f}x, target <= {MIGRATE_TARGET}x: {verdict(ok_migrate)}")
    return {"onboarding ratio": ok_ratio, "onboarding < 50 ms": ok_each, "migrate": ok_migrate}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=20, help="clinics created and timed at each size")
    parser.add_argument("--migrate-repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from bench.run import _rebuild_database

    _rebuild_database()
    results = onboarding(small=args.small, large=args.large, samples=args.samples, migrate_repeat=args.migrate_repeat)
    for name, ok in results.items():
        print(f"{verdict(ok)}: {name}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

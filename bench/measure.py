"""What every benchmark measures with: timing a callable, and comparing two variants
interleaved round by round until the ratio is known to ±3% (95% interval).

Interleaving matters on a shared machine: a burst of other work then slows both
variants of a round alike, and the per-round ratio stays honest."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

PRECISION = 0.03  # stop once the ratio's 95% interval is within ±3% of it
MIN_ROUNDS = 10


def samples_ms(run: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def median_ms(run: Callable[[], object], repeat: int) -> float:
    return statistics.median(samples_ms(run, repeat))


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(len(ordered) * share) - 1))]


def interleave(first: Callable[[], float], second: Callable[[], float], max_rounds: int) -> list[float]:
    """Per-round ratios first/second, the two run back to back in alternating order,
    until the mean's 95% interval is within ±3% of it (at least 10 rounds)."""
    ratios = []
    for round_number in range(max_rounds):
        if round_number % 2:
            b, a = second(), first()
        else:
            a, b = first(), second()
        ratios.append(a / b)
        if len(ratios) >= MIN_ROUNDS and half_width(ratios) <= PRECISION * statistics.mean(ratios):
            break
    return ratios


def half_width(ratios: list[float]) -> float:
    return 1.96 * statistics.stdev(ratios) / math.sqrt(len(ratios))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(name: str, ratios: list[float], target: float | None) -> bool:
    """Print the mean ratio with its 95% interval and, given a target, PASS when the
    whole interval is at or under it. Returns whether it passed (True without a target)."""
    mean = statistics.mean(ratios)
    half = half_width(ratios)
    ok = target is None or mean + half <= target
    tail = "" if target is None else f"  target <= {target:.2f}x: {verdict(ok)}"
    print(f"{name}: {mean:.3f}x (95% interval {mean - half:.3f}-{mean + half:.3f}, {len(ratios)} rounds){tail}")
    return ok

"""What a clean `rls_audit` looks like, for the tests that run it on a migrated database."""

from __future__ import annotations

import io

from django.core.management import call_command

from tenancy.management.commands.rls_audit import FINDING_TITLES


def findings(report: dict) -> dict[str, list]:
    return {key: report[key] for key in FINDING_TITLES if report[key]}


def assert_clean(report: dict) -> None:
    """The audit found nothing."""
    assert findings(report) == {}
    assert report["ok"] is True


def expected_exit_code() -> int:
    return 0


def call_audit(*args: str) -> tuple[int, str]:
    """`rls_audit` in this process: its exit status and what it printed."""
    out = io.StringIO()
    try:
        call_command("rls_audit", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()

"""`manage.py check --deploy` passes, warnings included, with the production settings
the operations guide lists (the block in docs/operations/production.md, read from the
page itself, so the two cannot drift)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from tests.support.database import run_manage

pytestmark = pytest.mark.django_db

PRODUCTION_PAGE = Path(__file__).resolve().parents[2] / "docs" / "operations" / "production.md"


def production_block() -> dict[str, str]:
    """The variables of the first ```sh block of the production page."""
    text = PRODUCTION_PAGE.read_text()
    section = text[text.index("# Production\n") :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    return dict(line.split("=", 1) for line in block.splitlines() if line and not line.startswith("#"))


def check_deploy(variables: dict[str, str]):
    # The page's placeholders, made real: a secret key and a Fernet key of this run's own.
    env = {
        **variables,
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_NAME": settings.DATABASES["default"]["NAME"],
        **(
            {"CALENDAR_CREDENTIALS_KEYS": Fernet.generate_key().decode()}
            if "CALENDAR_CREDENTIALS_KEYS" in variables
            else {}
        ),
    }
    return run_manage("check", "--deploy", "--fail-level", "WARNING", env=env, timeout=120)


def test_the_production_page_lists_the_production_settings():
    variables = production_block()
    assert variables["DEBUG"] == "false"
    assert variables["SECURE_SSL_REDIRECT"] == "true"
    assert int(variables["SECURE_HSTS_SECONDS"]) >= 31536000
    assert variables["ALLOWED_HOSTS"] and "SECRET_KEY" in variables


def test_check_deploy_passes_without_a_warning_with_those_settings():
    result = check_deploy(production_block())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_still_warns_when_one_is_missing():
    variables = {**production_block(), "SECURE_SSL_REDIRECT": "false"}
    result = check_deploy(variables)
    assert result.returncode != 0
    assert "security.W008" in result.stderr


def test_check_deploy_warns_without_the_calendar_credentials_key():
    variables = {key: value for key, value in production_block().items() if key != "CALENDAR_CREDENTIALS_KEYS"}
    result = check_deploy(variables)
    assert result.returncode != 0
    assert "calendars.W001" in result.stderr

"""Web and worker processes never hold the credentials that bypass tenant isolation,
and the error page shows no database secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

SECRETS = {
    "DATABASE_URL": "postgresql://postgres:admin-s3cret-pw@127.0.0.1:5432/nowhere",
    "DB_APP_PASSWORD": "app-s3cret-pw",
    "DB_OWNER_PASSWORD": "owner-s3cret-pw",
    "DB_AUDIT_PASSWORD": "audit-s3cret-pw",
    "CACHE_URL": "redis://:cache-s3cret-pw@127.0.0.1:6379/0",
}

# A web process: settings as gunicorn loads them, an error rendered the way DEBUG
# shows it, for a request whose META holds the process environment (the development
# server copies it there).
RENDER_ERROR_PAGE = """
import json, os, sys
import django
django.setup()
from django.conf import settings
from django.test import RequestFactory
from django.views.debug import technical_500_response
request = RequestFactory().get("/patients/", **dict(os.environ))
try:
    raise RuntimeError("boom")
except RuntimeError:
    page = technical_500_response(request, *sys.exc_info()).content.decode()
print(json.dumps({"aliases": sorted(settings.DATABASES), "roles": sorted(settings.DATABASE_ROLES),
                  "admin": [settings.DATABASE_SERVER.admin_user, settings.DATABASE_SERVER.admin_password],
                  "page": page}))
"""


def _run(code: str, *argv: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", "DEBUG": "true", **SECRETS}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, *argv],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_web_process_has_the_runtime_role_only():
    report = _run(RENDER_ERROR_PAGE)
    assert report["aliases"] == ["default"]
    assert report["roles"] == ["default"]
    assert report["admin"] == ["", ""]


def test_the_debug_error_page_shows_no_secret():
    page = _run(RENDER_ERROR_PAGE)["page"]
    assert "RuntimeError" in page  # the page did render, settings and request included
    for name, secret in SECRETS.items():
        assert secret not in page, name
        assert "s3cret" not in page


PRIVILEGED = """
import json, sys
sys.argv = ["manage.py", sys.argv[1]]
import django
django.setup()
from django.conf import settings
print(json.dumps({"aliases": sorted(settings.DATABASES), "admin": settings.DATABASE_SERVER.admin_password}))
"""


def test_only_the_commands_that_need_them_read_them():
    migrate = _run(PRIVILEGED, "migrate")
    assert migrate == {"aliases": ["audit", "default", "owner"], "admin": "admin-s3cret-pw"}
    for command in ("runserver", "procrastinate", "shell", "seed_demo"):
        assert _run(PRIVILEGED, command) == {"aliases": ["default"], "admin": ""}, command

"""The module convention of docs/architecture/layout.md: an app's pages (every view a
request reaches) are in its `views.py` or `views/`, its URL patterns in its one
`urls.py`. Read from the source, so a new `pages.py` or second URL module fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLINIC = ROOT / "clinic"
# Django's view decorators (require_POST, never_cache, csrf_exempt…) mark a view.
VIEW = re.compile(r"^from django\.views\.decorators", re.MULTILINE)
URLS = re.compile(r"^from django\.urls import .*\b(path|re_path)\b", re.MULTILINE)
# Views outside views/, each for a reason of its own.
ELSEWHERE = {
    # The patients' export and erasure pages, which go with the data rights they serve.
    "clinic/audit/patient_pages.py",
    # The second sign-in step: its page and the half-signed-in session state that the
    # middleware and the admin read are one unit.
    "clinic/accounts/two_factor/login.py",
    # The API's catch-all 404, in the API's one error shape.
    "clinic/api/errors.py",
}


def app_modules():
    for app in sorted(path.parent for path in CLINIC.glob("*/apps.py")):
        for module in sorted(app.rglob("*.py")):
            if "migrations" not in module.parts:
                yield app, module


def test_the_apps_are_found():
    apps = {app.name for app, _ in app_modules()}
    assert {"accounts", "api", "audit", "calendars", "lifecycle", "messaging", "voice"} <= apps


def test_pages_are_in_views():
    misplaced = [
        str(module.relative_to(ROOT))
        for app, module in app_modules()
        if VIEW.search(module.read_text())
        and module != app / "views.py"
        and (app / "views") not in module.parents
        and str(module.relative_to(ROOT)) not in ELSEWHERE
    ]
    assert misplaced == []


def test_each_app_has_one_url_module():
    misplaced = [
        str(module.relative_to(ROOT))
        for app, module in app_modules()
        if URLS.search(module.read_text()) and module != app / "urls.py"
    ]
    assert misplaced == []


def test_the_exceptions_are_still_views():
    for name in ELSEWHERE:
        assert VIEW.search((ROOT / name).read_text()), f"{name} holds no view now: drop it from ELSEWHERE"

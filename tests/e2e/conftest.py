"""Browser tests: the real app, served by gunicorn from its own database, driven by
headless Chromium through Playwright.

pytest-django's live_server needs `transactional_db`, whose flush uses TRUNCATE, which
the runtime role may not do. So one server per test run instead: a database of its own
(`test_clinic_e2e_<pid>`), roles and migrations as `make db` does them, the demo
clinics (`manage.py seed_demo`) and data from tests/e2e/seed.py, then gunicorn on a
free port; all torn down at the end."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.database import _drop_abandoned_test_databases, _drop_database, manage_or_fail, set_up_database

ROOT = Path(__file__).resolve().parents[2]
# The screenshots README and the docs show. They are rewritten only on request (`make screenshots`
# sets WRITE_SCREENSHOTS=1), so a test run leaves the checkout as it was; otherwise
# they go to a temporary directory, the pages still rendered and captured whole.
SCREENSHOTS = ROOT / "docs" / "screenshots"
WRITE_SCREENSHOTS = os.environ.get("WRITE_SCREENSHOTS", "") == "1"
DB_PREFIX = "test_clinic_e2e"
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(database: str, workdir: Path) -> dict[str, str]:
    # DATABASE_URL passes through when set; DATABASE_NAME picks this run's database.
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
        "DATABASE_NAME": database,
        "E2E_STATIC_ROOT": str(workdir / "static"),
        "E2E_MAIL_DIR": str(workdir / "mail"),
        "VOICEMAIL_STORAGE_DIR": str(workdir / "voicemail"),
        "DEBUG": "false",
        "SECURE_COOKIES": "false",
        "ALLOW_SIGNUP": "true",  # the public sign-up page (tests/e2e/test_signup_flow.py)
        "PYTHONUNBUFFERED": "1",
    }


def _prepare(env: dict[str, str]) -> None:
    set_up_database(env)
    manage_or_fail("collectstatic", "--no-input", "--verbosity", "0", env=env)
    manage_or_fail("seed_demo", env=env)  # the demo clinics, as `make run` loads them
    manage_or_fail("shell", "-c", "from tests.e2e.seed import seed; seed()", env=env)


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"The e2e server exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 (our own server)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"The e2e server did not answer /healthz:\n{log.read_text()}")


def _start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    command = [
        *(sys.executable, "-m", "gunicorn", "clinic.wsgi:application"),
        *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--timeout", "60"),
    ]
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


_SERVER_ENV: dict[str, str] = {}


@pytest.fixture(scope="session")
def e2e_env(e2e_server) -> dict[str, str]:
    """The running server's environment, for `manage.py` commands and workers on its database."""
    return _SERVER_ENV


@pytest.fixture(scope="session")
def e2e_server() -> Iterator[str]:
    """Base URL of a running app with the seed data; one for the whole test run."""
    database = f"{DB_PREFIX}_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="clinic-e2e-"))
    env = _server_env(database, workdir)
    _SERVER_ENV.update(env)
    port = _free_port()
    server = None
    _drop_abandoned_test_databases(DB_PREFIX)
    try:
        _prepare(env)
        server = _start_server(env, port, workdir / "server.log")
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(url, server, workdir / "server.log")
        yield url
    finally:
        if server is not None:
            _stop(server)
        _drop_database(database)
        shutil.rmtree(workdir, ignore_errors=True)


def _chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.access(path, os.X_OK):
        pytest.fail(f"No Chromium at {path}: run scripts/ensure_test_tools.sh or set CHROMIUM_PATH.")
    return path


# Package scope, not session: Playwright's sync API keeps an event loop running while
# it is open, and Django refuses database work in a thread with a running loop. Closing
# it when the browser tests end keeps the rest of the suite out of that.
@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", *CHROMIUM_ARGS] if os.geteuid() == 0 else CHROMIUM_ARGS
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium_path(), headless=True, args=args)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, e2e_server):
    """A fresh browser context (no cookies) per test, at desktop size, on the e2e server."""
    context = browser.new_context(base_url=e2e_server, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    if WRITE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(screenshot_dir) -> Callable[..., Path]:
    """screenshot(page, name): <name>.png in docs/screenshots with WRITE_SCREENSHOTS=1,
    else in a temporary directory."""

    def save(page, name: str, *, full_page: bool = True) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


# Runs in every page before its own scripts; the policy does not apply to it.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${location.pathname}`);
});
"""
CONSOLE_PROBLEMS = re.compile(r"Refused to|Content Security Policy|Permissions-Policy|Unrecognized feature", re.I)


@pytest.fixture
def violations(page) -> list[str]:
    """What the browser refused, in this page and any popup it opens."""
    found: list[str] = []

    def report(text: str) -> None:
        found.append(text)

    def console(message) -> None:
        if CONSOLE_PROBLEMS.search(message.text):
            found.append(message.text)

    context = page.context
    context.expose_function("reportViolation", report)
    context.add_init_script(REPORT_VIOLATIONS)
    context.on("console", console)
    context.on("weberror", lambda error: found.append(f"page error: {error.error}"))
    return found

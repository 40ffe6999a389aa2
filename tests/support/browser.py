"""Helpers for the browser tests (tests/e2e): signing in, reading the server's mail,
visiting a page and setting up two-factor sign-in as a person does."""

from __future__ import annotations

from base64 import b32decode
from pathlib import Path

from django_otp.oath import totp
from playwright.sync_api import expect


def mails_to(env: dict[str, str], address: str) -> list[str]:
    """The mails the server has sent to `address`, oldest first (file backend)."""
    directory = Path(env["E2E_MAIL_DIR"])
    files = sorted(directory.glob("*.log"), key=lambda path: path.stat().st_mtime) if directory.exists() else []
    return [text for text in (path.read_text() for path in files) if f"To: {address}" in text]


def sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def visit(page, path: str, *, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, path
    page.wait_for_load_state("networkidle")


def set_up_two_factor(page) -> None:
    """Through the staff pages, as the admin asks: scan (read the secret), confirm."""
    visit(page, "/accounts/two-factor/setup/")
    key = b32decode(page.get_by_test_id("two-factor-secret").inner_text().replace(" ", ""))
    page.get_by_label("6-digit code from the app").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()

"""Content-Security-Policy without inline scripts or styles, and a Permissions-Policy
that turns off the browser features Clinic never uses, on every surface."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.support.sms import book_in
from tests.support.two_factor import sign_in_with_code

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in filter(None, (p.strip() for p in header.split(";"))):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict(response) -> None:
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'self'" in csp[directive]
        assert not {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*"} & set(csp[directive])
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] in (["'none'"], ["'self'"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]


def assert_features_off(response) -> None:
    features = dict(
        item.strip().split("=", 1) for item in response.headers.get("Permissions-Policy", "").split(",") if item
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features.get(feature) == "()", feature


@pytest.fixture
def signed_in_owner(client, org_a, owner_a, people_a):
    owner_a.is_staff = True
    owner_a.save()
    sign_in_with_code(client, owner_a, org_a)  # /admin/ asks for the second factor
    return client


SIGNED_IN_PAGES = [
    "/",
    "/patients/",
    "/setup/",
    "/members/",
    "/sms/",
    "/sms/settings/",
    "/settings/api-keys/",
    "/settings/webhooks/",
    "/audit/",
    "/accounts/password_change/",
    "/admin/",
    "/admin/appointments/patient/add/",
    "/api/v1/me/",
    "/no-such-page/",
]


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_pages_carry_both_policies(signed_in_owner, path):
    response = signed_in_owner.get(path)
    assert response.status_code in (200, 404), path
    assert_strict(response)
    assert_features_off(response)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/accounts/login/", 200),
        ("/accounts/password_reset/", 200),
        ("/api/docs/", 200),
        ("/api/schema/", 200),
        ("/healthz", 200),
        ("/c/not-a-token", 404),  # the patients' page, saying the link does not work
    ],
)
def test_public_pages_carry_both_policies(client, path, status):
    response = client.get(path)
    assert response.status_code == status, path
    assert_strict(response)
    assert_features_off(response)


def test_redirects_and_api_errors_carry_them_too(client):
    for response in (client.get("/"), client.get("/api/v1/patients/")):
        assert response.status_code in (302, 401)
        assert_strict(response)
        assert_features_off(response)


def test_the_schedule_places_its_grid_with_a_nonced_style_element(signed_in_owner, org_a, people_a):
    from tenancy.context import tenant_context

    with tenant_context(org=org_a):
        book_in(people_a, hours=1)
    response = signed_in_owner.get("/")
    page = response.content.decode()
    nonce = re.search(r"<style nonce=\"([^\"]+)\">", page).group(1)
    assert f"'nonce-{nonce}'" in policy(response)["style-src"]
    assert re.search(r"\.gr-\d+-\d+\{grid-row:\d+/\d+\}", page)
    assert re.search(r'class="appointment status-scheduled gr-\d+-\d+ gc-\d+-\d+"', page)
    # Each response has its own nonce.
    assert nonce not in signed_in_owner.get("/").headers["Content-Security-Policy"]


def test_pages_without_inline_styles_name_no_nonce(client):
    assert "nonce-" not in client.get("/accounts/login/").headers["Content-Security-Policy"]


class _InlineCode(HTMLParser):
    """Collects script elements without src, on* handlers and style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        self.found += [f"{name}= on <{tag}>" for name in names if name.startswith("on") or name == "style"]


def inline_code(html: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(html)
    return parser.found


def test_the_api_docs_load_swagger_ui_from_files_only(client):
    page = client.get("/api/docs/").content.decode()
    assert inline_code(page) == []
    assert "<style" not in page
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1).replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


def test_the_rendered_pages_have_no_inline_code(signed_in_owner, org_a, people_a):
    from tenancy.context import tenant_context

    with tenant_context(org=org_a):
        appointment = book_in(people_a, hours=2)
    paths = [*SIGNED_IN_PAGES, f"/appointments/{appointment.pk}/", f"/patients/{people_a.jane.pk}/"]
    for path in paths:
        response = signed_in_owner.get(path)
        if response["Content-Type"].startswith("text/html"):
            assert inline_code(response.content.decode()) == [], path


def test_no_template_has_inline_code():
    pattern = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|<[a-z][^>]*\s(on[a-z]+|style)\s*=", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in pattern.finditer(path.read_text())
    ]
    assert offenders == []

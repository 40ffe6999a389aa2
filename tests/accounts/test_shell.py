"""The layout around every page, and the access decorators the pages use."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from clinic.staff import context_processors
from clinic.staff.context_processors import NAV_ITEMS, NavItem
from tenancy.decorators import manager_required, org_required
from tests.support.people import add_member, login


def nav_labels(body: str) -> list[str]:
    import re

    return re.findall(r'class="site-nav__link" href="[^"]*"(?: aria-current="page")?>([^<]+)<', body)


def test_home_needs_a_login(client, db):
    assert client.get("/")["Location"] == "/accounts/login/?next=/"


def test_home_needs_an_active_clinic(client, org_a, org_b, owner_a):
    add_member(org_b, owner_a)
    login(client, owner_a)
    assert client.get("/")["Location"] == "/clinics/"


def test_the_start_page_is_the_active_clinics_schedule(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    body = client.get("/").content.decode()
    assert "times in Europe/Berlin" in body
    assert 'data-testid="active-clinic">Clinic A<' in body
    assert "Time zone: Europe/Berlin" in body
    assert "<main" in body and 'aria-label="Main"' in body


def test_the_header_has_the_user_and_a_post_logout(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    body = client.get("/").content.decode()
    assert "Sam Staff" in body
    assert '<form class="inline-form" method="post" action="/accounts/logout/">' in body


def test_staff_see_no_manager_links(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    assert nav_labels(client.get("/").content.decode()) == ["Schedule", "Patients", "SMS", "Calls", "Calendars"]


def test_managers_see_the_members_link(client, org_a, owner_a):
    login(client, owner_a, org=org_a)
    labels = nav_labels(client.get("/").content.decode())
    assert labels == [
        "Schedule",
        "Patients",
        "SMS",
        "Calls",
        "Calendars",
        "Providers &amp; types",
        "Members",
        "API keys",
        "Webhooks",
        "Audit",
        "Security",
    ]


def test_the_admin_link_is_for_staff_users_who_manage_the_clinic(client, org_a, owner_a, staff_a):
    for user in (owner_a, staff_a):
        user.is_staff = True
        user.save()
    login(client, owner_a, org=org_a)
    assert "Admin" in nav_labels(client.get("/").content.decode())
    client.logout()
    login(client, staff_a, org=org_a)
    assert "Admin" not in nav_labels(client.get("/").content.decode())


def test_the_current_page_is_marked(client, org_a, owner_a):
    login(client, owner_a, org=org_a)
    body = client.get("/members/").content.decode()
    assert 'href="/members/" aria-current="page">Members<' in body
    assert 'href="/" aria-current' not in body


def test_nav_items_whose_pages_do_not_exist_are_left_out(monkeypatch, client, org_a, owner_a):
    monkeypatch.setattr(context_processors, "NAV_ITEMS", (*NAV_ITEMS, NavItem("Reports", ("reports:index", "nowhere"))))
    login(client, owner_a, org=org_a)
    response = client.get("/")
    assert response.status_code == 200
    assert "Reports" not in nav_labels(response.content.decode())


def test_the_idle_timer_is_set_for_signed_in_pages_only(client, org_a, staff_a, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 12
    assert "data-idle-timeout-seconds" not in client.get("/accounts/login/").content.decode()
    login(client, staff_a, org=org_a)
    assert 'data-idle-timeout-seconds="720"' in client.get("/").content.decode()


def test_a_missing_page_renders_the_styled_404(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Clinic A" in response.content.decode()


def test_the_static_stylesheet_defines_every_appointment_status():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/clinic.css").read_text()
    for status in ("scheduled", "confirmed", "arrived", "completed", "cancelled", "no_show"):
        assert f".status-{status} " in css


# --- decorators, on their own ------------------------------------------------------


def view(request):
    return HttpResponse("ok")


def make_request(user, membership=None):
    request = RequestFactory().get("/somewhere/?x=1")
    request.user = user
    request.membership = membership
    request.organization = membership.organization if membership else None
    return request


def test_org_required_sends_signed_out_users_to_login(db):
    response = org_required(view)(make_request(AnonymousUser()))
    assert response["Location"] == "/accounts/login/?next=/somewhere/%3Fx%3D1"


def test_org_required_sends_users_without_a_clinic_to_the_picker(staff_a):
    assert org_required(view)(make_request(staff_a))["Location"] == "/clinics/"


def test_org_required_fails_loudly_without_a_picker_setting(staff_a, settings):
    from django.core.exceptions import ImproperlyConfigured

    del settings.TENANCY_PICKER_URL
    with pytest.raises(ImproperlyConfigured):
        org_required(view)(make_request(staff_a))


@pytest.mark.parametrize(("role", "allowed"), [("owner", True), ("admin", True), ("staff", False)])
def test_manager_required_lets_owners_and_admins_in_only(org_a, role, allowed):
    from tests.support.people import make_user

    user = make_user(f"user_{role}")
    membership = add_member(org_a, user, role=role)
    membership.organization = org_a
    request = make_request(user, membership)
    if allowed:
        assert manager_required(view)(request).content == b"ok"
    else:
        with pytest.raises(Http404):
            manager_required(view)(request)


def test_manager_required_checks_login_and_clinic_first(staff_a):
    assert manager_required(view)(make_request(AnonymousUser()))["Location"].startswith("/accounts/login/")
    assert manager_required(view)(make_request(staff_a))["Location"] == "/clinics/"

"""Public sign-up: off by default (404); on, it makes a user and a clinic in trial,
usable only after the emailed link is opened; limited per address and per email; and
the page answers the same whether or not the address has an account."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from clinic.audit.models import AuditEvent
from tenancy.context import tenant_context
from tenancy.models import Membership

pytestmark = pytest.mark.django_db
GOOD = {
    "clinic_name": "Sunny Dental",
    "timezone": "Europe/Berlin",
    "email": "Dana@Example.test",
    "password": "a long enough passphrase 42",
}


@pytest.fixture
def signup_on(settings):
    settings.ALLOW_SIGNUP = True
    return settings


def verify_path(message) -> str:
    return "/signup/verify/" + message.body.split("/signup/verify/")[1].split("/")[0] + "/"


def test_it_is_off_by_default(client):
    assert client.get("/signup/").status_code == 404
    assert client.post("/signup/", GOOD).status_code == 404
    assert client.get("/signup/verify/anything/").status_code == 404
    assert not get_user_model().objects.filter(email="dana@example.test").exists()


def test_signing_up_makes_a_user_and_a_clinic_in_trial_behind_the_emailed_link(client, signup_on):
    assert client.get("/signup/").status_code == 200
    response = client.post("/signup/", GOOD)
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    user = get_user_model().objects.get(email="dana@example.test")
    assert user.email_pending_verification
    with tenant_context(user=user):
        (membership,) = Membership.objects.select_related("organization").filter(user=user)
    clinic = membership.organization
    assert (membership.role, clinic.name, clinic.status) == ("owner", "Sunny Dental", "trial")
    with tenant_context(org=clinic):
        assert "clinic_created" in AuditEvent.objects.values_list("action", flat=True)
    (message,) = mail.outbox
    assert message.to == ["dana@example.test"]
    # Signed in before opening the link: "check your email", and no clinic.
    response = client.post("/accounts/login/", {"username": "dana@example.test", "password": GOOD["password"]})
    assert response.status_code == 302
    for path in ("/", "/patients/", "/clinics/", "/admin/"):
        page = client.get(path)
        assert page.status_code == 403 and "Check your email" in page.content.decode(), path
        assert "Sunny Dental" not in page.content.decode()
    assert client.get(verify_path(message)).status_code == 302
    user.refresh_from_db()
    assert not user.email_pending_verification
    assert client.get("/clinics/").status_code == 200
    switch = client.post("/clinics/switch/", {"membership": str(membership.pk)})
    assert switch.status_code == 302
    assert client.get("/patients/").status_code == 200


def test_a_bad_or_expired_link_is_refused(client, signup_on):
    client.post("/signup/", GOOD)
    path = verify_path(mail.outbox[0])
    assert client.get(path[:-3] + "xx/").status_code == 400
    signup_on.SIGNUP_VERIFY_HOURS = 1
    import time
    from unittest import mock

    with mock.patch("time.time", return_value=time.time() + 2 * 3600):
        assert client.get(path).status_code == 400
    assert get_user_model().objects.get(email="dana@example.test").email_pending_verification


def test_a_known_address_gets_the_same_page_and_a_mail_saying_so(client, signup_on, owner_a, org_a):
    new = client.post("/signup/", {**GOOD, "email": "new@example.test"})
    known = client.post("/signup/", {**GOOD, "email": owner_a.email.upper()})
    assert known.status_code == new.status_code == 200
    assert known.content.decode().replace(owner_a.email.upper().lower(), "X") == new.content.decode().replace(
        "new@example.test", "X"
    )
    assert get_user_model().objects.filter(email__iexact=owner_a.email).count() == 1
    with tenant_context(user=owner_a):
        assert Membership.objects.filter(user=owner_a).count() == 1
    assert [m.to for m in mail.outbox] == [["new@example.test"], [owner_a.email]]
    assert "already has an account" in mail.outbox[1].body and "/signup/verify/" not in mail.outbox[1].body


def test_bad_input_is_refused_with_400(client, signup_on):
    for bad in ({**GOOD, "email": "nope"}, {**GOOD, "password": "short"}, {**GOOD, "timezone": "Mars/Base"}):
        response = client.post("/signup/", bad)
        assert response.status_code == 400
    assert not mail.outbox
    assert not get_user_model().objects.filter(email="dana@example.test").exists()


def test_sign_ups_are_limited_per_address_and_per_email(client, signup_on):
    signup_on.SIGNUP_LIMIT_PER_EMAIL = 2
    statuses = [client.post("/signup/", GOOD).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    signup_on.SIGNUP_LIMIT_PER_IP = 4
    others = [client.post("/signup/", {**GOOD, "email": f"p{n}@example.test"}).status_code for n in range(2)]
    assert others == [200, 429]
    assert len(mail.outbox) == 3  # the first, a fresh link for the pending one, p0

"""Sign-in, sign-out and password reset, and where a user lands after signing in."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from clinic.audit.models import AuditEvent
from tenancy.context import tenant_context
from tenancy.session import SESSION_ORG_KEY
from tests.support.people import PASSWORD, add_member, login


def sign_in(client, user, **extra):
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD, **extra})


def test_the_login_page_renders_in_the_layout(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Sign in</h1>" in body
    assert 'href="#main"' in body
    assert "/static/css/clinic.css" in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_a_user_with_one_clinic_lands_in_it(client, org_a, staff_a):
    response = sign_in(client, staff_a)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_ORG_KEY] == str(org_a.id)
    page = client.get("/")
    assert page.status_code == 200
    assert "Clinic A" in page.content.decode()


def test_a_user_with_one_clinic_goes_on_to_the_page_asked_for(client, org_a, staff_a):
    response = sign_in(client, staff_a, next="/members/")
    assert response["Location"] == "/members/"


def test_an_unsafe_next_url_is_ignored(client, org_a, staff_a):
    response = sign_in(client, staff_a, next="https://evil.example/")
    assert response["Location"] == "/"


def test_a_user_with_several_clinics_lands_on_the_picker(client, org_a, org_b, owner_a):
    add_member(org_b, owner_a)
    response = sign_in(client, owner_a)
    assert response["Location"] == "/clinics/"
    assert SESSION_ORG_KEY not in client.session
    picker = client.get("/clinics/").content.decode()
    assert "Clinic A" in picker and "Clinic B" in picker


def test_a_user_without_a_clinic_is_told_so(client, outsider):
    response = sign_in(client, outsider)
    assert response["Location"] == "/clinics/"
    page = client.get("/clinics/").content.decode()
    assert "You are not a member of any clinic yet" in page
    assert client.get("/").url == "/clinics/"


def test_a_wrong_password_shows_an_error(client, staff_a):
    response = client.post("/accounts/login/", {"username": staff_a.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username or email and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_login_page_asks_for_a_username_or_email(client, db, settings):
    settings.ALLOW_SIGNUP = False
    body = client.get("/accounts/login/").content.decode()
    assert '<label for="id_username">Username or email</label>' in body
    assert 'href="/signup/"' not in body


def test_the_login_page_links_to_sign_up_when_it_is_open(client, db, settings):
    settings.ALLOW_SIGNUP = True
    body = client.get("/accounts/login/").content.decode()
    assert 'href="/signup/"' in body


def test_the_email_address_signs_in_whatever_its_case(client, org_a, staff_a):
    response = client.post("/accounts/login/", {"username": f"  {staff_a.email.upper()}", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(staff_a.pk)


def test_a_long_address_fits_the_box(client, org_a, db):
    address = f"{'a' * 200}@example.test"
    user = get_user_model().objects.create_user("long_address", email=address, password=PASSWORD)
    assert 'maxlength="254"' in client.get("/accounts/login/").content.decode()
    response = client.post("/accounts/login/", {"username": address, "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)


def test_a_wrong_password_with_the_email_is_refused_like_any_other(client, staff_a):
    response = client.post("/accounts/login/", {"username": staff_a.email, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username or email and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_email_two_accounts_share_signs_neither_in(client, org_a, staff_a):
    # Addresses are unique as typed; two that differ only in case may both exist.
    twin = get_user_model().objects.create_user("sam_twin", email=staff_a.email.upper(), password=PASSWORD)
    response = client.post("/accounts/login/", {"username": staff_a.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Please enter a correct username or email and password" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Their usernames still work.
    assert client.post("/accounts/login/", {"username": twin.username, "password": PASSWORD}).status_code == 302


def test_a_username_that_looks_like_an_address_is_a_username_first(client, org_a, staff_a):
    other = get_user_model().objects.create_user(staff_a.email, email="someone.else@example.test", password=PASSWORD)
    response = client.post("/accounts/login/", {"username": staff_a.email, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(other.pk)
    assert response.status_code == 302


def test_a_failed_sign_in_by_email_is_in_the_users_clinics_audit_trail(client, org_a, staff_a):
    client.post("/accounts/login/", {"username": staff_a.email.upper(), "password": "wrong"})
    with tenant_context(org=org_a):
        assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED, object_id=staff_a.pk).count() == 1


def test_a_signed_in_user_visiting_the_login_page_is_sent_on(client, org_a, staff_a):
    login(client, staff_a)
    assert client.get("/accounts/login/")["Location"] == "/"


def test_signing_out_needs_a_post(client, org_a, staff_a):
    login(client, staff_a)
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["You have signed out."]


def test_signing_out_forgets_the_active_clinic(client, org_a, staff_a):
    login(client, staff_a)
    client.post("/accounts/logout/")
    assert SESSION_ORG_KEY not in client.session


def test_the_password_reset_flow_sets_a_new_password(client, staff_a, mailoutbox):
    assert client.get("/accounts/password_reset/").status_code == 200
    response = client.post("/accounts/password_reset/", {"email": staff_a.email.upper()})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Reset your Clinic password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)

    form_url = client.get(link)["Location"]  # Django swaps the token for a session-held one
    assert "Choose a new password" in client.get(form_url).content.decode()
    new = "a-brand-new-passphrase-42"
    done = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert done["Location"] == "/accounts/reset/done/"
    assert "Your password has been changed" in client.get(done["Location"]).content.decode()
    signed_in = client.post("/accounts/login/", {"username": staff_a.username, "password": new})
    assert signed_in.status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, db, mailoutbox):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.test"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mailoutbox == []


def test_a_used_or_bogus_reset_link_says_so(client, db):
    response = client.get("/accounts/reset/MQ/set-password/")
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()


def test_the_password_change_page_needs_a_login(client, org_a, staff_a):
    assert client.get("/accounts/password_change/")["Location"].startswith("/accounts/login/")
    login(client, staff_a)
    assert "Change your password" in client.get("/accounts/password_change/").content.decode()

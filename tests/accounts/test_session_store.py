"""The sessions table holds hashes of session keys, never a key that signs anyone in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.models import Session

from clinic.accounts.session_store import stored_key
from tests.support.people import login


def test_the_table_holds_no_usable_session_key(client, staff_a, org_a):
    login(client, staff_a, org_a)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    stored = list(Session.objects.values_list("session_key", flat=True))
    assert cookie not in stored
    assert stored_key(cookie) in stored
    assert client.get("/").status_code == 200

    client.cookies[settings.SESSION_COOKIE_NAME] = stored_key(cookie)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_signing_out_deletes_the_stored_session(client, staff_a, org_a):
    login(client, staff_a, org_a)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=stored_key(cookie)).exists()

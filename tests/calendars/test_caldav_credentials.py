"""Calendar passwords at rest: encrypted in the database (the owner role reads a
Fernet token, not the password), readable with any configured key, re-encrypted clinic
by clinic with the first key by `manage.py rotate_calendar_credentials`, after which
the old key can go; without keys, only DEBUG derives one from SECRET_KEY."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from clinic.calendars.caldav import credentials
from clinic.calendars.models import CalDAVConnection
from tenancy.context import tenant_context
from tests.support import factories

pytestmark = pytest.mark.django_db

OLD_KEY = credentials.new_key()
NEW_KEY = credentials.new_key()


def connection_in(org, password: str) -> CalDAVConnection:
    with tenant_context(org=org):
        return factories.caldav_connection(password=password)


def stored_tokens(*owners) -> dict:
    """The stored password column as raw SQL shows it to each clinic's owner."""
    tokens = {}
    for org, owner in owners:
        with tenant_context(org=org, user=owner), connection.cursor() as cursor:
            cursor.execute("SELECT id, password_encrypted FROM calendars_caldavconnection")
            tokens.update(cursor.fetchall())
    return tokens


def passwords(*orgs) -> set[str]:
    found = set()
    for org in orgs:
        with tenant_context(org=org):
            found |= {credentials.decrypt(c.password_encrypted) for c in CalDAVConnection.objects.all()}
    return found


def test_the_password_is_not_in_the_database_in_plain_text(org_a, owner_a):
    caldav = connection_in(org_a, "plain-text-would-be-bad")
    token = stored_tokens((org_a, owner_a))[caldav.pk]
    assert "plain-text-would-be-bad" not in token
    assert token.startswith("gAAAAA")  # a Fernet token
    assert credentials.decrypt(token) == "plain-text-would-be-bad"
    assert "plain-text-would-be-bad" not in repr(caldav.__dict__)


def test_rotation_re_encrypts_every_clinic_and_the_old_key_can_then_go(org_a, owner_a, org_b, owner_b, settings):
    settings.CALENDAR_CREDENTIALS_KEYS = [OLD_KEY]
    connection_in(org_a, "password-a")
    connection_in(org_b, "password-b")
    before = stored_tokens((org_a, owner_a), (org_b, owner_b))

    settings.CALENDAR_CREDENTIALS_KEYS = [NEW_KEY, OLD_KEY]
    call_command("rotate_calendar_credentials", stdout=(out := _Output()))
    assert "Re-encrypted 2 calendar password(s) in 2 clinic(s)." in out.text
    after = stored_tokens((org_a, owner_a), (org_b, owner_b))
    assert after.keys() == before.keys() and all(after[pk] != before[pk] for pk in before)

    settings.CALENDAR_CREDENTIALS_KEYS = [NEW_KEY]
    assert passwords(org_a, org_b) == {"password-a", "password-b"}


def test_a_password_no_key_reads_breaks_its_connection_and_the_command_says_so(org_a, settings):
    settings.CALENDAR_CREDENTIALS_KEYS = [OLD_KEY]
    connection_in(org_a, "password-a")
    settings.CALENDAR_CREDENTIALS_KEYS = [NEW_KEY]  # the old key removed too early
    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("rotate_calendar_credentials", stdout=_Output())
    with tenant_context(org=org_a):
        broken = CalDAVConnection.objects.get()
    assert broken.status == "broken" and "reconnect" in broken.last_error
    assert "password-a" not in broken.last_error


def test_without_keys_only_debug_derives_one_from_the_secret_key(settings):
    settings.CALENDAR_CREDENTIALS_KEYS = []
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="CALENDAR_CREDENTIALS_KEYS"):
        credentials.encrypt("x")
    settings.DEBUG = True
    token = credentials.encrypt("x")
    assert credentials.decrypt(token) == "x"
    settings.SECRET_KEY = "another-secret-key-" * 3
    with pytest.raises(credentials.UnreadableCredentials):
        credentials.decrypt(token)


def test_the_account_never_shows_its_password():
    from clinic.calendars.caldav.client import Account

    account = Account("ada", "hunter2-app-password")
    assert "hunter2" not in repr(account) and "hunter2" not in str(account)


class _Output:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass

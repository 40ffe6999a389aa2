"""Settings for the test suite: the product's, plus a small tenant app that
exercises the tenancy layer on its own."""

from clinic.settings import *  # noqa: F403
from clinic.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.tenant_app"]

# The live server in browser tests speaks plain HTTP.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Event webhooks go to servers the tests start on 127.0.0.1 (the SSRF tests turn this off).
WEBHOOK_ALLOW_PRIVATE_URLS = True
# Busy calendars are served by a test server on 127.0.0.1 (the SSRF tests turn this off).
CALENDAR_FETCH_ALLOW_LOOPBACK = True

# Calendar passwords: a fixed test key (tests of rotation set their own), and the
# CalDAV server the tests start on 127.0.0.1 speaks plain http.
CALENDAR_CREDENTIALS_KEYS = ["Q2xpbmljIHRlc3Qga2V5IC0tIG5vdCBmb3IgdXNlIDA="]
CALDAV_ALLOW_HTTP = True

# The suite sets up its databases and checks them as the owner and audit roles.
DATABASE_SERVER, DATABASE_ROLES, DATABASES = database_settings(privileged=True)  # noqa: F405

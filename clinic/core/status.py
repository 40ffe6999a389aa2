"""What a clinic's status allows, decided in one place.

`decide(clinic, surface, detail)` answers ALLOW, SUSPENDED or CLOSED for every way
into a clinic: its staff pages, the admin, the API, a calendar feed, a patient's
confirmation link (GET and POST), a closed clinic's export, invitations, each worker
task by name, inbound texts by keyword and the texts the worker hands over by kind.

The rule: a clinic in trial or active is open to everything; a suspended or closed one
is refused everything, but for the few exceptions in EXCEPTIONS (each says why).

Each surface asks where it opens the clinic's tenant context, not view by view: the
staff pages, the admin and the API through a session in
`clinic.lifecycle.middleware`; API keys in `tenancy.drf` and every worker job in
`tenancy.jobs.tenant_task`, through the hook `TENANCY_STATUS_RULE` (tenancy never
imports the product); the feed, the confirmation link, the export, invitations and
the SMS webhook in their views.

URLS and TASKS classify every URL pattern and every worker task: which surface it is,
or that it acts for no clinic (and why). The test suite walks the URL resolver and
the worker's task registry and fails for one that is not classified here."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from tenancy.models import Membership, Organization

Status = Organization.Status


class Surface(enum.StrEnum):
    STAFF_PAGE = "staff_page"
    ADMIN = "admin"
    API = "api"  # the value tenancy.status passes for an API request
    FEED = "feed"
    LINK_GET = "link_get"
    LINK_POST = "link_post"
    EXPORT = "export"
    INVITATION = "invitation"
    TASK = "task"  # the value tenancy.status passes for a worker job; detail: the task's name
    INBOUND_SMS = "inbound_sms"  # detail: what the text means (clinic.messaging.replies.Intent)
    OUTBOUND_SMS = "outbound_sms"  # detail: the message's kind (SmsMessage.Kind)
    INBOUND_VOICE = "inbound_voice"  # detail: "voicemail" (a message and its callbacks) or "forward"


class Verdict(enum.StrEnum):
    ALLOW = "allow"
    SUSPENDED = "suspended"
    CLOSED = "closed"


def _in_grace_period(clinic: Organization, now: dt.datetime) -> bool:
    ends = grace_ends_at(clinic)
    return ends is not None and now < ends


def _always(clinic: Organization, now: dt.datetime) -> bool:
    return True


@dataclass(frozen=True)
class Exemption:
    """A surface (and detail) a clinic in one of `statuses` may still use, while
    `holds` says so."""

    surface: Surface
    detail: str
    statuses: frozenset[str]
    why: str
    holds: Callable[[Organization, dt.datetime], bool] = _always


SUSPENDED_ONLY = frozenset({Status.SUSPENDED})

# The only ways into a suspended or closed clinic. Everything else is refused.
EXCEPTIONS: tuple[Exemption, ...] = (
    Exemption(
        Surface.INBOUND_SMS,
        "opt_out",
        SUSPENDED_ONLY,
        "A patient's STOP takes effect whatever the clinic's status: opting out must always work.",
    ),
    Exemption(
        Surface.INBOUND_SMS,
        "opt_in",
        SUSPENDED_ONLY,
        "A patient's START takes effect too, so opting back in works as opting out does.",
    ),
    Exemption(
        Surface.INBOUND_SMS,
        "help",
        SUSPENDED_ONLY,
        "HELP is answered as carriers require of every number that sends texts; it changes nothing.",
    ),
    Exemption(
        Surface.INBOUND_SMS,
        "delivery_report",
        SUSPENDED_ONLY,
        "The provider's report about a text already handed over keeps that text's record right; it changes "
        "nothing else.",
    ),
    Exemption(
        Surface.TASK,
        "clinic.messaging.tasks.send_message",
        SUSPENDED_ONLY,
        "The send job runs so that the automatic answers to a patient's STOP, START or HELP go out; each text "
        "it holds is then decided by kind (OUTBOUND_SMS), and every other text stays queued.",
    ),
    Exemption(
        Surface.OUTBOUND_SMS,
        "reply",
        SUSPENDED_ONLY,
        "The automatic answer to a patient's own STOP, START or HELP, which carriers expect.",
    ),
    Exemption(
        Surface.INBOUND_VOICE,
        "voicemail",
        SUSPENDED_ONLY,
        "A patient calling a suspended clinic can still leave a message: the call and its recording are kept, "
        "and the recording job waits (TASKS) until the clinic is reactivated. Calls are not forwarded.",
    ),
    Exemption(
        Surface.EXPORT,
        "",
        frozenset({Status.CLOSED}),
        "A closed clinic's owners download everything it holds until its grace period "
        "(CLOSED_CLINIC_GRACE_DAYS) ends and it is purged.",
        _in_grace_period,
    ),
)


def decide(
    clinic: Organization, surface: Surface | str, detail: str = "", *, now: dt.datetime | None = None
) -> Verdict:
    """Whether `surface` may open `clinic`: ALLOW, or the state that refuses it."""
    surface = Surface(surface)
    if clinic.is_open:
        return Verdict.ALLOW
    refused = Verdict.CLOSED if clinic.status == Status.CLOSED else Verdict.SUSPENDED
    now = now or timezone.now()
    for exception in EXCEPTIONS:
        if (
            exception.surface == surface
            and exception.detail == detail
            and clinic.status in exception.statuses
            and exception.holds(clinic, now)
        ):
            return Verdict.ALLOW
    return refused


def allows(clinic: Organization, surface: Surface | str, detail: str = "") -> bool:
    return decide(clinic, surface, detail) is Verdict.ALLOW


def tenancy_rule(organization: Organization, surface: str, detail: str) -> str | None:
    """The rule as tenancy.status asks it (setting TENANCY_STATUS_RULE)."""
    verdict = decide(organization, surface, detail)
    return None if verdict is Verdict.ALLOW else str(verdict)


def grace_ends_at(clinic: Organization) -> dt.datetime | None:
    """When a closed clinic's export stops being offered and it may be deleted."""
    if clinic.status != Status.CLOSED or clinic.status_changed_at is None:
        return None
    return clinic.status_changed_at + dt.timedelta(days=settings.CLOSED_CLINIC_GRACE_DAYS)


# --- Every URL pattern and every worker task, classified --------------------------


@dataclass(frozen=True)
class NoClinic:
    """Acts for no clinic (or for the platform): the status rule does not apply."""

    why: str


Classification = tuple[Surface, ...] | NoClinic

SIGNING_IN = NoClinic("Signing in, out and the user's own password: no clinic is open.")
HEALTH = NoClinic("The load balancer's probes: no clinic.")
PICKER = NoClinic("Choosing or leaving a clinic: shows no clinic's data, so a user can leave a suspended one.")
SIGNUP = NoClinic("Signing up creates a new clinic (in trial).")
CONSOLE = NoClinic("The platform console (superusers): clinics' metadata only, and it is where they are reactivated.")
API_DOCS = NoClinic("The API's schema and docs: no clinic's data.")
TICK = NoClinic("A periodic tick: it only defers one job per clinic, and each of those obeys the rule.")
MAINTENANCE = NoClinic("The job queue's own housekeeping: no clinic.")

STAFF = (Surface.STAFF_PAGE,)

# By URL name ("namespace:name"); a whole namespace as "namespace:*".
URLS: dict[str, Classification] = {
    "healthz": HEALTH,
    "readyz": HEALTH,
    "login": SIGNING_IN,
    "login_verify": SIGNING_IN,
    "logout": SIGNING_IN,
    "password_reset": SIGNING_IN,
    "password_reset_done": SIGNING_IN,
    "password_reset_confirm": SIGNING_IN,
    "password_reset_complete": SIGNING_IN,
    # Within the active clinic's pages (as they have always been: its menu is around them).
    "password_change": STAFF,
    "password_change_done": STAFF,
    "two_factor:*": STAFF,
    "accounts:clinic_picker": PICKER,
    "accounts:clinic_switch": PICKER,
    "accounts:invitation": (Surface.INVITATION,),
    "lifecycle:closed_export": (Surface.EXPORT,),
    "lifecycle:signup": SIGNUP,
    "lifecycle:signup_verify": SIGNUP,
    "lifecycle_console:*": CONSOLE,
    "accounts:*": STAFF,
    "schedule:*": STAFF,
    "appointments:*": STAFF,
    "patients:*": STAFF,
    "setup:*": STAFF,
    # Importing opt-outs only stops texts, but it is a staff page like the others.
    "sms:opt_out_import": STAFF,
    "sms:*": STAFF,
    "api_keys:*": STAFF,
    "webhooks:*": STAFF,
    "calendars:*": STAFF,
    "audit:*": STAFF,
    "messaging:twilio_inbound": (Surface.INBOUND_SMS,),
    "messaging:twilio_status": (Surface.INBOUND_SMS,),
    "messaging:confirm": (Surface.LINK_GET, Surface.LINK_POST),
    "voice:*": (Surface.INBOUND_VOICE,),
    # The API's short-lived signed link to a voicemail's audio (GET /api/v1/voicemails/).
    "voice_audio:link": (Surface.API,),
    "calls:*": STAFF,
    "calendar_feed": (Surface.FEED,),
    "admin:*": (Surface.ADMIN,),
    "api:schema": API_DOCS,
    "api:docs": API_DOCS,
    "api:*": (Surface.API,),
}

# Patterns without a name, by their view ("module.function"); else by their namespace.
UNNAMED_VIEWS: dict[str, Classification] = {
    "django.contrib.admin.sites.catch_all_view": (Surface.ADMIN,),
    "clinic.api.errors.not_found": NoClinic("The API's 404 for a path it does not have: no clinic's data."),
}


def url_classification(view_name: str | None, view_path: str = "", namespace: str = "") -> Classification | None:
    """How a URL is classified, by its resolved view name ("namespace:name"), or for
    an unnamed pattern by its view ("module.function") or its namespace; None if it
    is not."""
    if view_name and view_name in URLS:
        return URLS[view_name]
    if not view_name and view_path in UNNAMED_VIEWS:
        return UNNAMED_VIEWS[view_path]
    namespace = view_name.rpartition(":")[0] if view_name else namespace
    while namespace:
        if f"{namespace}:*" in URLS:
            return URLS[f"{namespace}:*"]
        namespace = namespace.rpartition(":")[0]
    return None


@dataclass(frozen=True)
class Held:
    """A clinic's worker task, run only while the rule allows it. `when_refused` says
    what becomes of its work for a suspended clinic (a closed clinic's is dropped:
    nothing of it will be used again, and the purge deletes it)."""

    when_refused: str


TASKS: dict[str, Held | NoClinic] = {
    "clinic.messaging.tasks.tick": TICK,
    "clinic.messaging.tasks.dispatch_clinic": Held(
        "Not run: the confirmation requests stay pending; reactivation defers the dispatch again, and a "
        "request whose appointment is still ahead is texted then."
    ),
    "clinic.messaging.tasks.send_message": Held(
        "Runs (an exception) for the automatic answers to STOP, START and HELP; every other text stays "
        "queued, and reactivation defers its send job again."
    ),
    "clinic.api.webhooks.tasks.tick": TICK,
    "clinic.api.webhooks.tasks.deliver_webhook": Held(
        "Not run: the delivery stays pending with its attempts uncounted; reactivation defers it again."
    ),
    "clinic.api.webhooks.tasks.redeliver_overdue": Held("Not run: reactivation defers every pending delivery again."),
    "clinic.calendars.caldav.tasks.push_appointment": Held(
        "Not run: nothing is written to the calendar; reactivation syncs each working connection again, "
        "which pushes every appointment of its window."
    ),
    "clinic.calendars.caldav.tasks.sync_connection": Held("Not run: reactivation syncs the connection again."),
    "clinic.calendars.tasks.tick": TICK,
    "clinic.calendars.tasks.refresh_clinic": Held(
        "Not run: busy calendars are not fetched; reactivation refreshes them."
    ),
    "clinic.calendars.tasks.refresh_busy_calendar": Held("Not run: reactivation refreshes the clinic's calendars."),
    "clinic.voice.tasks.tick": TICK,
    "clinic.voice.tasks.retention_tick": TICK,
    "clinic.voice.tasks.process_recording": Held(
        "Not run: the voicemail stays pending (kept, not fetched); reactivation defers it again. A closed "
        "clinic's recordings are never fetched, and the purge deletes them."
    ),
    "clinic.voice.tasks.resume_clinic": Held("Not run: reactivation defers each pending voicemail again."),
    "clinic.voice.tasks.prune_clinic": Held(
        "Not run: old voicemails wait for the next daily run after reactivation; a closed clinic's are purged."
    ),
    "procrastinate.builtin_tasks.remove_old_jobs": MAINTENANCE,
    "builtin:procrastinate.builtin_tasks.remove_old_jobs": MAINTENANCE,
}


def closed_clinics_offered(memberships: list[Membership]) -> list[tuple[Membership, object]]:
    """The closed clinics whose export the user (their owner) may still download,
    with when that ends: for the picker."""
    return [
        (membership, grace_ends_at(membership.organization))
        for membership in memberships
        if membership.role == Membership.Role.OWNER and closed_export_offered(membership.organization)
    ]


def closed_export_offered(clinic: Organization) -> bool:
    """A closed clinic's export page (an open one's owners export patients from its
    pages): the rule says whether its export is still allowed."""
    return clinic.status == Organization.Status.CLOSED and allows(clinic, Surface.EXPORT)

"""Calendar connections (`/calendars/`): a member makes a private feed of a provider's
or the whole clinic's appointments, sees its link once (with a copy button and a QR
code for phones), and lists and revokes their own feeds. Owners and admins see and
revoke every feed of the clinic and decide whether feeds may show patient details.
Another member's feed, or another clinic's, is a 404. The same page lists the CalDAV
calendars the clinic writes to (their forms: clinic.calendars.views.caldav).

Busy calendars (a provider's outside calendar whose busy times block booking) are
listed for every member, with their address shortened (it is a secret; a CalDAV one as
"CalDAV: <host>"), their state and last error; any member adds one (an ICS address, or a
CalDAV connection they see), refreshes and removes them. Owners and admins choose
whether a busy time refuses a booking or only warns."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from clinic.accounts.two_factor.qr import qr_svg
from clinic.appointments.forms import add_service_errors
from clinic.appointments.models import Provider
from clinic.calendars.caldav.forms import CalDAVConnectForm
from clinic.calendars.caldav.services import caldav_connection_create
from clinic.calendars.forms import (
    BusyCalendarForm,
    CalendarSettingsForm,
    FeedForm,
    visible_connections,
)
from clinic.calendars.models import BusyCalendar, CalendarFeed, CalendarSettings
from clinic.calendars.services import (
    busy_calendar_add,
    busy_calendar_remove,
    calendar_settings_update,
    defer_refresh,
    feed_create,
    feed_revoke,
)
from clinic.calendars.views.caldav import connect_form
from clinic.core.row_lists import records_from, rows_of
from tenancy.decorators import manager_required, org_required
from tenancy.models import Organization

TEMPLATE = "calendars/calendars.html"
# What the page and its forms read of the clinic's calendar settings.
SETTINGS_SHOWN = ("allow_patient_details", "busy_conflicts")


def render_page(
    request: HttpRequest,
    form: FeedForm | None = None,
    *,
    new: dict | None = None,
    caldav_form: CalDAVConnectForm | None = None,
    busy_form: BusyCalendarForm | None = None,
    status: int = 200,
) -> HttpResponse:
    # Each of the page's reads once: its forms share the settings, the providers and
    # the connections.
    clinic_settings, providers, feeds = _page_reads(request.membership)
    connections = visible_connections(request.membership)
    context = {
        "feeds": feeds,
        "form": form or _feed_form(clinic_settings=clinic_settings, providers=providers),
        "new": new,
        "caldav_connections": connections,
        "caldav_broken": [connection for connection in connections if connection.is_broken],
        "caldav_form": caldav_form or connect_form(clinic_settings=clinic_settings, providers=providers),
        "settings_form": CalendarSettingsForm(
            initial={
                "allow_patient_details": clinic_settings.allow_patient_details,
                "busy_conflicts": clinic_settings.busy_conflicts,
            }
        ),
        "clinic_settings": clinic_settings,
        "busy_calendars": BusyCalendar.objects.select_related("provider", "caldav_connection").order_by(
            "provider__name", "name"
        ),
        "busy_form": busy_form
        or BusyCalendarForm(membership=request.membership, providers=providers, connections=connections),
    }
    return render(request, TEMPLATE, context, status=status)


def _page_reads(membership) -> tuple[CalendarSettings, list[Provider], list[CalendarFeed]]:
    """The clinic's calendar settings, its active providers and the feeds `membership`
    sees, in one statement: columns of the clinic's own row, which its members always
    see. A clinic that never saved its settings has the defaults."""
    stored = CalendarSettings.objects.order_by("pk")
    feeds = CalendarFeed.objects.visible_to(membership).order_by("revoked_at", "-created_at")
    row = (
        Organization.objects.filter(pk=membership.organization_id)
        .values(
            provider_rows=rows_of(Provider.objects.filter(active=True).order_by("name")),
            feed_rows=rows_of(feeds, "provider", "created_by"),
            **{f"clinic_{field}": Subquery(stored.values(field)[:1]) for field in SETTINGS_SHOWN},
        )
        .get()
    )
    providers = records_from(Provider, row["provider_rows"])
    feeds = records_from(CalendarFeed, row["feed_rows"], "provider", "created_by")
    if row["clinic_busy_conflicts"] is None:  # a stored row has one: the clinic has none
        return CalendarSettings(), providers, feeds
    return CalendarSettings(**{field: row[f"clinic_{field}"] for field in SETTINGS_SHOWN}), providers, feeds


def _feed_form(data=None, *, clinic_settings: CalendarSettings | None = None, providers=None) -> FeedForm:
    allow = (clinic_settings or CalendarSettings.current()).allow_patient_details
    return FeedForm(data, allow_patient_details=allow, providers=providers)


@never_cache
@org_required
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    return render_page(request)


@never_cache
@org_required
@require_POST
def feed_new(request: HttpRequest) -> HttpResponse:
    form = _feed_form(request.POST)
    if not form.is_valid():
        return render_page(request, form, status=400)
    feed, token = feed_create(
        provider=form.chosen_provider(), privacy=form.cleaned_data["privacy"], created_by=request.user
    )
    # Rendered here rather than redirected: a redirect would have to keep the link
    # somewhere (session, messages) until the next page.
    url = feed_url(request, token)
    qr = mark_safe(qr_svg(url, label="QR code of the link"))  # noqa: S308 (our own SVG of our own link)
    new = {"feed": feed, "url": url, "webcal_url": "webcal://" + url.split("://", 1)[1], "qr": qr}
    return render_page(request, new=new)


@org_required
@require_POST
def feed_revoke_view(request: HttpRequest, pk) -> HttpResponse:
    feed = get_object_or_404(CalendarFeed.objects.visible_to(request.membership), pk=pk)
    feed_revoke(feed=feed)
    messages.success(request, f"Revoked the calendar feed of {feed.scope_label}: its link no longer works.")
    return redirect("calendars:list")


@manager_required
@require_POST
def settings_update(request: HttpRequest) -> HttpResponse:
    form = CalendarSettingsForm(request.POST)
    if not form.is_valid():  # a checkbox: only a forged request gets here
        raise Http404("No such page.")
    calendar_settings_update(
        allow_patient_details=form.cleaned_data["allow_patient_details"],
        busy_conflicts=form.cleaned_data["busy_conflicts"] or None,
    )
    messages.success(request, "Calendar settings saved.")
    return redirect("calendars:list")


@org_required
@require_POST
def busy_new(request: HttpRequest) -> HttpResponse:
    form = BusyCalendarForm(request.POST, membership=request.membership)
    if not form.is_valid():
        return render_page(request, busy_form=form, status=400)
    connection = form.chosen_connection()
    try:
        if connection is not None:  # its provider's, whatever provider the form says
            calendar = busy_calendar_add(name=form.cleaned_data["name"], caldav_connection=connection)
        else:
            calendar = busy_calendar_add(
                provider=form.chosen_provider(), name=form.cleaned_data["name"], url=form.cleaned_data["url"]
            )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return render_page(request, busy_form=form, status=400)
    messages.success(request, f"Added the busy calendar {calendar.name}: it is being fetched now.")
    return redirect("calendars:list")


@org_required
@require_POST
def busy_refresh(request: HttpRequest, pk) -> HttpResponse:
    calendar = get_object_or_404(BusyCalendar, pk=pk)
    defer_refresh(calendar)
    messages.success(request, f"The busy calendar {calendar.name} is being fetched again.")
    return redirect("calendars:list")


@org_required
@require_POST
def busy_remove(request: HttpRequest, pk) -> HttpResponse:
    calendar = get_object_or_404(BusyCalendar, pk=pk)
    busy_calendar_remove(busy_calendar=calendar)
    messages.success(request, f"Removed the busy calendar {calendar.name} and its busy times.")
    return redirect("calendars:list")


def feed_url(request: HttpRequest, token: str) -> str:
    path = reverse("calendar_feed", kwargs={"token": token})
    if settings.CALENDAR_FEED_BASE_URL:
        return f"{settings.CALENDAR_FEED_BASE_URL}{path}"
    return request.build_absolute_uri(path)


# Connecting a CalDAV calendar re-renders this page with the form's errors, so the view
# lives here rather than in clinic.calendars.views.caldav, which this page imports.
@never_cache
@org_required
@require_POST
def caldav_new(request: HttpRequest) -> HttpResponse:
    form = connect_form(request.POST)
    if form.is_valid():
        try:
            connection = caldav_connection_create(
                provider=form.chosen_provider(),
                url=form.cleaned_data["url"],
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                privacy=form.cleaned_data["privacy"],
                created_by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Connected the calendar of {connection.provider.display_name}: "
                "its appointments are being added to it.",
            )
            return redirect("calendars:list")
    return render_page(request, caldav_form=form, status=400)

"""The CalDAV part of Calendar connections (`/calendars/caldav/…`): any member connects
a provider's calendar and sees, reconnects and removes the connections they made;
owners and admins do so for every connection of the clinic. Another member's
connection, or another clinic's, is a 404. The list itself is on the calendar page
(clinic.calendars.views.pages)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from clinic.calendars.caldav.forms import CalDAVConnectForm, CalDAVReconnectForm
from clinic.calendars.caldav.services import (
    caldav_connection_delete,
    caldav_connection_reconnect,
)
from clinic.calendars.models import CalDAVConnection, CalendarSettings
from tenancy.decorators import org_required

RECONNECT_TEMPLATE = "calendars/caldav_reconnect.html"


def connect_form(data=None, *, clinic_settings: CalendarSettings | None = None, providers=None) -> CalDAVConnectForm:
    allow = (clinic_settings or CalendarSettings.current()).allow_patient_details
    return CalDAVConnectForm(data, allow_patient_details=allow, providers=providers)


def _connection_or_404(request: HttpRequest, pk) -> CalDAVConnection:
    visible = CalDAVConnection.objects.visible_to(request.membership).select_related("provider")
    return get_object_or_404(visible, pk=pk)


@never_cache
@org_required
@require_http_methods(["GET", "POST"])
def caldav_reconnect(request: HttpRequest, pk) -> HttpResponse:
    connection = _connection_or_404(request, pk)
    form = CalDAVReconnectForm(request.POST or None, initial={"username": connection.username})
    if request.method == "POST" and form.is_valid():
        try:
            caldav_connection_reconnect(
                connection=connection,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Reconnected the calendar of {connection.provider.display_name}.")
            return redirect("calendars:list")
    status = 400 if request.method == "POST" else 200
    return render(request, RECONNECT_TEMPLATE, {"connection": connection, "form": form}, status=status)


@org_required
@require_POST
def caldav_delete(request: HttpRequest, pk) -> HttpResponse:
    connection = _connection_or_404(request, pk)
    caldav_connection_delete(connection=connection)
    messages.success(
        request,
        f"Removed the calendar connection of {connection.provider.display_name}: nothing more is sent to it.",
    )
    return redirect("calendars:list")

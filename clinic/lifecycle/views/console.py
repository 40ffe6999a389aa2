"""The platform console, under /admin/platform/: for superusers only (anyone else
gets 404), with the admin's own checks (staff, a verified second factor).

Superusers never see patient data. Everything the console reads comes from one narrow
function, `platform_clinic_overview()` (migrations lifecycle/0001 and 0002): per clinic
its name, slug, status, creation, counts and last activity, nothing else, and only
when the transaction's proven user is a superuser. Its actions (create
with an owner invitation, suspend, reactivate, close) each ask for a reason and go
through the lifecycle services, which record them in that clinic's audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.core.dates import locale_field
from clinic.lifecycle import services
from clinic.lifecycle.onboarding import clinic_create_with_owner_invitation
from tenancy.context import tenant_context
from tenancy.decorators import without_active_org
from tenancy.lookups import organization_id_for_slug
from tenancy.models import Organization
from tenancy.zones import ZoneField

ACTIONS = {
    "suspend": services.clinic_suspend,
    "reactivate": services.clinic_reactivate,
    "close": services.clinic_close,
    "activate": services.clinic_activate,
}


@dataclass(frozen=True)
class ClinicOverview:
    name: str
    slug: str
    status: str
    created_at: datetime
    members: int
    patients: int
    appointments: int
    messages: int
    last_activity: datetime | None

    @property
    def status_label(self) -> str:
        return Organization.Status(self.status).label


def clinic_overview(user) -> list[ClinicOverview]:
    """Every clinic's metadata, read as `user`: the function answers only when the
    transaction's proven user is an active superuser (lifecycle/0002), and nothing at
    all to anyone else. (The tenant middleware has opened this user's context already;
    saying so here keeps the read correct wherever it is called from.)"""
    with tenant_context(user=user), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM platform_clinic_overview()")
        return [ClinicOverview(*row) for row in cursor.fetchall()]


def superuser_only(view):
    """404 for anyone but a superuser; then the admin's checks (staff, second factor)."""
    admin_view = admin.site.admin_view(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_superuser):
            raise Http404("No such page.")
        return admin_view(request, *args, **kwargs)

    # Acts for no active clinic: clinic.core.status classifies its URLs so.
    return without_active_org(wrapper)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=services.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The clinic's owners read this.",
    )


class NewClinicForm(ReasonForm):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=60)
    timezone = ZoneField(initial="UTC", label="Time zone")
    locale = locale_field(from_timezone=True)
    owner_email = forms.EmailField(label="Owner's email", help_text="They get an invitation to own the clinic.")
    status = forms.ChoiceField(
        choices=[(Organization.Status.TRIAL, "Trial"), (Organization.Status.ACTIVE, "Active")],
        initial=Organization.Status.ACTIVE,
    )
    field_order = ["name", "slug", "timezone", "locale", "owner_email", "status", "reason"]


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, template, {**admin.site.each_context(request), **context}, status=status)


@superuser_only
@require_GET
def clinic_list(request: HttpRequest) -> HttpResponse:
    clinics = clinic_overview(request.user)
    return _page(request, "lifecycle/console_list.html", {"title": "Clinics", "clinics": clinics})


def _clinic(request: HttpRequest, slug: str) -> ClinicOverview:
    found = next((clinic for clinic in clinic_overview(request.user) if clinic.slug == slug), None)
    if found is None:
        raise Http404("No such clinic.")
    return found


@superuser_only
@require_GET
def clinic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    clinic = _clinic(request, slug)
    context = {"title": clinic.name, "clinic": clinic, "form": ReasonForm(), "actions": _actions_for(clinic)}
    return _page(request, "lifecycle/console_detail.html", context)


def _actions_for(clinic: ClinicOverview) -> list[str]:
    return [name for name, (allowed, _) in services.TRANSITIONS.items() if clinic.status in allowed]


@superuser_only
@require_POST
def clinic_action(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    change = ACTIONS.get(action)
    clinic = _clinic(request, slug)
    if change is None:
        raise Http404("No such action.")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            change(
                organization_id=organization_id_for_slug(slug),
                changed_by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{clinic.name}: {services.past_tense(action)}.")
            return redirect("lifecycle_console:clinic_detail", slug=slug)
    context = {"title": clinic.name, "clinic": clinic, "form": form, "actions": _actions_for(clinic), "failed": action}
    return _page(request, "lifecycle/console_detail.html", context, status=400)


@superuser_only
@require_http_methods(["GET", "POST"])
def clinic_new(request: HttpRequest) -> HttpResponse:
    form = NewClinicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            clinic, _ = clinic_create_with_owner_invitation(
                name=data["name"],
                slug=data["slug"],
                tz=data["timezone"],
                locale=data["locale"],
                owner_email=data["owner_email"],
                status=data["status"],
                created_by=request.user,
                reason=data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{clinic.name} created; {data['owner_email']} is invited to own it.")
            return redirect("lifecycle_console:clinic_detail", slug=clinic.slug)
    status = 400 if request.method == "POST" else 200
    return _page(request, "lifecycle/console_new.html", {"title": "New clinic", "form": form}, status=status)

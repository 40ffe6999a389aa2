"""Closing the clinic: its owner, after being offered the exports, types the clinic's
name to close it (clinic.lifecycle.services.clinic_close). Nobody works in it from
then on; its owners download its export from the clinic picker during the grace
period (CLOSED_CLINIC_GRACE_DAYS), after which the operator's `manage.py
purge_closed_clinics`, as the owner role, deletes it with all its data. The runtime
role, which serves this page, may not delete a clinic at all."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from clinic.lifecycle.services import clinic_close
from tenancy.decorators import manager_required
from tenancy.models import Membership
from tenancy.session import forget_active_org

logger = logging.getLogger(__name__)

CLOSE_REASON = "Closed by an owner on the clinic's page"


@manager_required
@require_http_methods(["GET", "POST"])
def clinic_close_page(request: HttpRequest) -> HttpResponse:
    if request.membership.role != Membership.Role.OWNER:
        raise Http404("No such page.")
    clinic = request.organization
    error = ""
    if request.method == "POST":
        if request.POST.get("name", "").strip() != clinic.name:
            error = "Type the clinic's name exactly to close it."
        else:
            try:
                clinic_close(organization_id=clinic.pk, changed_by=request.user, reason=CLOSE_REASON)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                forget_active_org(request)
                messages.success(
                    request,
                    f"{clinic.name} is closed. Download its export below: after "
                    f"{settings.CLOSED_CLINIC_GRACE_DAYS} days it is deleted with all its data.",
                )
                return redirect("accounts:clinic_picker")
    context = {"clinic": clinic, "error": error, "grace_days": settings.CLOSED_CLINIC_GRACE_DAYS}
    return render(request, "accounts/clinic_close.html", context, status=400 if error else 200)

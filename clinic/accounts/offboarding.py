"""Deleting the clinic: its owner, after being offered the exports, types the clinic's
name to delete it with all its data (tenancy.services.organization_delete)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tenancy.decorators import manager_required
from tenancy.models import Membership
from tenancy.services import organization_delete
from tenancy.session import forget_active_org

logger = logging.getLogger(__name__)


@manager_required
@require_http_methods(["GET", "POST"])
def clinic_delete(request: HttpRequest) -> HttpResponse:
    if request.membership.role != Membership.Role.OWNER:
        raise Http404("No such page.")
    clinic = request.organization
    error = ""
    if request.method == "POST":
        if request.POST.get("name", "").strip() != clinic.name:
            error = "Type the clinic's name exactly to delete it."
        else:
            organization_delete(deleted_by=request.membership)
            # Its audit trail is gone with it: the application log keeps the fact.
            logger.warning("Clinic %s deleted by user %s", clinic.pk, request.user.pk)
            forget_active_org(request)
            messages.success(request, f"{clinic.name} and all its data are deleted.")
            return redirect("accounts:clinic_picker")
    return render(
        request, "accounts/clinic_delete.html", {"clinic": clinic, "error": error}, status=400 if error else 200
    )

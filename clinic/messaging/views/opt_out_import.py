"""Importing numbers that opted out elsewhere, at /sms/settings/opt-outs/, for owners
and admins (anyone else gets 404, like the SMS settings). A bad file is refused
whole with 400 and its lines named; a good one goes on the list in one transaction
(clinic.messaging.services.sms_opt_outs_import)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from clinic.core.phones import clinic_phone_region
from clinic.messaging import optouts
from clinic.messaging.compliance_models import OptOutMethod, SmsOptOut
from clinic.messaging.forms import OptOutImportForm
from clinic.messaging.opt_out_import import MAX_BYTES, MAX_ROWS
from clinic.messaging.services import sms_opt_outs_import
from tenancy.decorators import manager_required

RECENT_SHOWN = 20


@manager_required
@require_http_methods(["GET", "POST"])
def opt_out_import(request: HttpRequest) -> HttpResponse:
    form = OptOutImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                # Read no more than one byte past the limit: the service refuses what is over.
                data = upload.read(MAX_BYTES + 1)
                counts = sms_opt_outs_import(data=data, name=upload.name, note=form.cleaned_data["note"])
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                messages.success(request, _summary(counts))
                return redirect("sms:opt_out_import")
        return _render(request, form, status=400)
    return _render(request, form)


def _summary(counts: dict[str, int]) -> str:
    numbers, added, patients = counts["numbers"], counts["opted_out"], counts["patients"]
    text = f"The file had {numbers} number{'s' if numbers != 1 else ''}; {added} newly opted out"
    if patients:
        text += f", and {patients} patient{'s' if patients != 1 else ''} no longer texted"
    return text + "."


def _render(request: HttpRequest, form: OptOutImportForm, *, status: int = 200) -> HttpResponse:
    imported = SmsOptOut.objects.filter(method=OptOutMethod.IMPORT, opted_out=True)
    context = {
        "form": form,
        "sender_number": optouts.clinic_sender(),
        "imported_count": imported.count(),
        "recent": imported.order_by("-at")[:RECENT_SHOWN],
        "max_rows": MAX_ROWS,
        "max_megabytes": MAX_BYTES // 1_048_576,
        "region": clinic_phone_region(clinic=request.organization),
    }
    return render(request, "messaging/opt_out_import.html", context, status=status)

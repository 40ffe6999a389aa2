"""The clinic's patients: search, register, edit, and one patient's page."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.appointments.forms import NewPatientForm, PatientForm, add_service_errors
from clinic.appointments.models import Appointment, Patient
from clinic.appointments.querysets import SEARCH_ORDER
from clinic.appointments.services import patient_create, patient_update
from clinic.audit.reads import record_view, view_or_not_found
from clinic.core.redirects import RowUrl
from clinic.core.search_terms import PARAM, recall, search_redirect
from clinic.messaging import optouts
from clinic.messaging.compliance_models import OptOutMethod
from clinic.messaging.selectors import patient_messages, with_latest_texts
from clinic.messaging.services import sms_number_opt_in, sms_number_opt_out
from tenancy.decorators import org_required

PATIENTS_PER_PAGE = 25
NAME_ORDER = ("last_name", "first_name", "id")
APPOINTMENTS_SHOWN = 20
SEARCH_MAX_LENGTH = 100


@org_required
@require_http_methods(["GET", "POST"])
def patient_list(request: HttpRequest) -> HttpResponse:
    """The search POSTs its terms, kept in the session: a patient's name, birth date or
    phone never travels in a URL (clinic.core.search_terms)."""
    if request.method == "POST":
        return search_redirect(request, {"q": request.POST.get("q", "").strip()[:SEARCH_MAX_LENGTH]})
    query = recall(request).get("q", "")
    patients = Patient.objects.search(query).order_by(*(SEARCH_ORDER if query else NAME_ORDER))
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    detail_url = RowUrl("patients:detail")
    for patient in page.object_list:  # read here; the template iterates the same rows
        patient.detail_url = detail_url(patient.pk)
    # Pages of a search carry its key, never its terms.
    context = {"page": page, "query": query, "search_key": request.GET.get(PARAM) if query else ""}
    return render(request, "appointments/patient_list.html", context)


@org_required
@require_http_methods(["GET", "POST"])
def patient_create_view(request: HttpRequest) -> HttpResponse:
    form = NewPatientForm(request.POST or None, clinic=request.organization)
    if request.method == "POST" and form.is_valid():
        try:
            patient = patient_create(**form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{patient} is registered.")
            _notice_shared_phone(request, patient)
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "appointments/patient_form.html", {"form": form, "patient": None})


@org_required
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, pk) -> HttpResponse:
    patient = get_object_or_404(Patient.objects, pk=pk)
    if request.method == "GET":
        record_view(patient)  # the form shows the patient's details
    # The form changes its instance while validating; the page shows the stored name.
    stored = copy.copy(patient)
    form = PatientForm(request.POST or None, instance=patient, clinic=request.organization)
    if request.method == "POST" and form.is_valid():
        try:
            patient = patient_update(patient=patient, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {patient}'s details.")
            if patient.phone != stored.phone:
                _notice_shared_phone(request, patient)
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "appointments/patient_form.html", {"form": form, "patient": stored})


def _notice_shared_phone(request: HttpRequest, patient: Patient) -> None:
    """A family phone is allowed, so not an error; but a typo in someone else's number
    would send this patient's texts to a stranger, so staff are told who else has it."""
    others = [str(other) for other in patient.sharing_phone().order_by("last_name", "first_name")[:5]]
    if not others:
        return
    names = others[0] if len(others) == 1 else f"{', '.join(others[:-1])} and {others[-1]}"
    reach = "both" if len(others) == 1 else "them all"
    messages.warning(request, f"Also the number of {names}: texts to it reach {reach}.")


@org_required
@require_GET
def patient_detail(request: HttpRequest, pk) -> HttpResponse:
    patient, not_found = view_or_not_found(
        request, with_latest_texts(optouts.with_texting_state(Patient.objects.all())), pk
    )
    if not_found:
        return not_found
    now = timezone.now()
    appointments = Appointment.objects.filter(patient=patient).with_related()
    upcoming, past = appointments.upcoming_and_past(now, APPOINTMENTS_SHOWN)
    context = {
        "patient": patient,
        "upcoming": upcoming,
        "past": past,
        "sms_messages": patient_messages(patient),
        "texts_off": optouts.texts_off_reason(patient, request.organization.zone),
    }
    return render(request, "appointments/patient_detail.html", context)


@org_required
@require_POST
def patient_sms_opt_out(request: HttpRequest, pk) -> HttpResponse:
    """Stop texts to the patient's number at their (spoken, written) wish: the number
    goes on the clinic's opt-out list and the patient's consent is withdrawn."""
    patient = get_object_or_404(Patient.objects, pk=pk)
    reason = request.POST.get("reason", "")[:300]
    try:
        sms_number_opt_out(phone=patient.phone, method=OptOutMethod.STAFF, reason=reason, patient=patient)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"No more texts to {patient}'s number.")
    return redirect("patients:detail", pk=patient.pk)


@org_required
@require_POST
def patient_sms_opt_in(request: HttpRequest, pk) -> HttpResponse:
    """Texts again, for a reason staff give (the patient asked at the desk, say): the
    number's opt-out is lifted and the patient's consent given, with the clinic's wording."""
    patient = get_object_or_404(Patient.objects, pk=pk)
    reason = request.POST.get("reason", "")[:300]
    try:
        sms_number_opt_in(phone=patient.phone, method=OptOutMethod.STAFF, reason=reason, patient=patient)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{patient} gets appointment texts again.")
    return redirect("patients:detail", pk=patient.pk)

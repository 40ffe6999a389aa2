"""The SMS inbox at /sms/inbox/: texts waiting for a person, oldest first, each
with "Mark handled" and, when there is a patient to answer, a reply."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clinic.appointments.forms import add_service_errors
from clinic.appointments.models import Patient
from clinic.core.redirects import next_url
from clinic.messaging.forms import ReplyForm
from clinic.messaging.models import SmsMessage
from clinic.messaging.selectors import INBOX_COUNT_ATTRIBUTE, awaiting_answer, inbox_messages
from clinic.messaging.services import inbox_mark_handled, send_text_by_hand
from tenancy.decorators import org_required

ITEMS_PER_PAGE = 50


@dataclass(frozen=True)
class InboxItem:
    message: SmsMessage
    reply_form: ReplyForm | None
    # Why no reply is offered, when none is.
    no_reply: str
    # For a reply matched to no appointment: those still waiting for this number's answer.
    waiting: tuple = ()


NO_ONE_TO_REPLY_TO = "No one patient of this clinic has this number, so there is no one to reply to from here."


def _item(message: SmsMessage, reply_form: ReplyForm | None, waiting: dict | None = None) -> InboxItem:
    patient = message.patient
    appointments = tuple((waiting or {}).get(message.from_number, ())) if _unmatched_reply(message) else ()
    if patient is None:
        return InboxItem(message, None, NO_ONE_TO_REPLY_TO, appointments)
    if patient.sms_consent != Patient.SmsConsent.OPTED_IN:
        return InboxItem(message, None, f"{patient.first_name} opted out of texts; call instead.", appointments)
    form = reply_form or ReplyForm(auto_id=f"reply-{message.pk}-%s")
    if message.direction == SmsMessage.Direction.OUTBOUND:
        form.fields["body"].label = "Another text"  # the failed one is not answered but replaced
    return InboxItem(message, form, "", appointments)


def _unmatched_reply(message: SmsMessage) -> bool:
    return message.direction == SmsMessage.Direction.INBOUND and message.appointment_id is None


def _render_inbox(request: HttpRequest, failed: tuple[SmsMessage, ReplyForm] | None = None) -> HttpResponse:
    page = Paginator(inbox_messages(), ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    setattr(request, INBOX_COUNT_ATTRIBUTE, page.paginator.count)  # the navigation's badge counts the same
    forms = {failed[0].pk: failed[1]} if failed else {}
    waiting = awaiting_answer({m.from_number for m in page.object_list if _unmatched_reply(m)})
    items = [_item(message, forms.pop(message.pk, None), waiting) for message in page.object_list]
    if failed and forms:
        # A refused reply to a text not on this page (or handled meanwhile) stays in view with its error.
        items.insert(0, _item(*failed, awaiting_answer([failed[0].from_number])))
    return render(request, "messaging/inbox.html", {"page": page, "items": items})


@org_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return _render_inbox(request)


@org_required
@require_POST
def mark_handled(request: HttpRequest, pk) -> HttpResponse:
    message = get_object_or_404(SmsMessage.objects, pk=pk)
    inbox_mark_handled(message=message, handled_by=request.user)
    messages.success(request, "Marked handled.")
    return redirect(next_url(request, reverse("sms:inbox")))


@org_required
@require_POST
def reply(request: HttpRequest, pk) -> HttpResponse:
    message = get_object_or_404(SmsMessage.objects.select_related("patient", "appointment"), pk=pk)
    if message.patient is None:
        messages.error(request, "That text came from no patient of this clinic; there is no one to reply to.")
        return redirect("sms:inbox")
    form = ReplyForm(request.POST, auto_id=f"reply-{message.pk}-%s")
    if form.is_valid():
        try:
            send_text_by_hand(
                patient=message.patient,
                body=form.cleaned_data["body"],
                sent_by=request.user,
                appointment=message.appointment,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if form.cleaned_data["mark_handled"]:
                inbox_mark_handled(message=message, handled_by=request.user)
            messages.success(request, f"Reply to {message.patient} queued.")
            return redirect("sms:inbox")
    return _render_inbox(request, failed=(message, form))

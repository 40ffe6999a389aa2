"""The calls inbox at /calls/: voicemails nobody has handled yet, oldest first, each
with its caller, a player, the transcript, "Mark handled", "Call back" and "Book for
this patient"."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clinic.core.redirects import next_url
from clinic.voice.models import Voicemail
from clinic.voice.selectors import INBOX_COUNT_ATTRIBUTE, candidates_of, inbox_voicemails
from clinic.voice.services import voicemail_mark_handled
from tenancy.decorators import org_required

ITEMS_PER_PAGE = 25


@dataclass(frozen=True)
class InboxItem:
    voicemail: Voicemail
    # When several patients share the caller's number: each of them.
    candidates: tuple = ()


@org_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox_voicemails(), ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    setattr(request, INBOX_COUNT_ATTRIBUTE, page.paginator.count)  # the navigation's badge counts the same
    patients = candidates_of(page.object_list)
    items = [
        InboxItem(vm, tuple(patients[pk] for pk in vm.candidate_patient_ids if pk in patients))
        for vm in page.object_list
    ]
    return render(request, "voice/inbox.html", {"page": page, "items": items})


@org_required
@require_POST
def mark_handled(request: HttpRequest, pk) -> HttpResponse:
    voicemail = get_object_or_404(Voicemail.objects, pk=pk)
    voicemail_mark_handled(voicemail=voicemail, handled_by=request.user)
    messages.success(request, "Marked handled.")
    return redirect(next_url(request, reverse("calls:inbox")))

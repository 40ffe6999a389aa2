"""Writes to a clinic's messaging: its settings, texts sent by hand, the inbox, and
answers given on the confirmation page. Keyword-only, one transaction each, inside
the clinic's tenant context, like the schedule's services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from clinic.appointments.models import Appointment, Patient
from clinic.audit.trail import Action, current_actor, record
from clinic.core.constraints import violated_constraint
from clinic.messaging import optouts
from clinic.messaging.compliance_models import ConsentSource, OptOutMethod, SmsOptOut
from clinic.messaging.models import (
    DEFAULT_LEAD_MINUTES,
    DEFAULT_TEXT_RETENTION_DAYS,
    SENDER_CONSTRAINT,
    ConfirmationRequest,
    SmsMessage,
    SmsSettings,
)
from clinic.messaging.outbox import queue_text
from clinic.messaging.quiet_hours import send_time
from clinic.messaging.scheduling import plan_confirmation_requests
from tenancy.models import Organization

if TYPE_CHECKING:
    from clinic.accounts.models import User

SETTINGS_FIELDS = frozenset(
    {
        "enabled",
        "sender_number",
        "clinic_phone",
        "lead_minutes",
        "send_from",
        "send_until",
        "template",
        "text_retention_days",
        "clinical_details",
        "consent_wording",
    }
)
# How far ahead a settings change re-plans requests (the longest lead time allowed).
REPLAN_HORIZON = dt.timedelta(days=15)


def sms_settings_get() -> SmsSettings:
    """The clinic's settings, or unsaved defaults (texts off) if it has none yet."""
    return SmsSettings.objects.first() or SmsSettings(lead_minutes=list(DEFAULT_LEAD_MINUTES))


@transaction.atomic
def sms_settings_save(**fields) -> SmsSettings:
    """Change the clinic's SMS settings and re-plan the requests of upcoming
    appointments (turning texts on plans them; off supersedes them)."""
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"sms_settings_save() cannot change {', '.join(sorted(unknown))}.")
    current = SmsSettings.objects.select_for_update().first() or sms_settings_get()
    for name, value in fields.items():
        setattr(current, name, value)
    current.claim_for_current_org()
    current.full_clean()
    try:
        with transaction.atomic():
            current.save()
    except IntegrityError as exc:
        if violated_constraint(exc) != SENDER_CONSTRAINT:
            raise
        raise ValidationError({"sender_number": "Another clinic already uses this sender number."}) from exc
    now = timezone.now()
    upcoming = Appointment.objects.filter(starts_at__gt=now, starts_at__lt=now + REPLAN_HORIZON)
    for appointment in upcoming.filter(status=Appointment.Status.SCHEDULED).order_by("pk"):
        plan_confirmation_requests(appointment, now=now)
    if not current.enabled:
        ConfirmationRequest.objects.filter(status=ConfirmationRequest.Status.PENDING).update(
            status=ConfirmationRequest.Status.SUPERSEDED, skip_reason="Texts were turned off."
        )
    return current


@transaction.atomic
def send_confirmation_now(*, appointment: Appointment, requested_by: User | None) -> ConfirmationRequest:
    """A confirmation request sent by hand (besides the scheduled ones): claimed here
    and texted by the worker as soon as this transaction commits, or, when it is
    night for the patient, planned for the moment their sending window opens (the
    returned request is then pending, its `window_note` says why). It satisfies the
    reminders due before the next one's own time (merging.py): they are not sent."""
    from clinic.messaging import delivery, merging, tasks

    merging.lock_appointments([appointment.pk])
    appointment = Appointment.objects.select_related("patient").get(pk=appointment.pk)
    problem = _why_not_text(appointment)
    if problem:
        raise ValidationError(problem, code="cannot_text")
    now = timezone.now()
    clinic = Organization.objects.get(pk=appointment.organization_id)
    when = send_time(now, window=SmsSettings.objects.get(), clinic_zone=clinic.zone, patient=appointment.patient)
    if when.at >= appointment.starts_at:
        raise ValidationError(
            f"It is quiet hours for {appointment.patient.first_name} until after the appointment. {when.note}".strip(),
            code="quiet_hours",
        )
    request = ConfirmationRequest.objects.create(
        appointment=appointment,
        lead_minutes=None,
        appointment_starts_at=appointment.starts_at,
        due_at=when.at,
        expires_at=appointment.starts_at,
        window_note=when.note,
    )
    if when.at > now:
        # The worker's minute tick claims it once due; reminders going then are merged into it.
        merging.merge_requests(appointment.pk, appointment.starts_at, zone=clinic.zone, now=now)
        return request
    message = delivery.queue_confirmation(request.id, now=now)
    if message is None:
        request.refresh_from_db()
        raise ValidationError(request.skip_reason or "This appointment cannot be texted now.", code="cannot_text")
    tasks.defer_delivery(message)
    request.refresh_from_db()
    return request


def _why_not_text(appointment: Appointment) -> str:
    sms_settings = SmsSettings.objects.first()
    if sms_settings is None or not sms_settings.enabled:
        return "Texts are turned off for this clinic (see SMS settings)."
    if appointment.status != Appointment.Status.SCHEDULED:
        return f"Only a scheduled appointment can be confirmed; this one is {appointment.get_status_display().lower()}."
    if appointment.starts_at <= timezone.now():
        return "The appointment has already started."
    if not optouts.may_text(appointment.patient):
        return optouts.refusal(appointment.patient)
    return ""


@transaction.atomic
def send_text_by_hand(*, patient: Patient, body: str, sent_by: User, appointment: Appointment | None = None):
    """A text written by staff (an answer to an inbox message, say)."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a message."})
    if len(body) > 1000:
        raise ValidationError({"body": "Keep a text under 1,000 characters."})
    sms_settings = SmsSettings.objects.first()
    if sms_settings is None or not sms_settings.sender_number:
        raise ValidationError("The clinic has no sender number (see SMS settings).", code="no_sender")
    if not optouts.may_text(patient):
        raise ValidationError(optouts.refusal(patient), code="opted_out")
    return queue_text(
        to_number=patient.phone,
        from_number=sms_settings.sender_number,
        body=body,
        kind=SmsMessage.Kind.MANUAL,
        patient=patient,
        appointment=appointment,
        sent_by=sent_by,
    )


@transaction.atomic
def inbox_mark_handled(*, message: SmsMessage, handled_by: User) -> SmsMessage:
    message = SmsMessage.objects.select_for_update().get(pk=message.pk)
    if message.handled_at is None:
        message.handled_at, message.handled_by = timezone.now(), handled_by
        message.save(update_fields=["handled_at", "handled_by"])
    return message


def sms_texts_prune(*, now: dt.datetime, dry_run: bool = False, using: str = "default") -> dict[str, int]:
    """The current clinic's text retention (its `text_retention_days`): texts older
    than that keep their log entry (who, when, status, patient) with the body blanked,
    and inbound texts no patient matched are deleted. Texts still queued or sending
    keep their words until they are sent. What was (or would be) removed, by name."""
    days = SmsSettings.objects.using(using).values_list("text_retention_days", flat=True).first()
    old = SmsMessage.objects.using(using).filter(
        created_at__lt=now - dt.timedelta(days=days or DEFAULT_TEXT_RETENTION_DAYS)
    )
    unmatched = old.filter(direction=SmsMessage.Direction.INBOUND, patient__isnull=True)
    bodies = (
        old.exclude(body="")
        .exclude(direction=SmsMessage.Direction.INBOUND, patient__isnull=True)
        .exclude(status__in=[SmsMessage.Status.QUEUED, SmsMessage.Status.SENDING])
    )
    if dry_run:
        return {"sms_bodies_blanked": bodies.count(), "unmatched_texts_deleted": unmatched.count()}
    return {
        "sms_bodies_blanked": bodies.update(body=""),
        "unmatched_texts_deleted": unmatched.delete()[1].get(SmsMessage._meta.label, 0),
    }


# What the apps above messaging prune with the texts, in the same transaction and audit
# event (ApiConfig.ready registers the webhook data): each takes now, dry_run and using,
# and returns its counts by name.
PRUNED_WITH_TEXTS: list[Callable[..., dict[str, int]]] = []


def messaging_prune_clinic(*, now: dt.datetime, dry_run: bool = False, using: str = "default") -> dict[str, int]:
    """Apply the retention periods to the current clinic's texts and to what is pruned
    with them (PRUNED_WITH_TEXTS: the webhook data), and
    record what was removed in its audit trail: one event, the counts in its
    changed_fields ("sms_bodies_blanked=12"). Nothing is recorded for a dry run or
    when nothing was due. Runs in the tenant transaction the caller opened on `using`."""
    with transaction.atomic(using=using):
        counts = sms_texts_prune(now=now, dry_run=dry_run, using=using)
        for prune in PRUNED_WITH_TEXTS:
            counts.update(prune(now=now, dry_run=dry_run, using=using))
        if not dry_run and any(counts.values()):
            removed = [f"{name}={count}" for name, count in counts.items() if count]
            record(Action.RETENTION_PRUNED, object_type="messaging.Retention", changed_fields=removed, using=using)
    return counts


@transaction.atomic
def sms_number_set_opt_out(
    *,
    phone: str,
    opted_out: bool,
    method: str,
    keyword: str = "",
    reason: str = "",
    sender_number: str | None = None,
) -> SmsOptOut | None:
    """Put `phone` on the clinic's opt-out list for its sender number (`sender_number`,
    by default the clinic's current one), or lift it (`opted_out=False`): one more row
    of its history, naming who acted. Returns None, writing nothing, when the number
    is already in that state. Staff and API lifting an opt-out must give a reason."""
    from clinic.core.phones import normalize_phone

    if method not in OptOutMethod.values:
        raise ValueError(f"Unknown opt-out method {method!r}.")
    if method != OptOutMethod.KEYWORD:  # a keyword's number is as the provider gave it
        try:
            phone = normalize_phone(phone)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from None
    sender_number = sender_number if sender_number is not None else optouts.clinic_sender()
    if not sender_number:
        raise ValidationError("The clinic has no sender number (see SMS settings).", code="no_sender")
    reason = reason.strip()
    if not opted_out and method in (OptOutMethod.STAFF, OptOutMethod.API) and not reason:
        raise ValidationError({"reason": "Say why texts may go to this number again."}, code="reason_required")
    # One change at a time per number and sender: two STOPs at once write one row.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"optout|{sender_number}|{phone}"])
    latest = optouts.latest_event(phone, sender_number)
    if (latest.opted_out if latest else False) == opted_out:
        return None
    actor = current_actor()
    event = SmsOptOut(
        phone=phone,
        sender_number=sender_number,
        opted_out=opted_out,
        method=method,
        keyword=keyword[:20],
        reason=reason[:300],
        actor_type=actor.kind,
        actor_user_id=actor.user_id,
        actor_api_key_id=actor.api_key_id,
        actor_label=actor.label[:150],
    )
    event.save()
    return event


# How a number's opt-out was recorded, to how the patients' consent changed with it.
CONSENT_SOURCE_OF_METHOD = {
    OptOutMethod.KEYWORD: ConsentSource.KEYWORD,
    OptOutMethod.STAFF: ConsentSource.STAFF,
    OptOutMethod.API: ConsentSource.API,
    OptOutMethod.IMPORT: ConsentSource.IMPORT,
}


@transaction.atomic
def sms_number_opt_out(
    *, phone: str, method: str, keyword: str = "", reason: str = "", sender_number=None, patient: Patient | None = None
) -> tuple[SmsOptOut | None, list[Patient]]:
    """Stop texts to a number: it goes on the sender's opt-out list (a patient who
    registers with it later is not texted either), and consent is withdrawn for
    `patient`, or, without one (a STOP from the phone itself), for every patient with
    the number. Returns the new list row (None if already opted out) and the patients
    whose consent changed."""
    event = _set_number(phone, True, method=method, keyword=keyword, reason=reason, sender_number=sender_number)
    note = f"Replied {keyword}." if keyword else reason.strip()
    changed = _set_consent(phone, patient, opted_in=False, source=CONSENT_SOURCE_OF_METHOD[method], note=note)
    return event, changed


@transaction.atomic
def sms_number_opt_in(
    *, phone: str, method: str, keyword: str = "", reason: str = "", sender_number=None, patient: Patient | None = None
) -> tuple[SmsOptOut | None, list[Patient]]:
    """Lift a number's opt-out (staff and the API give a reason) and give consent for
    `patient`, or every patient with the number (a START from the phone itself)."""
    if method != OptOutMethod.KEYWORD and not reason.strip():
        raise ValidationError({"reason": "Say why texts may go to this number again."}, code="reason_required")
    event = _set_number(phone, False, method=method, keyword=keyword, reason=reason, sender_number=sender_number)
    note = f"Replied {keyword}." if keyword else reason.strip()
    changed = _set_consent(phone, patient, opted_in=True, source=CONSENT_SOURCE_OF_METHOD[method], note=note)
    return event, changed


def _set_number(phone: str, opted_out: bool, *, sender_number, **details) -> SmsOptOut | None:
    """The list row, when the clinic has a sender number for it to apply to; a clinic
    that has none yet keeps only the patient's consent (it texts nobody anyway)."""
    sender_number = sender_number if sender_number is not None else optouts.clinic_sender()
    if not sender_number:
        return None
    return sms_number_set_opt_out(phone=phone, opted_out=opted_out, sender_number=sender_number, **details)


def _set_consent(phone: str, patient: Patient | None, *, opted_in: bool, source: str, note: str) -> list[Patient]:
    from clinic.appointments.services import patient_set_sms_consent

    wanted = Patient.SmsConsent.OPTED_IN if opted_in else Patient.SmsConsent.OPTED_OUT
    patients = Patient.objects.filter(pk=patient.pk) if patient is not None else Patient.objects.filter(phone=phone)
    changed = list(patients.exclude(sms_consent=wanted).order_by("created_at"))
    for each in changed:
        patient_set_sms_consent(patient=each, opted_in=opted_in, source=source, note=note)
    return changed


@transaction.atomic
def sms_opt_outs_import(*, data: bytes, name: str = "", note: str = "") -> dict[str, int]:
    """Put the numbers of an uploaded file (clinic.messaging.opt_out_import) on the
    clinic's opt-out list, each as an opt-out by "import" naming who acted, and
    withdraw the consent of the clinic's patients with them, as a STOP from the
    phone would. One transaction: a file with one bad line stores nothing (the
    ValidationError names the lines). Returns how many numbers the file had, how
    many were newly opted out and how many patients' consent it withdrew; importing
    the same file again records nothing new."""
    from clinic.core.phones import clinic_phone_region
    from clinic.messaging.opt_out_import import read_opt_out_file

    entries = read_opt_out_file(data, region=clinic_phone_region(), name=name)
    if not optouts.clinic_sender():
        # The list is kept per sender number; without one there is nothing to put them on.
        raise ValidationError("Set the clinic's sender number in the SMS settings before importing.", code="no_sender")
    counts = {"numbers": len(entries), "opted_out": 0, "patients": 0}
    # Numbers with nothing left to do (already on the list, no patient still opted in)
    # are skipped in two queries, not a few each: a re-import of a long list is quick.
    phones = [entry.phone for entry in entries]
    listed = optouts.opted_out_among(phones, optouts.clinic_sender())
    opted_in = Patient.objects.filter(phone__in=phones, sms_consent=Patient.SmsConsent.OPTED_IN)
    consenting = set(opted_in.values_list("phone", flat=True))
    for entry in entries:
        if entry.phone in listed and entry.phone not in consenting:
            continue
        when = f" on {entry.opted_out_on.isoformat()}" if entry.opted_out_on else ""
        reason = " ".join(part for part in (f"Opted out elsewhere{when}.", note.strip()) if part)
        event, changed = sms_number_opt_out(phone=entry.phone, method=OptOutMethod.IMPORT, reason=reason)
        counts["opted_out"] += event is not None
        counts["patients"] += len(changed)
    return counts

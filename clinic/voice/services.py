"""Every write to a clinic's calls and voicemails, inside its tenant context: the
webhooks, the recording job, the staff pages, the admin, retention and the demo all
come through here (one write path)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.appointments.models import Patient
from clinic.audit.trail import Action, record
from clinic.core.constraints import violated_constraint
from clinic.voice import audio, signals
from clinic.voice.models import VOICE_NUMBER_CONSTRAINT, Call, Voicemail, VoiceSettings
from tenancy.context import current_org_id
from tenancy.lookups import organization_for

SETTINGS_FIELDS = frozenset(
    {
        "voice_number",
        "greeting",
        "greeting_language",
        "forward_to",
        "ring_seconds",
        "open_days",
        "open_from",
        "open_until",
        "max_message_seconds",
        "retention_days",
    }
)
NUMBER_TAKEN = "Another clinic already uses this number."


# --- settings --------------------------------------------------------------------


def voice_settings_get() -> VoiceSettings:
    """The clinic's settings, or unsaved defaults (weekdays 08:00-18:00, no forwarding)."""
    return VoiceSettings.objects.first() or VoiceSettings(open_days=[0, 1, 2, 3, 4])


@transaction.atomic
def voice_settings_save(**fields) -> VoiceSettings:
    """Change the clinic's voice settings (the staff page and the admin both save here)."""
    current = VoiceSettings.objects.select_for_update().first() or voice_settings_get()
    _apply_checked(current, fields)
    current.claim_for_current_org()
    current.full_clean()
    try:
        with transaction.atomic():
            current.save()
    except IntegrityError as exc:
        if violated_constraint(exc) != VOICE_NUMBER_CONSTRAINT:
            raise
        raise ValidationError({"voice_number": NUMBER_TAKEN}) from exc
    record(Action.UPDATE, obj=current, changed_fields=sorted(fields))
    return current


def voice_settings_check(**fields) -> None:
    """What voice_settings_save() would refuse, as the same ValidationError, without
    saving: for forms that must show it before they save (the admin's)."""
    _apply_checked(voice_settings_get(), fields)


def _apply_checked(current: VoiceSettings, fields: dict) -> None:
    from clinic.core.phones import normalize_phone

    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"voice_settings_save() cannot change {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(current, name, value)
    errors = {}
    for name in ("voice_number", "forward_to"):
        value = (getattr(current, name) or "").strip()
        if value:
            try:
                value = normalize_phone(value)
            except ValidationError as exc:
                errors[name] = exc.messages
        setattr(current, name, value)
    if current.voice_number and "voice_number" not in errors and _number_taken(current.voice_number):
        errors["voice_number"] = [NUMBER_TAKEN]
    if current.forward_to and current.forward_to == current.voice_number:
        errors["forward_to"] = ["Forward to the front desk, not to the clinic's own number."]
    if current.open_from and current.open_until and current.open_from >= current.open_until:
        errors["open_until"] = ["Closing time must be after opening time."]
    current.open_days = sorted(set(current.open_days or []))
    if errors:
        raise ValidationError(errors)


def _number_taken(number: str) -> bool:
    """Whether another clinic takes calls on `number` (its voice or SMS number): asked of
    the one lookup that sees every clinic's numbers (number -> clinic, nothing else)."""
    owner = organization_for("voice_clinic_for_number", number)
    return owner is not None and str(owner) != str(current_org_id())


# --- the provider's webhooks -------------------------------------------------------


def call_received(*, call_sid: str, from_number: str, to_number: str, forwarded: bool = False) -> Call:
    """The call, recorded once whatever how often the provider says so."""
    call, created = Call.objects.get_or_create(
        call_sid=call_sid, defaults={"from_number": from_number, "to_number": to_number, "forwarded": forwarded}
    )
    if not created and from_number and not call.from_number:
        call.from_number = from_number
        call.save(update_fields=["from_number"])
    return call


def dial_finished(*, call_sid: str, from_number: str, to_number: str, dial_status: str) -> Call:
    call = call_received(call_sid=call_sid, from_number=from_number, to_number=to_number, forwarded=True)
    if call.dial_status != dial_status:
        call.dial_status = dial_status
        call.save(update_fields=["dial_status"])
    return call


@transaction.atomic
def recording_completed(
    *, call_sid: str, recording_sid: str, to_number: str, duration_seconds: int | None, fetch: bool = True
) -> Voicemail:
    """The provider has the recording: the voicemail (new, or the one its transcript
    started) waits for the worker, which is deferred once this commits. A recording of
    a call we never heard of (its call webhook lost) still makes its call record: the
    message is kept, and the caller is unknown."""
    call = call_received(call_sid=call_sid, from_number="", to_number=to_number)
    voicemail, _ = Voicemail.objects.select_for_update().get_or_create(
        recording_sid=recording_sid, defaults={"call": call}
    )
    if voicemail.status != Voicemail.Status.AWAITING:
        return voicemail  # the same callback again
    voicemail.call = call
    voicemail.status = Voicemail.Status.PENDING
    voicemail.duration_seconds = duration_seconds
    voicemail.save(update_fields=["call", "status", "duration_seconds"])
    if fetch:  # the demo stores its sample itself (clinic.voice.demo)
        from clinic.voice import tasks

        tasks.defer_fetch(voicemail)
    return voicemail


@transaction.atomic
def transcription_received(*, call_sid: str, recording_sid: str, to_number: str, text: str, ok: bool) -> Voicemail:
    """The transcript, kept whether or not its recording has arrived yet (callbacks
    come in any order): the voicemail row is made here if need be, `awaiting` its
    recording. Once the voicemail is stored, integrators hear of the transcript."""
    call = call_received(call_sid=call_sid, from_number="", to_number=to_number)
    voicemail, _ = Voicemail.objects.select_for_update().get_or_create(
        recording_sid=recording_sid, defaults={"call": call}
    )
    status = Voicemail.TranscriptStatus.COMPLETED if ok else Voicemail.TranscriptStatus.FAILED
    if voicemail.transcript_status == status and voicemail.transcript == text:
        return voicemail  # the same callback again
    voicemail.transcript, voicemail.transcript_status = (text if ok else ""), status
    voicemail.save(update_fields=["transcript", "transcript_status"])
    if ok and voicemail.status == Voicemail.Status.STORED:
        signals.voicemail_transcribed.send(sender=Voicemail, voicemail=voicemail)
    return voicemail


# --- staff -------------------------------------------------------------------------


@transaction.atomic
def voicemail_mark_handled(*, voicemail: Voicemail, handled_by) -> Voicemail:
    voicemail = Voicemail.objects.select_for_update().get(pk=voicemail.pk)
    if voicemail.handled_at is None:
        voicemail.handled_at, voicemail.handled_by = timezone.now(), handled_by
        voicemail.save(update_fields=["handled_at", "handled_by"])
        record(Action.VOICEMAIL_HANDLED, obj=voicemail)
    return voicemail


def voicemail_listened(voicemail: Voicemail) -> None:
    """Listening is audited like viewing a patient (the patient, when matched, is named)."""
    record(Action.VOICEMAIL_PLAYED, obj=voicemail)


# --- retention, erasure ------------------------------------------------------------


def voicemails_erase_for(patient: Patient) -> int:
    """A patient's erasure: their voicemails are deleted with their audio and
    transcripts (once this commits); how many. Theirs: matched to them, or left from
    their number when no other patient of the clinic has it (on a family phone the
    others' messages are not this patient's)."""
    from django.db.models import Q

    theirs = Q(patient=patient)
    shared = Patient.objects.filter(phone=patient.phone, erased_at__isnull=True).exclude(pk=patient.pk).exists()
    if patient.phone and not shared:
        theirs |= Q(call__from_number=patient.phone)
    voicemails = Voicemail.objects.filter(theirs)
    names = list(voicemails.values_list("audio_name", flat=True))
    count = voicemails.count()
    voicemails.delete()
    if not shared:
        Call.objects.filter(from_number=patient.phone).update(from_number="")
    audio.delete_on_commit(names)
    return count

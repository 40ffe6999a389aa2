"""A clinic's text messages: its SMS settings, each confirmation request it owes a
patient, and the log of every message in and out.

All are TenantModels (RLS, composite keys). Two columns are looked up before any
tenant is known, each through one narrow SECURITY DEFINER function (see the
migration): a settings row's sender number (inbound texts) and a request's token
hash (the confirmation link)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from clinic.appointments.models import Appointment, Patient
from clinic.messaging.template_variables import TEMPLATE_FIELDS, clinical_refusal, placeholders_in
from tenancy.models import TenantModel

DEFAULT_LEAD_MINUTES = [48 * 60, 2 * 60]
# One GSM-7 segment (160 characters, clinic.messaging.segments) for a clinic with a
# name of a dozen letters and a link of about 60; HELP gives the clinic's number.
DEFAULT_TEMPLATE = (
    "{clinic}: {first_name}'s visit {date} {time}. Reply C to confirm, N to cancel: {link} STOP to opt out"
)
# What a patient agrees to when they accept appointment texts; each consent record
# keeps the wording in force when it was given.
DEFAULT_CONSENT_WORDING = (
    "I agree to receive appointment confirmation and reminder texts from the clinic at this number. "
    "Message frequency varies; message and data rates may apply. Reply STOP to opt out, HELP for help."
)
SENDER_CONSTRAINT = "messaging_smssettings_sender_uniq"
# How long a text's words are kept (`manage.py messaging_prune` then blanks the body of
# the log entry and deletes unmatched inbound texts), unless the clinic chooses.
DEFAULT_TEXT_RETENTION_DAYS = 365
MIN_TEXT_RETENTION_DAYS = 30


def validate_template(value: str) -> None:
    try:
        names = placeholders_in(value)
    except ValueError as exc:
        raise ValidationError(f"The template has a stray brace: {exc}.", code="bad_template") from None
    unknown = names - set(TEMPLATE_FIELDS)
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in TEMPLATE_FIELDS)
        raise ValidationError(f"Unknown placeholder {', '.join(sorted(unknown))}; use {allowed}.", code="bad_template")
    if "link" not in names:
        raise ValidationError("The template must contain {link}, the confirmation link.", code="bad_template")


class SmsSettings(TenantModel):
    """One per clinic. Inbound texts find their clinic by `sender_number`, so it is
    unique across the platform (a declared routing key, see the migration)."""

    enabled = models.BooleanField(default=False, help_text="Send confirmation requests by SMS.")
    sender_number = models.CharField(
        max_length=32, blank=True, help_text="The clinic's SMS number in E.164, e.g. +12025550100."
    )
    clinic_phone = models.CharField(
        max_length=32, blank=True, help_text="The number patients call with questions, shown in texts."
    )
    lead_minutes = ArrayField(
        models.PositiveIntegerField(validators=[MinValueValidator(15), MaxValueValidator(14 * 24 * 60)]),
        default=list,
        size=4,
        help_text="How long before an appointment each request goes out, in minutes.",
    )
    # Texts go out only between these local times; one due outside waits for the next
    # `send_from` (or is skipped when that is after the appointment).
    send_from = models.TimeField(default=dt.time(8, 0), help_text="Earliest local time to text patients.")
    send_until = models.TimeField(default=dt.time(21, 0), help_text="Latest local time to text patients.")
    template = models.TextField(default=DEFAULT_TEMPLATE, validators=[validate_template], max_length=480)
    # At most AUDIT_RETENTION_DAYS (checked in clean: a setting, not a migration).
    text_retention_days = models.PositiveIntegerField(
        default=DEFAULT_TEXT_RETENTION_DAYS,
        validators=[MinValueValidator(MIN_TEXT_RETENTION_DAYS)],
        help_text="Days a text's words are kept; then the log keeps only who, when and its status.",
    )
    # Off: the text names no provider, specialty, appointment type or notes (see
    # template_variables); a template using them is refused, and they render empty.
    clinical_details = models.BooleanField(
        default=False,
        help_text="Allow placeholders that reveal clinical details (provider, specialty, type, notes).",
    )
    consent_wording = models.TextField(
        default=DEFAULT_CONSENT_WORDING,
        blank=True,  # saved empty, it is the default again (clean)
        max_length=1000,
        help_text="What a patient agrees to when they accept texts; kept with each consent record.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = "text message settings"
        verbose_name_plural = "text message settings"
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organization"], name="messaging_smssettings_one_per_org"),
            models.UniqueConstraint(
                fields=["sender_number"],
                condition=~Q(sender_number=""),
                name=SENDER_CONSTRAINT,
                violation_error_code="sender_taken",
                violation_error_message="Another clinic already uses this sender number.",
            ),
        ]

    def __str__(self) -> str:
        return f"SMS settings ({self.sender_number or 'no number'})"

    def clean(self) -> None:
        from clinic.core.phones import normalize_phone

        errors = {}
        for name in ("sender_number", "clinic_phone"):
            value = getattr(self, name).strip()
            if value:
                try:
                    value = normalize_phone(value)
                except ValidationError as exc:
                    errors[name] = exc.messages
            setattr(self, name, value)
        if self.enabled and not self.sender_number:
            errors["sender_number"] = "A clinic needs a sender number before texts can be enabled."
        if self.send_from >= self.send_until:
            errors["send_until"] = "The sending window must end after it starts (e.g. 08:00 to 21:00)."
        longest = settings.AUDIT_RETENTION_DAYS
        if self.text_retention_days is not None and self.text_retention_days > longest:
            errors["text_retention_days"] = (
                f"Texts may be kept at most {longest} days, as long as the audit trail that records them."
            )
        self.lead_minutes = sorted(set(self.lead_minutes or []), reverse=True)
        refusal = "" if self.clinical_details else clinical_refusal(self.template)
        if refusal:
            errors["template"] = refusal
        self.consent_wording = (self.consent_wording or "").strip() or DEFAULT_CONSENT_WORDING
        if errors:
            raise ValidationError(errors)


class SmsMessage(TenantModel):
    """Every text in or out, with its delivery status."""

    class Direction(models.TextChoices):
        OUTBOUND = "out", "Outbound"
        INBOUND = "in", "Inbound"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"  # handed to the provider, no answer yet
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Undelivered"
        FAILED = "failed", "Failed"
        RECEIVED = "received", "Received"

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation request"
        REPLY = "reply", "Automatic reply"
        MANUAL = "manual", "Written by staff"
        INBOUND = "inbound", "From the patient"

    # Provider statuses only move forward: a late "sent" never undoes "delivered".
    STATUS_RANK = {
        Status.QUEUED: 0,
        Status.SENDING: 1,
        Status.SENT: 2,
        Status.DELIVERED: 3,
        Status.UNDELIVERED: 3,
        Status.FAILED: 3,
        Status.RECEIVED: 3,
    }

    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    from_number = models.CharField(max_length=32)
    to_number = models.CharField(max_length=32)
    body = models.TextField(max_length=1600)
    patient = models.ForeignKey(
        Patient, on_delete=models.SET_NULL, null=True, blank=True, db_constraint=False, related_name="sms_messages"
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="sms_messages",
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    provider_message_id = models.CharField(max_length=64, null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    # Inbound texts nobody could match, and outbound ones that failed, wait here.
    needs_attention = models.BooleanField(default=False)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, db_constraint=False, related_name="+"
    )
    sent_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, db_constraint=False, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        verbose_name = "text message"
        ordering = ["-created_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organization", "provider_message_id"], name="messaging_smsmessage_provider_id_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="msg_org_created_idx"),
            models.Index(fields=["organization", "appointment", "created_at"], name="msg_org_appt_idx"),
            models.Index(fields=["organization", "patient", "created_at"], name="msg_org_patient_idx"),
            models.Index(
                fields=["organization", "created_at"],
                condition=Q(needs_attention=True, handled_at__isnull=True),
                name="msg_org_inbox_idx",
            ),
            models.Index(
                fields=["organization", "created_at"], condition=Q(status="queued"), name="msg_org_queued_idx"
            ),
        ]

    def __str__(self) -> str:
        arrow = "\N{RIGHTWARDS ARROW}" if self.direction == self.Direction.OUTBOUND else "\N{LEFTWARDS ARROW}"
        return f"{arrow} {self.to_number if self.direction == 'out' else self.from_number}: {self.body[:40]}"

    def can_move_to(self, status: str) -> bool:
        return self.STATUS_RANK.get(status, -1) > self.STATUS_RANK.get(self.status, -1)


class ConfirmationRequest(TenantModel):
    """One text owed to a patient for one appointment time: per lead time, or sent
    by hand (`lead_minutes` NULL). The unique (organization, appointment, lead,
    start) row is claimed before the provider is called, so no request is ever
    texted twice, whatever retries or racing workers do."""

    class Status(models.TextChoices):
        PENDING = "pending", "Due later"
        QUEUED = "queued", "Text queued"  # the message row exists; the send is claimed
        SKIPPED = "skipped", "Skipped"
        SUPERSEDED = "superseded", "Superseded"  # the appointment moved or closed first

    class Response(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="sms_requests"
    )
    lead_minutes = models.PositiveIntegerField(null=True, blank=True)
    appointment_starts_at = models.DateTimeField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    skip_reason = models.CharField(max_length=200, blank=True)
    # Why `due_at` is later than the lead time says, when the recipient's clock made
    # it wait (clinic.messaging.quiet_hours): shown to staff, naming the zone.
    window_note = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey(
        SmsMessage, on_delete=models.SET_NULL, null=True, blank=True, db_constraint=False, related_name="+"
    )
    # sha256 of the link token's random part; the token itself is never stored.
    token_hash = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField()
    response = models.CharField(max_length=10, choices=Response.choices, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_via = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["due_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organization", "appointment", "lead_minutes", "appointment_starts_at"],
                name="messaging_request_once_per_lead",
            ),
            models.UniqueConstraint(
                fields=["organization", "token_hash"],
                condition=~Q(token_hash=""),
                name="messaging_request_token_uniq",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "due_at"], condition=Q(status="pending"), name="msg_req_org_pending_idx"
            ),
            models.Index(fields=["organization", "appointment", "due_at"], name="msg_req_org_appt_idx"),
        ]

    def __str__(self) -> str:
        lead = f"{self.lead_minutes // 60} h before" if self.lead_minutes else "sent by hand"
        return f"Confirmation request ({lead}) for {self.appointment_id}"

    @property
    def answered(self) -> bool:
        return bool(self.response)


# The opt-out list and the consent records (their own module, one concern each).
from clinic.messaging.compliance_models import SmsConsentRecord, SmsOptOut  # noqa: E402, F401

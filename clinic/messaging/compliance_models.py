"""Who may be texted, kept as history that is never rewritten.

- `SmsOptOut`: one row per opt-out or opt-in of a phone number for one of the
  clinic's sender numbers (carriers keep opt-outs per number and per sender). The
  latest row of a (sender, phone) pair is its state: no row, or an opt-in last, and
  the number may be texted. A STOP from a number that is nobody's is kept too, so a
  patient registered later with that number is not texted.
- `SmsConsentRecord`: one row per change of a patient's own texting consent: given
  or withdrawn, by whom, how, and the wording the clinic showed when it was given.

Both are append-only TenantModels (tenancy.operations.MakeAppendOnly in the
migration): the runtime role may INSERT and SELECT, never UPDATE or DELETE. Who acted
is kept as plain ids and a label, like the audit trail, so no foreign key could ever
ask to change a row. Neither is erased with the patient: an opt-out must outlive the
person's other data, and a consent record holds no personal detail but the patient's
id (the phone lives in the opt-out list, which is the number's, not the patient's)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from tenancy.models import TenantModel


class OptOutMethod(models.TextChoices):
    KEYWORD = "keyword", "Replied with a keyword"
    STAFF = "staff", "Recorded by staff"
    API = "api", "Through the API"
    IMPORT = "import", "Imported"


class ConsentSource(models.TextChoices):
    STAFF = "staff", "Staff"
    API = "api", "API"
    KEYWORD = "keyword", "Text reply (keyword)"
    LINK = "link", "Confirmation page"
    IMPORT = "import", "Import"
    SYSTEM = "system", "System"


class SmsOptOut(TenantModel):
    """An opt-out (or the opt-in that lifts one) of `phone` for texts from `sender_number`."""

    tenant_append_only = True

    phone = models.CharField(max_length=32, help_text="The number in E.164.")
    sender_number = models.CharField(max_length=32, help_text="The clinic's sender number it applies to.")
    opted_out = models.BooleanField(help_text="True: texts stop; False: an opt-in lifted an earlier opt-out.")
    method = models.CharField(max_length=10, choices=OptOutMethod.choices)
    keyword = models.CharField(max_length=20, blank=True, help_text="The word the number texted, if by keyword.")
    reason = models.CharField(max_length=300, blank=True)
    actor_type = models.CharField(max_length=12, blank=True)
    actor_user_id = models.UUIDField(null=True, blank=True)
    actor_api_key_id = models.UUIDField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = "text opt-out"
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["organization", "phone", "sender_number", "at"], name="msg_optout_number_idx"),
        ]

    def __str__(self) -> str:
        return f"{'Opt-out' if self.opted_out else 'Opt-in'} of {self.phone} for {self.sender_number}"

    @property
    def how(self) -> str:
        """'by replying STOP', 'by staff (jane)', … for the patient page."""
        if self.method == OptOutMethod.KEYWORD:
            return f"by replying {self.keyword or 'STOP'}"
        who = f" ({self.actor_label})" if self.actor_label else ""
        return {
            OptOutMethod.STAFF: f"by staff{who}",
            OptOutMethod.API: f"through the API{who}",
            OptOutMethod.IMPORT: "by import",
        }.get(self.method, self.method)


class SmsConsentRecord(TenantModel):
    """A patient's texting consent given (`consented`) or withdrawn."""

    tenant_append_only = True

    patient_id = models.UUIDField()
    consented = models.BooleanField()
    source = models.CharField(max_length=10, choices=ConsentSource.choices)
    wording = models.TextField(blank=True, help_text="The consent wording in force when consent was given.")
    note = models.CharField(max_length=300, blank=True)
    actor_type = models.CharField(max_length=12, blank=True)
    actor_user_id = models.UUIDField(null=True, blank=True)
    actor_api_key_id = models.UUIDField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = "text consent record"
        ordering = ["at"]
        indexes = [models.Index(fields=["organization", "patient_id", "at"], name="msg_consent_patient_idx")]

    def __str__(self) -> str:
        return f"Consent {'given' if self.consented else 'withdrawn'} ({self.get_source_display()})"

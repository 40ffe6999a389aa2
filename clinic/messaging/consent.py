"""Writing a patient's consent records. Only two callers:
clinic.appointments.services.patient_set_sms_consent (every later change: staff,
API, STOP/START, the confirmation page, erasure) and patient_create (the consent
given or refused at registration). Both run it in their own transaction, with the
change it records."""

from __future__ import annotations

from clinic.audit.trail import Actor, ActorInfo, current_actor
from clinic.messaging.compliance_models import ConsentSource, SmsConsentRecord

# Who acted, as the audit trail knows them, to how consent changed.
SOURCE_OF_ACTOR = {
    Actor.USER: ConsentSource.STAFF,
    Actor.API_KEY: ConsentSource.API,
    Actor.SMS_WEBHOOK: ConsentSource.KEYWORD,
}


def consent_record_write(*, patient, consented: bool, source: str | None = None, note: str = "") -> SmsConsentRecord:
    """One consent record for `patient`: `source` if given, else read from who is
    acting (a signed-in member is staff, an API key the API, the SMS webhook a
    keyword). Consent given keeps the clinic's wording in force now."""
    from clinic.messaging.models import DEFAULT_CONSENT_WORDING, SmsSettings

    actor: ActorInfo = current_actor()
    wording = ""
    if consented:
        sms_settings = SmsSettings.objects.first()
        wording = sms_settings.consent_wording if sms_settings else DEFAULT_CONSENT_WORDING
    record = SmsConsentRecord(
        patient_id=patient.pk,
        consented=consented,
        source=source or SOURCE_OF_ACTOR.get(actor.kind, ConsentSource.SYSTEM),
        wording=wording,
        note=note[:300],
        actor_type=actor.kind,
        actor_user_id=actor.user_id,
        actor_api_key_id=actor.api_key_id,
        actor_label=actor.label[:150],
    )
    record.save()
    return record


def consent_records_of(patient) -> list[SmsConsentRecord]:
    return list(SmsConsentRecord.objects.filter(patient_id=patient.pk).order_by("at", "id"))

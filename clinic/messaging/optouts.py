"""Reading the opt-out list (clinic.messaging.compliance_models.SmsOptOut): whether a
number may be texted from a sender number, and why not. Writes go through
clinic.messaging.services.sms_number_set_opt_out.

The rule, in one place for Python (`blocking_opt_out`, `opted_out_among`) and one
for SQL (`NUMBER_OPTED_OUT_SQL`, used by the worker's claim in delivery.py): the
latest row of the (sender, phone) pair decides, and it blocks when it is an opt-out."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from clinic.messaging.compliance_models import ConsentSource, SmsConsentRecord, SmsOptOut

# True when message `m`'s recipient has opted out of its sender number (`m` is a
# messaging_smsmessage row; RLS and the organization check keep it to its clinic).
NUMBER_OPTED_OUT_SQL = """
EXISTS (SELECT 1 FROM (
        SELECT o.opted_out FROM messaging_smsoptout o
         WHERE o.organization_id = m.organization_id AND o.phone = m.to_number AND o.sender_number = m.from_number
         ORDER BY o.at DESC LIMIT 1) latest
     WHERE latest.opted_out)
"""


def latest_event(phone: str, sender_number: str) -> SmsOptOut | None:
    """The number's latest opt-out or opt-in for the sender, if any."""
    if not phone or not sender_number:
        return None
    return SmsOptOut.objects.filter(phone=phone, sender_number=sender_number).order_by("-at").first()


def blocking_opt_out(phone: str, sender_number: str) -> SmsOptOut | None:
    """The opt-out that keeps texts from `sender_number` off `phone`; None if it may be texted."""
    event = latest_event(phone, sender_number)
    return event if event is not None and event.opted_out else None


def opted_out_among(phones: Iterable[str], sender_number: str) -> set[str]:
    """Those of `phones` opted out of `sender_number`: one query, however many."""
    phones = set(phones)
    if not phones or not sender_number:
        return set()
    latest = (
        SmsOptOut.objects.filter(phone__in=phones, sender_number=sender_number)
        .order_by("phone", "-at")
        .distinct("phone")
        .values_list("phone", "opted_out")
    )
    return {phone for phone, opted_out in latest if opted_out}


def number_history(phone: str) -> list[SmsOptOut]:
    """Every opt-out and opt-in of `phone`, for any of the clinic's sender numbers, oldest first."""
    return list(SmsOptOut.objects.filter(phone=phone).order_by("at", "id"))


def clinic_sender() -> str:
    from clinic.messaging.models import SmsSettings

    return SmsSettings.objects.values_list("sender_number", flat=True).first() or ""


def may_text(patient) -> bool:
    """Whether the patient may be texted from the clinic's sender number: their own
    consent and their number's place on the opt-out list."""
    if patient.sms_consent != patient.SmsConsent.OPTED_IN:
        return False
    return blocking_opt_out(patient.phone, clinic_sender()) is None


def refusal(patient) -> str:
    """Why a text to the patient is refused, for the page or API that asked."""
    if patient.sms_consent != patient.SmsConsent.OPTED_IN:
        return f"{patient.first_name} opted out of texts."
    return f"{patient.first_name} gets no texts: {texts_off_reason(patient)}"


def texts_off_reason(patient, clinic_zone=None) -> str:
    """Why the patient gets no texts, in a sentence for staff; "" if they do.
    The number's opt-out comes first: it is what a STOP leaves."""
    from django.utils.formats import date_format

    def when(moment) -> str:
        return date_format(moment.astimezone(clinic_zone) if clinic_zone else moment, "SHORT_DATE_FORMAT")

    opt_out = _blocking_opt_out_of(patient)
    if opt_out is not None:
        reason = f": {opt_out.reason}" if opt_out.reason else ""
        return f"This number opted out {opt_out.how} on {when(opt_out.at)}{reason}."
    if patient.sms_consent != patient.SmsConsent.OPTED_IN:
        record = SmsConsentRecord.objects.filter(patient_id=patient.pk).order_by("-at").first()
        if record is None or record.consented:  # from before consent records were kept
            since = f" on {when(patient.sms_consent_changed_at)}" if patient.sms_consent_changed_at else ""
            return f"The patient withdrew consent to texts{since}."
        note = f": {record.note.rstrip('.')}" if record.note else ""
        how = _consent_how(record)
        return f"The patient withdrew consent to texts{' ' + how if how else ''} on {when(record.at)}{note}."
    return ""


def with_texting_state(patients: QuerySet) -> QuerySet:
    """`patients` with what texts_off_reason() needs of the clinic, as subqueries of
    their own read: its sender number (`clinic_sender`) and whether the patient's number
    is opted out of it (`number_opted_out`, the latest event of the pair deciding)."""
    from clinic.messaging.models import SmsSettings

    sender = SmsSettings.objects.order_by("pk").values("sender_number")[:1]
    latest = SmsOptOut.objects.filter(phone=OuterRef("phone"), sender_number=Subquery(sender)).order_by("-at")
    return patients.annotate(
        clinic_sender=Coalesce(Subquery(sender), Value("")),
        number_opted_out=Coalesce(Subquery(latest.values("opted_out")[:1]), Value(False)),
    )


def _blocking_opt_out_of(patient) -> SmsOptOut | None:
    """As blocking_opt_out() for the patient's number; a patient read with_texting_state()
    costs a query only when its number is opted out (the opt-out's details)."""
    if not hasattr(patient, "number_opted_out"):
        return blocking_opt_out(patient.phone, clinic_sender())
    if not patient.number_opted_out:
        return None
    return blocking_opt_out(patient.phone, patient.clinic_sender)


def _consent_how(record: SmsConsentRecord) -> str:
    who = f" ({record.actor_label})" if record.actor_label else ""
    return {
        ConsentSource.STAFF: f"through staff{who}",
        ConsentSource.API: f"through the API{who}",
        ConsentSource.KEYWORD: "by text reply",
        ConsentSource.LINK: "on the confirmation page",
        ConsentSource.IMPORT: "by import",
    }.get(record.source, "")


def consent_state(patient) -> tuple[str | None, bool]:
    """(the source of the patient's latest consent record, whether their number is
    opted out of the clinic's sender): what the API shows on one patient."""
    record = SmsConsentRecord.objects.filter(patient_id=patient.pk).order_by("-at").values_list("source", flat=True)
    return record.first(), blocking_opt_out(patient.phone, clinic_sender()) is not None


def with_consent_state(patients):
    """`patients` annotated with `consent_source` and `number_opted_out` (as
    consent_state, for a whole page in its one query)."""
    from django.db.models import OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from clinic.messaging.models import SmsSettings

    sender = SmsSettings.objects.values("sender_number")[:1]
    latest_record = SmsConsentRecord.objects.filter(patient_id=OuterRef("pk")).order_by("-at")
    latest_opt_out = SmsOptOut.objects.filter(phone=OuterRef("phone"), sender_number=Subquery(sender)).order_by("-at")
    return patients.annotate(
        consent_source=Subquery(latest_record.values("source")[:1]),
        number_opted_out=Coalesce(Subquery(latest_opt_out.values("opted_out")[:1]), Value(False)),
    )

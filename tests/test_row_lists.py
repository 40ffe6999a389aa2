"""A list read as a column of its parent's read is the same list, field for field and
with the same related records, as the list read on its own; and it stays in its clinic."""

from __future__ import annotations

import datetime as dt

from django.db.models import Model

from clinic.appointments.models import Patient
from clinic.messaging.selectors import PATIENT_TEXTS_SHOWN, patient_messages, with_latest_texts
from tenancy.context import tenant_context
from tests import factories

RELATED = ("appointment", "sent_by", "handled_by")


def values(record: Model) -> dict:
    return {field.attname: getattr(record, field.attname) for field in record._meta.concrete_fields}


def test_a_patients_latest_texts_read_with_the_patient_are_the_texts_read_on_their_own(org_a, owner_a):
    with tenant_context(org=org_a, user=owner_a):
        visit = factories.appointment()
        patient = visit.patient
        handled = dt.datetime(2030, 1, 7, 9, 30, 15, 123456, tzinfo=dt.UTC)
        factories.sms_message(patient=patient, appointment=visit, sent_by=owner_a, body="Line 1\nLine 2")
        factories.sms_message(
            patient=patient,
            direction="in",
            kind="inbound",
            status="received",
            needs_attention=True,
            handled_at=handled,
            handled_by=owner_a,
        )
        for _ in range(PATIENT_TEXTS_SHOWN):
            factories.sms_message(patient=patient)
        factories.sms_message(patient=factories.patient(), body="another patient's")

        on_their_own = patient_messages(Patient.objects.get(pk=patient.pk))
        folded = patient_messages(with_latest_texts(Patient.objects.all()).get(pk=patient.pk))

    assert len(folded) == PATIENT_TEXTS_SHOWN
    assert [values(text) for text in folded] == [values(text) for text in on_their_own]
    for name in RELATED:
        theirs = [getattr(text, name) for text in on_their_own]
        assert [getattr(text, name) for text in folded] == theirs
        assert [values(r) if r else None for r in (getattr(t, name) for t in folded)] == [
            values(r) if r else None for r in theirs
        ]
    assert all(not text._state.adding for text in folded)


def test_a_patients_texts_read_with_the_patient_include_the_oldest_when_few(org_a, owner_a):
    with tenant_context(org=org_a, user=owner_a):
        visit = factories.appointment()
        factories.sms_message(patient=visit.patient, appointment=visit, sent_by=owner_a)
        factories.sms_message(patient=visit.patient, direction="in", kind="inbound", status="received")
        texts = patient_messages(with_latest_texts(Patient.objects.all()).get(pk=visit.patient_id))
        none = patient_messages(with_latest_texts(Patient.objects.all()).get(pk=factories.patient().pk))

    assert [(t.direction, t.appointment, t.sent_by) for t in texts] == [("in", None, None), ("out", visit, owner_a)]
    assert none == []

"""The SMS log and inbox: one clinic's texts in its own time zone, the filters, and
the inbox's "Mark handled" and reply going through the services; another clinic's
texts never listed and its ids answering 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clinic.appointments.services import patient_set_sms_consent
from clinic.messaging.models import SmsMessage
from tenancy.context import tenant_context
from tenancy.session import SESSION_ORG_KEY
from tests.support import factories, isolation
from tests.support.isolation import sms_log_bodies
from tests.support.people import login
from tests.support.sms import text

UTC = dt.UTC


@pytest.fixture
def as_staff(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    return client


def inbound(org, patient=None, *, body="Is parking free?", **fields) -> SmsMessage:
    values = {
        "direction": "in",
        "kind": "inbound",
        "status": "received",
        "from_number": patient.phone if patient else "+12025550177",
        "to_number": "+12025550100",
        "patient": patient,
        "body": body,
        "needs_attention": True,
    }
    return text(org, **{**values, **fields})


def messages_of(org, **filters) -> list[SmsMessage]:
    with tenant_context(org=org):
        return list(SmsMessage.objects.filter(**filters).order_by("created_at"))


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the log --------------------------------------------------------------------------


def test_the_log_lists_the_clinics_texts_newest_first_in_its_time_zone(as_staff, people_a):
    text(people_a.org, body="older", at=dt.datetime(2030, 3, 4, 7, 5, tzinfo=UTC), patient=people_a.jane)
    text(people_a.org, body="newer", at=dt.datetime(2030, 3, 4, 9, 0, tzinfo=UTC))
    response = as_staff.get("/sms/")
    body = response.content.decode()
    assert sms_log_bodies(as_staff) == ["newer", "older"]
    assert "08:05" in body and "07:05" not in body  # Berlin is UTC+1 in March
    assert "+1 202-555-0100" in body and "+1 415-555-0100" in body  # numbers as people read them
    assert f'href="/patients/{people_a.jane.pk}/"' in body
    assert "times in Europe/Berlin" in body


def test_the_log_never_lists_another_clinics_texts(as_staff, people_a, people_b):
    isolation.sms_log_never_lists_another_clinics_texts(as_staff, people_a, people_b)


def test_the_log_shows_the_appointment_status_and_error(as_staff, people_a):
    with tenant_context(org=people_a.org):
        visit = factories.appointment(patient=people_a.jane)
    text(
        people_a.org,
        patient=people_a.jane,
        appointment=visit,
        status="failed",
        error_code="30003",
        error_message="Unreachable handset",
    )
    body = as_staff.get("/sms/").content.decode()
    assert f'href="/appointments/{visit.pk}/"' in body
    assert ">Failed<" in body and "30003" in body and "Unreachable handset" in body


def test_the_log_filters_by_direction_and_status(as_staff, people_a):
    text(people_a.org, body="out queued")
    text(people_a.org, body="out delivered", status="delivered")
    inbound(people_a.org, body="in", needs_attention=False)
    assert sms_log_bodies(as_staff, direction="in") == ["in"]
    assert set(sms_log_bodies(as_staff, direction="out")) == {"out queued", "out delivered"}
    assert sms_log_bodies(as_staff, status="delivered") == ["out delivered"]


def test_the_date_filter_uses_the_clinics_local_days(as_staff, org_a):
    # 23:30 UTC on the 3rd is 00:30 on the 4th in Berlin; 23:30 UTC on the 4th is the 5th.
    text(org_a, body="early on the 4th", at=dt.datetime(2030, 3, 3, 23, 30, tzinfo=UTC))
    text(org_a, body="late on the 3rd", at=dt.datetime(2030, 3, 3, 22, 30, tzinfo=UTC))
    text(org_a, body="the 5th", at=dt.datetime(2030, 3, 4, 23, 30, tzinfo=UTC))
    assert sms_log_bodies(as_staff, date_from="2030-03-04", date_to="2030-03-04") == ["early on the 4th"]
    assert sms_log_bodies(as_staff, date_from="2030-03-04") == ["the 5th", "early on the 4th"]
    assert sms_log_bodies(as_staff, date_to="2030-03-03") == ["late on the 3rd"]


def test_a_bad_date_is_a_form_error_and_the_other_filters_still_apply(as_staff, org_a):
    text(org_a, body="delivered", status="delivered")
    text(org_a, body="queued")
    response = as_staff.get("/sms/", {"date_from": "someday", "status": "delivered"})
    assert response.status_code == 200
    assert "date_from" in response.context["form"].errors
    assert [m.body for m in response.context["page"].object_list] == ["delivered"]
    reversed_range = as_staff.get("/sms/", {"date_from": "2030-03-05", "date_to": "2030-03-04"})
    assert reversed_range.context["form"].errors["date_to"] == ["The end date is before the start date."]


def test_the_patient_filter_searches_names_and_numbers(as_staff, people_a):
    text(people_a.org, body="to jane", patient=people_a.jane, to_number=people_a.jane.phone)
    text(people_a.org, body="to john", patient=people_a.john, to_number=people_a.john.phone)
    inbound(people_a.org, body="from a stranger", from_number="+12025550177")
    assert sms_log_bodies(as_staff, q="jane") == ["to jane"]
    assert sms_log_bodies(as_staff, q="roe") == ["to john"]
    assert sms_log_bodies(as_staff, q="555-0177") == ["from a stranger"]


def test_a_picked_patient_shows_their_texts_and_another_clinics_is_a_404(as_staff, people_a, people_b):
    text(people_a.org, body="to jane", patient=people_a.jane)
    text(people_a.org, body="to john", patient=people_a.john)
    response = as_staff.get("/sms/", {"patient": people_a.jane.pk})
    assert [m.body for m in response.context["page"].object_list] == ["to jane"]
    assert "Jane Doe" in response.content.decode()
    assert as_staff.get("/sms/", {"patient": people_b.jane.pk}).status_code == 404
    assert as_staff.get("/sms/", {"patient": "not-an-id"}).status_code == 404


def test_the_log_has_fifty_texts_a_page_and_keeps_the_filters(as_staff, org_a):
    for n in range(55):
        text(org_a, body=f"text {n:02d}", at=dt.datetime(2030, 3, 4, 8, tzinfo=UTC) + dt.timedelta(minutes=n))
    first = as_staff.get("/sms/", {"direction": "out"})
    assert len(first.context["page"].object_list) == 50
    body = first.content.decode()
    assert "Page 1 of 2" in body
    assert 'href="?direction=out&amp;page=2"' in body
    second = as_staff.get("/sms/", {"direction": "out", "page": 2})
    assert [m.body for m in second.context["page"].object_list] == [f"text {n:02d}" for n in range(4, -1, -1)]


# --- the inbox ------------------------------------------------------------------------


def test_the_inbox_lists_unhandled_texts_oldest_first(as_staff, people_a, people_b):
    inbound(people_a.org, people_a.jane, body="second", at=dt.datetime(2030, 3, 4, 9, tzinfo=UTC))
    inbound(people_a.org, people_a.john, body="first", at=dt.datetime(2030, 3, 4, 8, tzinfo=UTC))
    at = dt.datetime(2030, 3, 4, 10, tzinfo=UTC)
    text(people_a.org, body="failed send", status="failed", needs_attention=True, patient=people_a.john, at=at)
    inbound(people_a.org, body="handled already", handled_at=dt.datetime(2030, 3, 4, tzinfo=UTC))
    inbound(people_a.org, body="fine", needs_attention=False)
    inbound(people_b.org, people_b.jane, body="Secret of clinic B")
    response = as_staff.get("/sms/inbox/")
    assert [item.message.body for item in response.context["items"]] == ["first", "second", "failed send"]
    assert b"Secret of clinic B" not in response.content
    assert "3 texts waiting" in response.content.decode()


def test_a_text_from_an_unknown_number_offers_no_reply(as_staff, org_a):
    inbound(org_a, body="who is this?")
    body = as_staff.get("/sms/inbox/").content.decode()
    assert "No one patient of this clinic has this number, so there is no one to reply to from here." in body
    assert "Send reply" not in body
    assert "Mark handled" in body


def test_mark_handled_takes_the_text_out_of_the_inbox(as_staff, org_a, staff_a):
    message = inbound(org_a, body="hello?")
    response = as_staff.post(f"/sms/inbox/{message.pk}/handled/")
    assert response["Location"] == "/sms/inbox/"
    [stored] = messages_of(org_a)
    assert stored.handled_at is not None and stored.handled_by_id == staff_a.pk
    assert as_staff.get("/sms/inbox/").context["items"] == []


def test_a_reply_queues_a_text_written_by_staff_and_marks_the_text_handled(as_staff, people_a, staff_a):
    with tenant_context(org=people_a.org):
        sender = factories.sms_settings().sender_number
        visit = factories.appointment(patient=people_a.jane)
    question = inbound(people_a.org, people_a.jane, appointment=visit)
    response = as_staff.post(
        f"/sms/inbox/{question.pk}/reply/", {"body": " Yes, parking is free. ", "mark_handled": "on"}
    )
    assert response["Location"] == "/sms/inbox/"
    assert flashed(response) == ["Reply to Jane Doe queued."]
    [reply] = messages_of(people_a.org, direction="out")
    assert (reply.kind, reply.status, reply.body) == ("manual", "queued", "Yes, parking is free.")
    assert (reply.to_number, reply.from_number) == (people_a.jane.phone, sender)
    assert (reply.patient_id, reply.appointment_id, reply.sent_by_id) == (people_a.jane.pk, visit.pk, staff_a.pk)
    [stored] = messages_of(people_a.org, pk=question.pk)
    assert stored.handled_by_id == staff_a.pk


def test_a_reply_can_leave_the_text_in_the_inbox(as_staff, people_a):
    with tenant_context(org=people_a.org):
        factories.sms_settings()
    question = inbound(people_a.org, people_a.jane)
    as_staff.post(f"/sms/inbox/{question.pk}/reply/", {"body": "Let me check."})
    assert len(messages_of(people_a.org, direction="out")) == 1
    assert messages_of(people_a.org, pk=question.pk)[0].handled_at is None


def test_the_reply_job_is_deferred_when_the_request_commits(as_staff, people_a, django_capture_on_commit_callbacks):
    with tenant_context(org=people_a.org):
        factories.sms_settings()
    question = inbound(people_a.org, people_a.jane)
    with django_capture_on_commit_callbacks() as callbacks:
        as_staff.post(f"/sms/inbox/{question.pk}/reply/", {"body": "See you soon."})
    assert len(callbacks) == 1  # one delivery job, deferred once the reply is stored


@pytest.mark.parametrize(
    ("body", "error"), [("", "Write a message."), ("   ", "Write a message."), ("x" * 1001, "at most 1000")]
)
def test_an_empty_or_long_reply_is_a_form_error(as_staff, people_a, body, error):
    with tenant_context(org=people_a.org):
        factories.sms_settings()
    question = inbound(people_a.org, people_a.jane)
    response = as_staff.post(f"/sms/inbox/{question.pk}/reply/", {"body": body})
    assert response.status_code == 200
    [item] = response.context["items"]
    assert error in " ".join(item.reply_form.errors["body"])
    assert messages_of(people_a.org, direction="out") == []


def test_a_reply_refused_by_the_service_is_shown_on_the_form(as_staff, people_a):
    question = inbound(people_a.org, people_a.jane)  # the clinic has no sender number yet
    response = as_staff.post(f"/sms/inbox/{question.pk}/reply/", {"body": "Hello"})
    assert response.status_code == 200
    [item] = response.context["items"]
    assert item.reply_form.non_field_errors() == ["The clinic has no sender number (see SMS settings)."]
    assert "Hello" in response.content.decode()  # what was typed is kept
    assert messages_of(people_a.org, direction="out") == []


def test_a_patient_who_opted_out_gets_no_reply(as_staff, people_a):
    with tenant_context(org=people_a.org):
        factories.sms_settings()
        patient_set_sms_consent(patient=people_a.jane, opted_in=False)
    question = inbound(people_a.org, people_a.jane)
    body = as_staff.get("/sms/inbox/").content.decode()
    assert "Jane opted out of texts; call instead." in body and "Send reply" not in body
    response = as_staff.post(f"/sms/inbox/{question.pk}/reply/", {"body": "Hello"})
    assert response.status_code == 200
    assert "Jane opted out of texts; call instead." in response.content.decode()
    assert messages_of(people_a.org, direction="out") == []


def test_a_reply_to_an_unknown_number_is_refused(as_staff, org_a):
    question = inbound(org_a)
    response = as_staff.post(f"/sms/inbox/{question.pk}/reply/", {"body": "Hello"})
    assert response["Location"] == "/sms/inbox/"
    assert messages_of(org_a, direction="out") == []


def test_another_clinics_text_is_a_404(as_staff, people_b, org_b):
    theirs = inbound(org_b, people_b.jane)
    assert as_staff.post(f"/sms/inbox/{theirs.pk}/handled/").status_code == 404
    assert as_staff.post(f"/sms/inbox/{theirs.pk}/reply/", {"body": "Hi"}).status_code == 404
    [stored] = messages_of(org_b)
    assert stored.handled_at is None
    assert messages_of(org_b, direction="out") == []


def test_the_inbox_buttons_need_a_post_with_csrf(org_a, staff_a):
    message = inbound(org_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_a)
    session = client.session
    session[SESSION_ORG_KEY] = str(org_a.id)
    session.save()
    assert client.get(f"/sms/inbox/{message.pk}/handled/").status_code == 405
    assert client.post(f"/sms/inbox/{message.pk}/handled/").status_code == 403
    assert messages_of(org_a)[0].handled_at is None


def test_the_sms_pages_need_a_login_and_a_clinic(client, org_a):
    for url in ("/sms/", "/sms/inbox/", "/sms/settings/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")


# --- the navigation -------------------------------------------------------------------


def test_the_nav_counts_unhandled_inbox_texts_in_one_query(as_staff, org_a, org_b):
    inbound(org_a)
    inbound(org_a, body="another")
    inbound(org_a, body="done", handled_at=dt.datetime(2030, 3, 4, tzinfo=UTC))
    inbound(org_b)
    with CaptureQueriesContext(connection) as queries:
        body = as_staff.get("/patients/").content.decode()
    assert '<a class="site-nav__link" href="/sms/">SMS <span class="count-badge">2<' in body
    assert "texts waiting in the inbox" in body
    assert len([q for q in queries.captured_queries if "messaging_smsmessage" in q["sql"]]) == 1


def test_the_sms_pages_repeat_the_count_without_asking_again(as_staff, org_a):
    inbound(org_a)
    with CaptureQueriesContext(connection) as queries:
        body = as_staff.get("/sms/").content.decode()
    assert 'Inbox <span class="count-badge">1<' in body
    # Counted once, with the membership the tenant middleware reads (membership_figures).
    counts = [q for q in queries.captured_queries if "COUNT(" in q["sql"] and "needs_attention" in q["sql"]]
    assert len(counts) == 1
    assert "tenancy_membership" in counts[0]["sql"]


def test_no_badge_when_the_inbox_is_empty(as_staff, org_a):
    body = as_staff.get("/patients/").content.decode()
    assert '<a class="site-nav__link" href="/sms/">SMS</a>' in body

"""/calendar/<token>.ics: what a feed shows, to whom, and how calendar apps keep it
current (UID, SEQUENCE, STATUS, ETag)."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from clinic.appointments.services import appointment_cancel, appointment_update
from clinic.audit.models import AuditEvent
from clinic.calendars.models import CalendarFeed
from clinic.calendars.services import calendar_settings_update, feed_revoke
from tenancy.context import tenant_context
from tenancy.services import membership_remove
from tests.support.calendars import book, events, feed_path, make_feed, soon, summaries

pytestmark = pytest.mark.django_db


def test_the_feed_is_rfc_5545_with_the_clinics_zone(client, org_a, owner_a, people_a):
    appointment = book(people_a, starts_at=soon(org_a))
    response = client.get(feed_path(make_feed(org_a, owner_a)))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    (event,) = events(response)
    assert str(event["UID"]) == f"appointment-{appointment.id}@clinic"
    assert event.decoded("DTSTART") == appointment.starts_at
    assert event.decoded("DTEND") == appointment.ends_at
    assert f"DTSTART;TZID=Europe/Berlin:{soon(org_a):%Y%m%dT%H%M%S}" in response.content.decode()
    assert str(event["STATUS"]) == "CONFIRMED"


def test_the_window_is_30_days_back_and_180_ahead(client, org_a, owner_a, people_a):
    book(people_a, starts_at=soon(org_a, days=-29))
    book(people_a, starts_at=soon(org_a, days=179))
    book(people_a, starts_at=soon(org_a, days=-32))
    book(people_a, starts_at=soon(org_a, days=182))
    starts = [event.decoded("DTSTART").date() for event in events(client.get(feed_path(make_feed(org_a, owner_a))))]
    assert starts == [soon(org_a, days=-29).date(), soon(org_a, days=179).date()]


def test_a_provider_feed_shows_only_that_provider(client, org_a, owner_a, people_a):
    book(people_a, starts_at=soon(org_a))
    book(people_a, patient=people_a.john, provider=people_a.grace, starts_at=soon(org_a))
    token = make_feed(org_a, owner_a, provider=people_a.grace)
    assert summaries(client.get(feed_path(token))) == ["Check-up"]
    whole = summaries(client.get(feed_path(make_feed(org_a, owner_a))))
    assert sorted(whole) == ["Check-up (Dr Ada Lovelace)", "Check-up (Dr Grace Hopper)"]


@pytest.mark.parametrize(
    ("privacy", "expected"),
    [("busy", "Busy"), ("type", "Check-up"), ("initials", "Check-up · J.D."), ("names", "Check-up · Jane Doe")],
)
def test_each_privacy_level_shows_what_it_promises(client, org_a, owner_a, people_a, privacy, expected):
    with tenant_context(org=org_a):
        people_a.jane.notes = "Allergic to penicillin"
        people_a.jane.save()
    book(people_a, starts_at=soon(org_a))
    response = client.get(feed_path(make_feed(org_a, owner_a, provider=people_a.ada, privacy=privacy)))
    assert summaries(response) == [expected]
    body = response.content.decode()
    for never in ("penicillin", people_a.jane.phone, "1980", "DESCRIPTION"):
        assert never not in body
    if privacy in ("busy", "type", "initials"):
        assert "Jane" not in body and "Doe" not in body
    if privacy == "busy":
        assert "Check-up" not in body


def test_forbidding_patient_details_caps_existing_feeds(client, org_a, owner_a, people_a):
    book(people_a, starts_at=soon(org_a))
    token = make_feed(org_a, owner_a, provider=people_a.ada, privacy="names")
    with tenant_context(org=org_a, user=owner_a):
        calendar_settings_update(allow_patient_details=False)
    assert summaries(client.get(feed_path(token))) == ["Check-up"]


def test_a_cancelled_appointment_is_status_cancelled(client, org_a, owner_a, people_a):
    appointment = book(people_a, starts_at=soon(org_a))
    with tenant_context(org=org_a):
        appointment_cancel(appointment=appointment, changed_by=None)
    (event,) = events(client.get(feed_path(make_feed(org_a, owner_a))))
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["TRANSP"]) == "TRANSPARENT"


def test_a_moved_appointment_keeps_its_uid_with_a_higher_sequence(client, org_a, owner_a, people_a):
    appointment = book(people_a, starts_at=soon(org_a))
    path = feed_path(make_feed(org_a, owner_a))
    (before,) = events(client.get(path))
    with tenant_context(org=org_a):
        appointment_update(appointment=appointment, changed_by=None, starts_at=soon(org_a, hour=11))
    (after,) = events(client.get(path))
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after.decoded("DTSTART") == soon(org_a, hour=11)


def test_an_unchanged_feed_answers_304_to_its_etag(client, org_a, owner_a, people_a):
    appointment = book(people_a, starts_at=soon(org_a))
    path = feed_path(make_feed(org_a, owner_a))
    first = client.get(path)
    etag = first["ETag"]
    assert etag.startswith('"') and client.get(path)["ETag"] == etag
    unchanged = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged["ETag"] == etag
    with tenant_context(org=org_a):
        appointment_cancel(appointment=appointment, changed_by=None)
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_revoked_unknown_and_malformed_links_get_the_same_404(client, org_a, owner_a, people_a):
    book(people_a, starts_at=soon(org_a))
    token = make_feed(org_a, owner_a)
    with tenant_context(org=org_a):
        feed_revoke(feed=CalendarFeed.objects.get())
    revoked = client.get(feed_path(token))
    unknown = client.get(feed_path("A" * 43))
    malformed = client.get("/calendar/not-a-token.ics")
    for response in (revoked, unknown, malformed):
        assert response.status_code == 404
        assert (response.content, response["Content-Type"]) == (revoked.content, revoked["Content-Type"])
        assert "ETag" not in response


def test_clinic_a_link_never_yields_clinic_b(client, org_a, owner_a, people_a, org_b, owner_b, people_b):
    book(people_a, starts_at=soon(org_a))
    book(people_b, starts_at=soon(org_b))
    body_a = client.get(feed_path(make_feed(org_a, owner_a, privacy="names"))).content.decode()
    body_b = client.get(feed_path(make_feed(org_b, owner_b, privacy="names"))).content.decode()
    assert "Jane Doe" in body_a and "Other" not in body_a
    assert "OtherJane Doe" in body_b and "Clinic A" not in body_b


def test_a_signed_in_member_of_another_clinic_gets_the_feed_too(client, org_a, owner_a, people_a, owner_b, org_b):
    book(people_a, starts_at=soon(org_a))
    token = make_feed(org_a, owner_a)
    from tests.support.people import login

    login(client, owner_b, org_b)
    assert summaries(client.get(feed_path(token))) == ["Check-up (Dr Ada Lovelace)"]


def test_a_removed_members_links_stop_working(client, org_a, owner_a, staff_a, people_a):
    book(people_a, starts_at=soon(org_a))
    token = make_feed(org_a, staff_a)
    assert client.get(feed_path(token)).status_code == 200
    with tenant_context(org=org_a, user=owner_a):
        from tenancy.models import Membership

        owner = Membership.objects.get(user=owner_a)
        membership_remove(membership=Membership.objects.get(user=staff_a), removed_by=owner)
    assert client.get(feed_path(token)).status_code == 404


def test_last_use_is_recorded_but_not_on_every_fetch(client, org_a, owner_a, monkeypatch):
    from django.utils import timezone

    path = feed_path(make_feed(org_a, owner_a))

    def last_used():
        with tenant_context(org=org_a):
            return CalendarFeed.objects.get().last_used_at

    assert last_used() is None
    client.get(path)
    first = last_used()
    assert first is not None
    client.get(path)
    assert last_used() == first
    later = timezone.now() + dt.timedelta(minutes=11)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.get(path)
    assert last_used() == later


def test_fetches_are_rate_limited_per_link_alike_for_unknown_links(client, org_a, owner_a, settings):
    settings.CALENDAR_FEED_THROTTLE_RATE = "2/minute"
    for path in (feed_path(make_feed(org_a, owner_a)), feed_path("B" * 43)):
        first, second, third = (client.get(path) for _ in range(3))
        assert first.status_code == second.status_code in (200, 404)
        assert third.status_code == 429 and int(third["Retry-After"]) > 0


def test_fetching_patient_details_is_audited(client, org_a, owner_a, people_a):
    book(people_a, starts_at=soon(org_a))
    names = feed_path(make_feed(org_a, owner_a, privacy="names"))
    types = feed_path(make_feed(org_a, owner_a, privacy="type"))
    etag = client.get(names)["ETag"]
    client.get(names, HTTP_IF_NONE_MATCH=etag)  # 304: nothing new shown
    client.get(types)
    with tenant_context(org=org_a):
        fetched = list(AuditEvent.objects.filter(action="feed_fetched"))
        feed = CalendarFeed.objects.get(privacy="names")
    assert len(fetched) == 1
    (event,) = fetched
    assert (event.object_type, event.object_id) == ("calendars.CalendarFeed", feed.id)
    assert (event.actor_type, event.actor_user_id) == ("feed", owner_a.id)


def test_the_lookup_maps_a_hash_to_the_clinic_and_nothing_else(org_a, owner_a):
    from clinic.calendars.tokens import organization_for_hash
    from tenancy.tokens import hash_token

    token = make_feed(org_a, owner_a)
    assert organization_for_hash(hash_token(token)) == org_a.id
    assert organization_for_hash(hash_token("C" * 43)) is None
    with tenant_context(org=org_a):
        feed_revoke(feed=CalendarFeed.objects.get())
    assert organization_for_hash(hash_token(token)) is None

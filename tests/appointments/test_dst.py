"""Local days and times around daylight-saving changes: stored in UTC, read back in
the clinic's zone, found by the clinic's calendar day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from clinic.appointments.models import Appointment
from clinic.appointments.services import appointment_book
from clinic.core.timezones import NonexistentLocalTime, local_day_bounds, localize
from tenancy.context import tenant_context
from tests.support import factories

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC

# 2026: Europe springs forward on 29 March and falls back on 25 October; the US on
# 8 March and 1 November.
CASES = [
    # zone, local day, expected UTC of 09:00
    pytest.param(BERLIN, dt.date(2026, 3, 27), dt.datetime(2026, 3, 27, 8, tzinfo=UTC), id="berlin-before-spring"),
    pytest.param(BERLIN, dt.date(2026, 3, 30), dt.datetime(2026, 3, 30, 7, tzinfo=UTC), id="berlin-after-spring"),
    pytest.param(BERLIN, dt.date(2026, 10, 26), dt.datetime(2026, 10, 26, 8, tzinfo=UTC), id="berlin-after-fall"),
    pytest.param(NEW_YORK, dt.date(2026, 3, 6), dt.datetime(2026, 3, 6, 14, tzinfo=UTC), id="ny-before-spring"),
    pytest.param(NEW_YORK, dt.date(2026, 3, 9), dt.datetime(2026, 3, 9, 13, tzinfo=UTC), id="ny-after-spring"),
    pytest.param(NEW_YORK, dt.date(2026, 11, 2), dt.datetime(2026, 11, 2, 14, tzinfo=UTC), id="ny-after-fall"),
]


@pytest.mark.parametrize(("zone", "day", "expected"), CASES)
def test_localize_gives_the_utc_instant_of_a_local_time(zone, day, expected):
    assert localize(day, dt.time(9), zone) == expected


@pytest.mark.parametrize(("zone", "day", "expected"), CASES)
def test_a_9am_appointment_is_stored_in_utc_and_reads_back_as_9am(request, zone, day, expected):
    org = request.getfixturevalue("org_a" if zone is BERLIN else "org_b")
    assert org.zone == zone
    with tenant_context(org=org):
        appointment = appointment_book(
            patient=factories.patient(),
            provider=factories.provider(),
            appointment_type=factories.appointment_type(default_duration=30),
            starts_at=localize(day, dt.time(9), org.zone),
            booked_by=None,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT starts_at AT TIME ZONE 'UTC', ends_at AT TIME ZONE 'UTC' FROM appointments_appointment"
            )
            assert cursor.fetchone() == (
                expected.replace(tzinfo=None),
                (expected + dt.timedelta(minutes=30)).replace(tzinfo=None),
            )
        stored = Appointment.objects.get()
        assert stored.starts_at.astimezone(org.zone).time() == dt.time(9)
        assert stored.ends_at.astimezone(org.zone).time() == dt.time(9, 30)
        assert list(Appointment.objects.on_day(day, org.zone)) == [appointment]
        assert not Appointment.objects.on_day(day - dt.timedelta(days=1), org.zone).exists()
        assert not Appointment.objects.on_day(day + dt.timedelta(days=1), org.zone).exists()


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (BERLIN, dt.date(2026, 3, 29), 23),
        (BERLIN, dt.date(2026, 10, 25), 25),
        (BERLIN, dt.date(2026, 3, 30), 24),
        (NEW_YORK, dt.date(2026, 3, 8), 23),
        (NEW_YORK, dt.date(2026, 11, 1), 25),
    ],
)
def test_a_local_day_is_as_long_as_the_clocks_say(zone, day, hours):
    start, end = local_day_bounds(day, zone)
    assert end - start == dt.timedelta(hours=hours)
    assert start.astimezone(zone).replace(tzinfo=None) == dt.datetime.combine(day, dt.time.min)
    assert start.tzinfo is UTC


def test_late_evening_appointments_belong_to_their_local_day(org_b):
    """23:30 in New York is the next day in UTC."""
    with tenant_context(org=org_b):
        late = factories.appointment(
            starts_at=localize(dt.date(2026, 3, 8), dt.time(23, 30), NEW_YORK),
            ends_at=localize(dt.date(2026, 3, 9), dt.time(0), NEW_YORK),
        )
        assert list(Appointment.objects.on_day(dt.date(2026, 3, 8), NEW_YORK)) == [late]
        assert not Appointment.objects.on_day(dt.date(2026, 3, 9), NEW_YORK).exists()


@pytest.mark.parametrize(
    ("zone", "day", "time"),
    [(BERLIN, dt.date(2026, 3, 29), dt.time(2, 30)), (NEW_YORK, dt.date(2026, 3, 8), dt.time(2, 0))],
)
def test_a_time_in_the_spring_forward_gap_is_refused(zone, day, time):
    with pytest.raises(NonexistentLocalTime) as excinfo:
        localize(day, time, zone)
    assert excinfo.value.messages == [
        f"{time:%H:%M} does not exist on {day.isoformat()} in {zone.key}: the clocks go forward at that hour. "
        "Choose a time after the change."
    ]


def test_a_time_that_happens_twice_means_the_first_unless_asked():
    first = localize(dt.date(2026, 10, 25), dt.time(2, 30), BERLIN)
    second = localize(dt.date(2026, 10, 25), dt.time(2, 30), BERLIN, fold=1)
    assert first == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert second - first == dt.timedelta(hours=1)

"""Booking, rescheduling, cancelling and viewing appointments through the staff pages:
local times in the clinic's zone, friendly double-booking errors, and choices from
the active clinic only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages

from clinic.appointments.models import Appointment, AppointmentType, Provider
from clinic.appointments.services import appointment_book, appointment_set_status
from clinic.core.timezones import localize
from tenancy.context import tenant_context
from tests.support.people import login

DAY = dt.date(2030, 3, 4)
UTC = dt.UTC


@pytest.fixture
def as_staff(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    return client


def form_data(people, **overrides) -> dict:
    data = {
        "patient": people.jane.pk,
        "provider": people.ada.pk,
        "appointment_type": people.checkup.pk,
        "date": DAY.isoformat(),
        "start_time": "09:00",
        "end_time": "",
        "notes": "",
        "save": "1",
    }
    return {**data, **overrides}


def appointments(org) -> list[Appointment]:
    with tenant_context(org=org):
        return list(Appointment.objects.order_by("starts_at"))


def book(people, *, patient=None, time="09:00", status=None) -> Appointment:
    with tenant_context(org=people.org):
        appointment = appointment_book(
            patient=patient or people.jane,
            provider=people.ada,
            appointment_type=people.checkup,
            starts_at=localize(DAY, dt.time.fromisoformat(time), people.org.zone),
            booked_by=None,
        )
        if status:
            appointment_set_status(appointment=appointment, status=status, changed_by=None)
        return appointment


def errors(response) -> dict:
    return response.context["form"].errors


# --- booking --------------------------------------------------------------------------


def test_the_form_offers_only_the_active_clinics_choices(as_staff, people_a, people_b):
    body = as_staff.get("/appointments/new/").content.decode()
    for name in ("Doe, Jane", "Roe, John", "Dr Ada Lovelace", "Check-up"):
        assert name in body
    for name in ("OtherJane", "OtherAda", "OtherCheck-up"):
        assert name not in body
    assert "organization" not in body


def test_it_books_in_the_clinics_time_zone(as_staff, people_a, staff_a):
    response = as_staff.post("/appointments/new/", form_data(people_a, notes="Bring X-rays"))
    assert response.status_code == 302
    assert response["Location"] == "/?date=2030-03-04"
    [appointment] = appointments(people_a.org)
    # 09:00 in Berlin in winter is 08:00 UTC; the type's 30 minutes by default.
    assert appointment.starts_at == dt.datetime(2030, 3, 4, 8, tzinfo=UTC)
    assert appointment.ends_at == dt.datetime(2030, 3, 4, 8, 30, tzinfo=UTC)
    assert (appointment.status, appointment.notes, appointment.status_changed_by_id) == (
        "scheduled",
        "Bring X-rays",
        staff_a.pk,
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Booked Jane Doe with Dr Ada Lovelace on Mon 4 Mar, 09:00–09:30."
    ]


def test_an_explicit_end_time_wins_over_the_types_length(as_staff, people_a):
    as_staff.post("/appointments/new/", form_data(people_a, end_time="09:50"))
    [appointment] = appointments(people_a.org)
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=50)


def test_an_end_before_the_start_is_a_form_error(as_staff, people_a):
    response = as_staff.post("/appointments/new/", form_data(people_a, end_time="08:30"))
    assert errors(response)["end_time"] == ["The appointment must end after it starts."]
    assert appointments(people_a.org) == []


def test_missing_fields_are_form_errors(as_staff, people_a):
    response = as_staff.post("/appointments/new/", {"save": "1"})
    assert response.status_code == 200
    assert set(errors(response)) == {"patient", "provider", "appointment_type", "date", "start_time"}


def test_a_time_in_the_dst_gap_is_a_clear_error(as_staff, people_a):
    """Berlin's clocks jump from 02:00 to 03:00 on 29 March 2026."""
    response = as_staff.post("/appointments/new/", form_data(people_a, date="2026-03-29", start_time="02:30"))
    [message] = errors(response)["start_time"]
    assert "02:30 does not exist on 2026-03-29 in Europe/Berlin" in message
    assert appointments(people_a.org) == []


def test_a_9am_booking_after_the_dst_change_shows_at_9am(as_staff, people_a):
    # The day is over by now: booked once the warning is confirmed (tests/appointments/test_booking_guards.py).
    as_staff.post("/appointments/new/", form_data(people_a, date="2026-03-30", warned="in_past", book_anyway="on"))
    [appointment] = appointments(people_a.org)
    assert appointment.starts_at == dt.datetime(2026, 3, 30, 7, tzinfo=UTC)  # summer time: UTC+2
    assert "09:00–09:30" in as_staff.get("/?date=2026-03-30").content.decode()


def test_a_double_booking_re_shows_the_form_naming_the_appointment_in_the_way(as_staff, people_a):
    first = book(people_a)
    response = as_staff.post("/appointments/new/", form_data(people_a, patient=people_a.john.pk, start_time="09:15"))
    assert response.status_code == 200
    assert errors(response)["__all__"] == ["Dr Ada Lovelace already has Jane Doe at 09:00–09:30 (Europe/Berlin)"]
    body = response.content.decode()
    assert f'href="/appointments/{first.pk}/"' in body
    assert len(appointments(people_a.org)) == 1


def test_the_same_patient_cannot_be_in_two_places(as_staff, people_a):
    book(people_a)
    response = as_staff.post("/appointments/new/", form_data(people_a, provider=people_a.grace.pk))
    assert "Jane Doe already has an appointment with Dr Ada Lovelace" in errors(response)["__all__"][0]


def test_an_inactive_provider_cannot_be_chosen(as_staff, people_a):
    with tenant_context(org=people_a.org):
        Provider.objects.filter(pk=people_a.grace.pk).update(active=False)
    assert "Dr Grace Hopper" not in as_staff.get("/appointments/new/").content.decode()
    response = as_staff.post("/appointments/new/", form_data(people_a, provider=people_a.grace.pk))
    assert "provider" in errors(response)


def test_another_clinics_patient_provider_or_type_is_not_a_valid_choice(as_staff, people_a, people_b):
    theirs_by_field = {"patient": people_b.jane, "provider": people_b.ada, "appointment_type": people_b.checkup}
    for field, theirs in theirs_by_field.items():
        response = as_staff.post("/appointments/new/", form_data(people_a, **{field: theirs.pk}))
        assert "Select a valid choice" in errors(response)[field][0]
    assert appointments(people_a.org) == []
    assert appointments(people_b.org) == []


def test_a_posted_organization_is_ignored(as_staff, people_a, org_b):
    as_staff.post("/appointments/new/", {**form_data(people_a), "organization": org_b.id})
    [appointment] = appointments(people_a.org)
    assert appointment.organization_id == people_a.org.id
    assert appointments(org_b) == []


def test_a_slot_prefills_the_date_and_provider(as_staff, people_a):
    body = as_staff.get(f"/appointments/new/?date=2030-03-05&provider={people_a.grace.pk}&time=10:30").content.decode()
    assert 'value="05/03/2030"' in body  # the clinic reads and shows dates day first
    assert f'<option value="{people_a.grace.pk}" selected>' in body
    assert 'value="10:30"' in body


def test_a_prefill_with_another_clinics_provider_is_ignored(as_staff, people_a, people_b):
    response = as_staff.get(f"/appointments/new/?provider={people_b.ada.pk}&patient={people_b.jane.pk}")
    assert response.status_code == 200
    body = response.content.decode()
    assert str(people_b.ada.pk) not in body and str(people_b.jane.pk) not in body
    assert body.count(" selected>") == body.count('value="" selected>') == 3  # nothing chosen


def test_a_bad_prefill_is_ignored(as_staff, people_a):
    assert as_staff.get("/appointments/new/?date=tomorrow&provider=42&patient=x").status_code == 200


def test_find_narrows_the_patient_list_and_keeps_what_was_typed(as_staff, people_a, people_b):
    data = form_data(people_a, patient="", patient_query="jane", notes="Fasting", find_patient="1")
    del data["save"]
    response = as_staff.post("/appointments/new/", data)
    body = response.content.decode()
    assert "Doe, Jane" in body
    assert "Roe, John" not in body
    assert "OtherJane" not in body  # the other clinic's Jane does not match here
    assert "1 patient matches “jane”." in body
    assert "Fasting" in body and 'value="2030-03-04"' in body
    assert 'class="errorlist"' not in body
    assert appointments(people_a.org) == []


def test_a_long_patient_list_is_cut_short_and_keeps_the_chosen_patient(as_staff, people_a, monkeypatch):
    from clinic.appointments import forms

    monkeypatch.setattr(forms, "PATIENT_CHOICES_LIMIT", 1)
    body = as_staff.get(f"/appointments/new/?patient={people_a.john.pk}").content.decode()
    assert "Showing the first 1: search to narrow the list." in body
    assert f'<option value="{people_a.john.pk}" selected>' in body  # chosen, though not in the first 1
    assert "Doe, Jane" in body


def test_the_edit_page_keeps_its_patient_chosen_in_a_cut_list(as_staff, people_a, monkeypatch):
    from clinic.appointments import forms

    monkeypatch.setattr(forms, "PATIENT_CHOICES_LIMIT", 1)
    appointment = book(people_a, patient=people_a.john)
    body = as_staff.get(f"/appointments/{appointment.pk}/edit/").content.decode()
    assert f'<option value="{people_a.john.pk}" selected>Roe, John (born' in body
    assert "Doe, Jane" in body and "Showing the first 1" in body


def test_the_patient_search_is_a_form_of_its_own(as_staff, people_a):
    """Enter submits a form with its first submit button: in the appointment form that
    must be the save button, so Find belongs to the search form."""
    body = as_staff.get(f"/appointments/new/?date=2030-03-04&provider={people_a.ada.pk}").content.decode()
    main = body[body.index('id="appointment-form"') : body.index('id="patient-search"')]
    buttons = [chunk.split(">", 1)[0] for chunk in main.split("<button")[1:]]
    own = [button for button in buttons if 'form="patient-search"' not in button]
    assert len(own) == 1 and 'name="save"' in own[0]
    assert any('name="find_patient"' in button for button in buttons)
    assert re.search(r"<input type=\"search\" name=\"patient_query\"[^>]* form=\"patient-search\"", body)
    search = body[body.index('<form method="post" id="patient-search"') :]
    search = search[: search.index("</form>")]
    assert 'name="csrfmiddlewaretoken"' in search
    # What the page holds goes along with a search (the date in the clinic's order).
    assert '<input type="hidden" name="date" value="04/03/2030">' in search
    assert f'<input type="hidden" name="provider" value="{people_a.ada.pk}">' in search


def test_a_search_from_the_change_page_keeps_the_appointment(as_staff, people_a):
    appointment = book(people_a)
    page = f"/appointments/{appointment.pk}/edit/"
    body = as_staff.get(page).content.decode()
    search = body[body.index('<form method="post" id="patient-search"') :]
    assert '<input type="hidden" name="start_time" value="09:00">' in search
    body = as_staff.post(page, {"patient_query": "roe", "find_patient": "1", "date": "2030-03-04"}).content.decode()
    assert "Roe, John" in body and 'value="2030-03-04"' in body
    assert appointments(people_a.org)[0].patient_id == people_a.jane.pk


def test_finding_by_phone_digits_works(as_staff, people_a):
    data = {"patient_query": people_a.john.phone[-6:], "find_patient": "1"}
    body = as_staff.post("/appointments/new/", data).content.decode()
    assert "Roe, John" in body and "Doe, Jane" not in body


# --- one appointment -------------------------------------------------------------------


def test_the_detail_shows_the_appointment_and_its_history(as_staff, people_a):
    appointment = book(people_a, status="confirmed")
    body = as_staff.get(f"/appointments/{appointment.pk}/").content.decode()
    assert "Jane Doe" in body and "Dr Ada Lovelace" in body
    assert "Monday 4 March 2030 · 09:00–09:30 (Europe/Berlin)" in body
    assert "Booked" in body and "Scheduled → Confirmed" in body
    assert ">Arrived<" in body
    assert f'href="/appointments/{appointment.pk}/cancel/"' in body


def test_a_cancelled_appointment_can_be_reinstated_from_its_page(as_staff, people_a):
    appointment = book(people_a, status="cancelled")
    body = as_staff.get(f"/appointments/{appointment.pk}/").content.decode()
    assert ">Reinstate<" in body
    as_staff.post(f"/appointments/{appointment.pk}/status/", {"status": "scheduled"})
    assert appointments(people_a.org)[0].status == "scheduled"


def test_rescheduling_keeps_the_length_and_withdraws_a_confirmation(as_staff, people_a):
    appointment = book(people_a, status="confirmed")
    form = as_staff.get(f"/appointments/{appointment.pk}/edit/").context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    as_staff.post(f"/appointments/{appointment.pk}/edit/", {**data, "start_time": "11:00", "save": "1"})
    [moved] = appointments(people_a.org)
    assert moved.starts_at == dt.datetime(2030, 3, 4, 10, tzinfo=UTC)
    assert moved.ends_at == dt.datetime(2030, 3, 4, 10, 30, tzinfo=UTC)
    assert moved.status == "scheduled"  # the patient confirmed the old time


def test_a_changed_length_is_kept_when_only_the_start_moves(as_staff, people_a):
    with tenant_context(org=people_a.org):
        appointment = appointment_book(
            patient=people_a.jane,
            provider=people_a.ada,
            appointment_type=people_a.checkup,
            starts_at=localize(DAY, dt.time(9), people_a.org.zone),
            ends_at=localize(DAY, dt.time(10), people_a.org.zone),
            booked_by=None,
        )
    form = as_staff.get(f"/appointments/{appointment.pk}/edit/").context["form"]
    assert form.initial["end_time"] == dt.time(10)
    data = {name: form[name].value() or "" for name in form.fields}
    as_staff.post(f"/appointments/{appointment.pk}/edit/", {**data, "start_time": "13:00", "save": "1"})
    [moved] = appointments(people_a.org)
    assert moved.ends_at - moved.starts_at == dt.timedelta(hours=1)


def test_a_new_type_without_an_end_takes_the_types_length(as_staff, people_a):
    appointment = book(people_a)
    with tenant_context(org=people_a.org):
        scan = AppointmentType.objects.create(name="Scan", default_duration=45)
    form = as_staff.get(f"/appointments/{appointment.pk}/edit/").context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    as_staff.post(f"/appointments/{appointment.pk}/edit/", {**data, "appointment_type": scan.pk, "save": "1"})
    [changed] = appointments(people_a.org)
    assert (changed.starts_at, changed.ends_at - changed.starts_at) == (appointment.starts_at, dt.timedelta(minutes=45))


def test_rescheduling_onto_another_appointment_is_refused_with_its_name(as_staff, people_a):
    book(people_a, patient=people_a.john, time="11:00")
    appointment = book(people_a)
    response = as_staff.post(f"/appointments/{appointment.pk}/edit/", form_data(people_a, start_time="11:00"))
    assert errors(response)["__all__"] == ["Dr Ada Lovelace already has John Roe at 11:00–11:30 (Europe/Berlin)"]


def test_a_completed_appointment_only_takes_new_notes(as_staff, people_a):
    appointment = book(people_a, status="arrived")
    with tenant_context(org=people_a.org):
        appointment_set_status(appointment=appointment, status="completed", changed_by=None)
    response = as_staff.post(f"/appointments/{appointment.pk}/edit/", form_data(people_a, start_time="12:00"))
    assert "Only the notes" in errors(response)["__all__"][0]
    as_staff.post(f"/appointments/{appointment.pk}/edit/", form_data(people_a, notes="Went well"))
    assert appointments(people_a.org)[0].notes == "Went well"


def test_cancelling_asks_first_then_cancels(as_staff, people_a):
    appointment = book(people_a)
    assert "Cancel this appointment?" in as_staff.get(f"/appointments/{appointment.pk}/cancel/").content.decode()
    response = as_staff.post(f"/appointments/{appointment.pk}/cancel/")
    assert response["Location"] == "/?date=2030-03-04"
    assert appointments(people_a.org)[0].status == "cancelled"


def test_a_completed_appointment_cannot_be_cancelled(as_staff, people_a):
    appointment = book(people_a, status="arrived")
    with tenant_context(org=people_a.org):
        appointment_set_status(appointment=appointment, status="completed", changed_by=None)
    response = as_staff.post(f"/appointments/{appointment.pk}/cancel/")
    assert response["Location"] == f"/appointments/{appointment.pk}/"
    assert appointments(people_a.org)[0].status == "completed"


@pytest.mark.parametrize("suffix", ["", "edit/", "cancel/"])
def test_another_clinics_appointment_is_a_404(as_staff, people_a, people_b, suffix):
    theirs = book(people_b)
    assert as_staff.get(f"/appointments/{theirs.pk}/{suffix}").status_code == 404
    if suffix:
        assert as_staff.post(f"/appointments/{theirs.pk}/{suffix}", form_data(people_a)).status_code == 404
    [unchanged] = appointments(people_b.org)
    assert (unchanged.status, unchanged.patient_id, unchanged.starts_at) == (
        "scheduled",
        people_b.jane.pk,
        theirs.starts_at,
    )


def test_an_unknown_id_is_a_404(as_staff, org_a):
    assert as_staff.get("/appointments/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_appointment_pages_need_a_login(client, people_a):
    appointment = book(people_a)
    for url in ("/appointments/new/", f"/appointments/{appointment.pk}/", f"/appointments/{appointment.pk}/edit/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")

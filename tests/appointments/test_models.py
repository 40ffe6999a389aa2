"""Model validation of patients, providers, working hours and appointment types."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from clinic.appointments.models import AppointmentType, Patient, Provider, WorkingHours
from clinic.appointments.services import patient_create, patient_set_sms_consent, patient_update
from tenancy.context import tenant_context
from tests.support import factories


def new_patient(**fields) -> Patient:
    values = {"first_name": "Jane", "last_name": "Doe", "date_of_birth": dt.date(1980, 5, 17), "phone": "+14155552671"}
    return patient_create(**{**values, **fields})


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_it_stores_phone_numbers_in_e164(org_b):
    with tenant_context(org=org_b):
        patient = new_patient(phone="(415) 555-2671")
        assert patient.phone == "+14155552671"
        assert Patient.objects.get().phone == "+14155552671"


def test_numbers_without_a_country_code_are_read_in_the_clinics_country(org_a, org_b):
    with tenant_context(org=org_a):  # Europe/Berlin
        assert new_patient(phone="030 1234567").phone == "+49301234567"
    with tenant_context(org=org_b):  # America/New_York
        assert new_patient(phone="(212) 555-1234").phone == "+12125551234"


def test_a_london_clinic_reads_local_numbers_as_british(owner_a):
    from tenancy.services import organization_create

    london = organization_create(name="Thames Clinic", slug="thames", timezone="Europe/London", owner=owner_a)
    with tenant_context(org=london):
        assert new_patient(phone="020 7946 0018").phone == "+442079460018"


def test_a_clinic_in_utc_uses_the_default_region(owner_a, settings):
    from tenancy.services import organization_create

    settings.PHONE_DEFAULT_REGION = "DE"
    utc = organization_create(name="Nowhere Clinic", slug="nowhere", timezone="UTC", owner=owner_a)
    with tenant_context(org=utc):
        assert new_patient(phone="030 1234567").phone == "+49301234567"


@pytest.mark.parametrize("phone", ["12345", "not a number", "+1 415 555"])
def test_it_refuses_an_invalid_phone(org_a, phone):
    with tenant_context(org=org_a), pytest.raises(ValidationError) as excinfo:
        new_patient(phone=phone)
    assert list(errors_of(excinfo)) == ["phone"]


def test_patients_of_a_clinic_may_share_a_phone(org_a):
    """A family phone: a parent's number for their children."""
    with tenant_context(org=org_a):
        parent = new_patient(phone="+14155552671")
        child = new_patient(first_name="John", phone="+1 (415) 555-2671")
        assert child.phone == parent.phone == "+14155552671"
        assert list(child.sharing_phone()) == [parent]
        assert Patient.objects.count() == 2


def test_the_same_phone_is_a_different_patient_in_another_clinic(org_a, org_b):
    with tenant_context(org=org_a):
        new_patient(phone="+14155552671")
    with tenant_context(org=org_b):
        assert new_patient(phone="+14155552671").phone == "+14155552671"


def test_it_refuses_a_date_of_birth_in_the_future(org_a):
    with tenant_context(org=org_a), pytest.raises(ValidationError) as excinfo:
        new_patient(date_of_birth=dt.date.today() + dt.timedelta(days=2))
    assert list(errors_of(excinfo)) == ["date_of_birth"]


def test_it_refuses_a_date_of_birth_before_1900_and_takes_1900(org_a):
    with tenant_context(org=org_a):
        with pytest.raises(ValidationError) as excinfo:
            new_patient(date_of_birth=dt.date(1899, 12, 31))
        assert errors_of(excinfo)["date_of_birth"] == ["The date of birth is before 1900: check the year."]
        assert new_patient(date_of_birth=dt.date(1900, 1, 1)).date_of_birth == dt.date(1900, 1, 1)


def test_patient_update_refuses_a_date_of_birth_before_1900(org_a):
    with tenant_context(org=org_a):
        jane = new_patient()
        with pytest.raises(ValidationError, match="before 1900"):
            patient_update(patient=jane, date_of_birth=dt.date(1066, 10, 14))
        jane.refresh_from_db()
        assert jane.date_of_birth.year > 1900


def test_patient_update_normalises_and_checks_the_phone(org_a):
    with tenant_context(org=org_a):
        jane = new_patient(phone="+14155552671")
        john = new_patient(first_name="John", phone="+12125551234")
        patient_update(patient=john, phone="+1 212 555 9876", last_name="Smith")
        john.refresh_from_db()
        assert (john.phone, john.full_name) == ("+12125559876", "John Smith")
        with pytest.raises(ValidationError):
            patient_update(patient=john, phone="+1 212 555")
        assert patient_update(patient=john, phone=jane.phone).phone == jane.phone  # a family phone
        with pytest.raises(TypeError):
            patient_update(patient=john, sms_consent="opted_out")


def test_sms_consent_records_when_it_changed(org_a):
    with tenant_context(org=org_a):
        patient = new_patient()
        assert patient.sms_consent == Patient.SmsConsent.OPTED_IN
        patient_set_sms_consent(patient=patient, opted_in=False)
        patient.refresh_from_db()
        opted_out_at = patient.sms_consent_changed_at
        assert patient.sms_consent == Patient.SmsConsent.OPTED_OUT and opted_out_at is not None
        patient_set_sms_consent(patient=patient, opted_in=False)
        patient.refresh_from_db()
        assert patient.sms_consent_changed_at == opted_out_at


def test_names_read_well(org_a):
    with tenant_context(org=org_a):
        assert str(new_patient(first_name=" Jane ", last_name="Doe ")) == "Jane Doe"
        assert str(Provider(name="Ada Lovelace", title="Dr")) == "Dr Ada Lovelace"
        assert str(Provider(name="Grace Hopper")) == "Grace Hopper"


@pytest.mark.parametrize("colour", ["blue", "#12345", "#1234567", "#12345g", "123456"])
def test_it_refuses_a_colour_that_is_not_rrggbb(org_a, colour):
    with tenant_context(org=org_a), pytest.raises(ValidationError) as excinfo:
        AppointmentType(name="Check-up", default_duration=30, colour=colour).full_clean()
    assert list(errors_of(excinfo)) == ["colour"]


def test_colours_are_stored_in_lower_case(org_a):
    with tenant_context(org=org_a):
        kind = AppointmentType(name="Check-up", default_duration=30, colour="#ABCDEF")
        kind.full_clean()
        kind.save()
        assert AppointmentType.objects.get().colour == "#abcdef"


@pytest.mark.parametrize(("minutes", "valid"), [(4, False), (5, True), (480, True), (481, False), (0, False)])
def test_durations_run_from_5_minutes_to_8_hours(org_a, minutes, valid):
    with tenant_context(org=org_a):
        kind = AppointmentType(name="Check-up", default_duration=minutes)
        if valid:
            kind.full_clean()
        else:
            with pytest.raises(ValidationError):
                kind.full_clean()


def test_the_database_refuses_a_duration_out_of_range(org_a):
    with tenant_context(org=org_a):
        kind = factories.appointment_type()
        with pytest.raises(IntegrityError, match="duration_range"), transaction.atomic():
            AppointmentType.objects.filter(pk=kind.pk).update(default_duration=481)


def test_appointment_type_names_are_unique_per_clinic(org_a, org_b):
    with tenant_context(org=org_a):
        factories.appointment_type(name="Check-up")
        again = AppointmentType(name="Check-up", default_duration=30)
        # Constraints that include the organization are checked once it is known.
        again.claim_for_current_org()
        with pytest.raises(ValidationError, match="already has an appointment type with this name"):
            again.full_clean()
    with tenant_context(org=org_b):
        factories.appointment_type(name="Check-up")


def test_working_hours_end_after_they_start(org_a):
    with tenant_context(org=org_a):
        provider = factories.provider()
        hours = WorkingHours(provider=provider, weekday=0, starts=dt.time(17), ends=dt.time(8))
        with pytest.raises(ValidationError, match="must end after they start"):
            hours.full_clean()
        with pytest.raises(IntegrityError, match="starts_before_ends"), transaction.atomic():
            hours.save()


def test_a_provider_has_one_working_hours_row_per_weekday(org_a):
    with tenant_context(org=org_a):
        monday = factories.working_hours(weekday=WorkingHours.Weekday.MONDAY)
        twice = WorkingHours(provider=monday.provider, weekday=0, starts=dt.time(9), ends=dt.time(12))
        twice.claim_for_current_org()
        with pytest.raises(ValidationError, match="already has working hours on that weekday"):
            twice.full_clean()
        WorkingHours(provider=monday.provider, weekday=1, starts=dt.time(9), ends=dt.time(12)).full_clean()


def test_search_matches_names_ignoring_case_and_accents(org_a):
    with tenant_context(org=org_a):
        mueller = factories.patient(first_name="Jürgen", last_name="Müller")
        factories.patient(first_name="Ada", last_name="Lovelace")
        assert list(Patient.objects.search("muller")) == [mueller]
        assert list(Patient.objects.search("JÜRGEN mül")) == [mueller]
        assert list(Patient.objects.search("jurgen nobody")) == []
        assert Patient.objects.search("  ").count() == 2


def test_search_matches_phone_digits_and_date_of_birth(org_a):
    with tenant_context(org=org_a):
        jane = factories.patient(phone="+14155552671", date_of_birth=dt.date(1980, 5, 17))
        factories.patient(phone="+12125551234", date_of_birth=dt.date(1990, 1, 2))
        assert list(Patient.objects.search("(415) 555-2671")) == [jane]
        assert list(Patient.objects.search("2671")) == [jane]
        for typed in ("1980-05-17", "17.05.1980", "05/17/1980"):
            assert list(Patient.objects.search(typed)) == [jane]


def test_search_never_finds_another_clinics_patients(org_a, org_b):
    with tenant_context(org=org_b):
        factories.patient(first_name="Jane", last_name="Doe", phone="+14155552671")
    with tenant_context(org=org_a):
        assert Patient.objects.search("Jane").count() == 0
        assert Patient.objects.search("4155552671").count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM appointments_patient")
        assert cursor.fetchone()[0] == 0

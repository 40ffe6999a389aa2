"""`manage.py seed_demo`: two demo clinics through the real services, a shared staff
member who sees one clinic at a time, texts already exchanged, nothing loaded twice,
and each later run filling the coming days (weekends too) that have no appointments."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from clinic.appointments.demo_data import DEMO_PASSWORD, LAKEVIEW, NORTHSIDE
from clinic.appointments.models import Appointment, AppointmentType, Patient, Provider, WorkingHours
from clinic.appointments.services import provider_create, working_hours_set
from clinic.core.timezones import to_local
from clinic.messaging.compliance_models import SmsOptOut
from clinic.messaging.demo import DEMO_NUMBERS, QUESTIONS
from clinic.messaging.models import SmsMessage
from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.services import organization_create
from tenancy.session import SESSION_ORG_KEY, memberships_for
from tests.support.database import (
    _drop_abandoned_test_databases,
    _drop_database,
    manage_or_fail,
    run_manage,
    set_up_database,
)
from tests.support.people import make_user
from tests.support.rls_audit import assert_clean, expected_exit_code

User = get_user_model()
HOUR = dt.timedelta(hours=1)


def seed(*args: str, **options) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, **options)
    return out.getvalue()


def clinics_of(username: str) -> dict[str, Membership]:
    user = User.objects.get(username=username)
    with tenant_context(user=user):
        return {m.organization.name: m for m in memberships_for(user)}


def test_if_empty_does_nothing_once_anyone_has_an_account(db):
    # First in the module: the tests after it share one seeded database (see `seeded`).
    make_user("first_real_user")
    assert seed("--if-empty") == "Users exist already: demo data not loaded.\n"
    assert list(User.objects.values_list("username", flat=True)) == ["first_real_user"]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeding takes seconds, so it runs once for this module, in a transaction rolled
    back after the module's last test; each test's own transaction nests inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


def test_it_creates_both_clinics_and_their_people(db, seeded):
    assert "Demo clinics are ready" in seeded
    assert f"password {DEMO_PASSWORD}" in seeded
    northside = clinics_of("northside-owner")
    lakeview = clinics_of("lakeview-owner")
    assert {name: m.role for name, m in northside.items()} == {NORTHSIDE.name: "owner"}
    assert {name: m.role for name, m in lakeview.items()} == {LAKEVIEW.name: "owner"}
    assert northside[NORTHSIDE.name].organization.timezone == "America/New_York"
    assert lakeview[LAKEVIEW.name].organization.timezone == "Europe/London"
    assert User.objects.get(username="northside-owner").is_staff
    assert not User.objects.get(username="sam-staff").is_staff
    shared = clinics_of("sam-staff")
    assert {name: m.role for name, m in shared.items()} == {NORTHSIDE.name: "staff", LAKEVIEW.name: "staff"}


@pytest.mark.parametrize(("demo", "phone_pattern"), [(NORTHSIDE, r"\+120255501\d\d"), (LAKEVIEW, r"\+442079460\d\d\d")])
def test_each_clinic_has_providers_types_and_patients(db, seeded, demo, phone_pattern):
    org = clinics_of(demo.owner.username)[demo.name].organization
    with tenant_context(org=org):
        providers = list(Provider.objects.prefetch_related("working_hours"))
        patients = list(Patient.objects.all())
        kinds = list(AppointmentType.objects.all())
    assert len(providers) == 3 and all(p.working_hours.all() for p in providers)
    assert len(kinds) >= 3 and len({k.colour for k in kinds}) >= 3
    assert 15 <= len(patients) <= 25
    assert all(re.fullmatch(phone_pattern, p.phone) for p in patients)  # fictional ranges only


@pytest.mark.parametrize("demo", [NORTHSIDE, LAKEVIEW])
def test_a_week_of_appointments_with_statuses_that_fit_their_time(db, seeded, demo):
    org = clinics_of(demo.owner.username)[demo.name].organization
    now = timezone.now()
    today = to_local(now, org.zone).date()
    with tenant_context(org=org):
        appointments = list(Appointment.objects.all())
    days = {to_local(a.starts_at, org.zone).date() for a in appointments}
    assert days <= {today + dt.timedelta(days=n) for n in range(-3, 4)}
    assert len(days) >= 5  # weekends are quieter
    over = {a.status for a in appointments if a.ends_at <= now}
    ahead = {a.status for a in appointments if a.starts_at > now}
    assert over <= {"completed", "no_show", "cancelled"} and "completed" in over
    assert ahead <= {"scheduled", "confirmed", "cancelled"} and "confirmed" in ahead


@pytest.mark.parametrize("demo", [NORTHSIDE, LAKEVIEW])
def test_the_history_is_stamped_on_each_appointments_own_days(db, seeded, demo):
    """Not at the moment of seeding: booked days before, arrived just before the start,
    completed or missed at the end, confirmed or cancelled the day before."""
    org = clinics_of(demo.owner.username)[demo.name].organization
    now = timezone.now()
    with tenant_context(org=org):
        appointments = list(Appointment.objects.prefetch_related("status_changes"))
    seen = set()
    for appointment in appointments:
        steps = list(appointment.status_changes.all())  # ordered by changed_at
        assert [step.from_status for step in steps[1:]] == [step.to_status for step in steps[:-1]]
        assert steps[-1].changed_at == appointment.status_changed_at
        day_before = to_local(appointment.starts_at, org.zone).date() - dt.timedelta(days=1)
        for step in steps:
            seen.add(step.to_status)
            # The patients' text answers are stamped when they came: at seeding.
            assert step.via in ("system", "sms") and step.changed_at <= now
            if step.from_status == "":
                assert step.changed_at <= appointment.starts_at - dt.timedelta(days=1)
            elif step.to_status == "arrived":
                assert appointment.starts_at - dt.timedelta(minutes=10) <= step.changed_at <= appointment.starts_at
            elif step.to_status in ("completed", "no_show"):
                assert step.changed_at == appointment.ends_at
            else:  # confirmed, cancelled: the day before, or at seeding for the nearest ones
                assert to_local(step.changed_at, org.zone).date() == day_before or step.changed_at > now - HOUR
    assert {"scheduled", "confirmed", "arrived", "completed"} <= seen


def test_the_shared_staff_member_sees_each_clinic_only_while_it_is_active(client, seeded):
    response = client.post("/accounts/login/", {"username": "sam-staff", "password": DEMO_PASSWORD})
    assert response["Location"] == "/clinics/"
    memberships = clinics_of("sam-staff")
    for shown, hidden in ((NORTHSIDE, LAKEVIEW), (LAKEVIEW, NORTHSIDE)):
        client.post("/clinics/switch/", {"membership": memberships[shown.name].pk})
        assert client.session[SESSION_ORG_KEY] == str(memberships[shown.name].organization_id)
        body = client.get("/patients/").content.decode()
        assert f"{shown.patients[0][1]}, {shown.patients[0][0]}" in body
        assert f"{hidden.patients[0][1]}, {hidden.patients[0][0]}" not in body
        schedule = client.get("/").content.decode()
        assert shown.providers[0].name in schedule
        assert hidden.providers[0].name not in schedule
        assert client.get("/setup/").status_code == 404  # staff, not a manager


def test_a_second_run_changes_nothing(db, seeded):
    before = clinics_of("sam-staff")
    org = before[NORTHSIDE.name].organization
    with tenant_context(org=org):
        appointments = Appointment.objects.count()
        texts = SmsMessage.objects.count()
    for output in (seed(), seed("--if-empty")):
        assert f"{NORTHSIDE.name}: today and the next 3 days have appointments, nothing to add." in output
        assert "Demo clinics are ready" not in output
    assert clinics_of("sam-staff") == before
    with tenant_context(org=org):
        assert Appointment.objects.count() == appointments
        assert SmsMessage.objects.count() == texts  # a patient answered within the day
    assert User.objects.count() == 3


def test_on_a_fresh_database_it_loads_once_and_the_rls_audit_still_passes():
    """As `make run` does it, in processes of their own on a database of their own,
    so the audit (another connection, another role) sees committed rows."""
    prefix = "test_clinic_seed"
    database = f"{prefix}_{os.getpid()}"
    env = {"DATABASE_NAME": database}

    def manage(*args: str) -> str:
        return manage_or_fail(*args, env=env)

    _drop_abandoned_test_databases(prefix)
    try:
        set_up_database(env)
        assert "Demo clinics are ready" in manage("seed_demo", "--if-empty")
        assert "nothing to add" in manage("seed_demo", "--if-empty")
        audit = run_manage("rls_audit", "--json", env=env)
        report = json.loads(audit.stdout)
        assert audit.returncode == expected_exit_code(), audit.stdout
        assert report["coverage"]["covered"] == report["coverage"]["tables"], report["coverage"]
        assert_clean(report)
    finally:
        _drop_database(database)


def test_each_demo_clinic_gets_a_read_write_and_a_read_only_api_key(db, seeded):
    from tests.support.api import ApiClient

    keys = re.findall(r"(ck_live_[A-Za-z0-9_-]{51})\s+(.+)", seeded)
    assert len(keys) == 4
    for key, description in keys:
        me = ApiClient(key).get("me/").json()
        assert me["clinic"]["name"] in description
        assert me["scopes"] == (["read"] if "read only" in description else ["read", "write"])


def days_with_appointments(org, around: dt.date) -> set[dt.date]:
    with tenant_context(org=org):
        starts = Appointment.objects.values_list("starts_at", flat=True)
        days = {to_local(start, org.zone).date() for start in starts}
    return {day for day in days if abs((day - around).days) <= 7}


def test_a_later_start_fills_the_coming_days_weekends_too_in_each_clinics_own_zone(db, seeded):
    """A Sunday at 03:30 UTC: Sunday in London, still Saturday in New York. A demo
    loaded before its providers worked Sundays gets their Sunday hours back."""
    orgs = {demo.slug: clinics_of(demo.owner.username)[demo.name].organization for demo in (NORTHSIDE, LAKEVIEW)}
    for org in orgs.values():
        with tenant_context(org=org):
            for provider in Provider.objects.all():
                week = {row.weekday: (row.starts, row.ends) for row in provider.working_hours.all()}
                working_hours_set(provider=provider, hours={d: span for d, span in week.items() if d != 6})
    real_today = dt.date.today()
    sunday = real_today - dt.timedelta(days=real_today.weekday() + 15)  # clear of the seeded week
    now = dt.datetime.combine(sunday, dt.time(3, 30), tzinfo=dt.UTC)
    week = [sunday + dt.timedelta(days=n) for n in range(-1, 4)]  # Saturday to Wednesday

    output = seed("--if-empty", now=now)

    assert "working hours on Sunday" in output
    assert days_with_appointments(orgs["lakeview"], sunday) == set(week[1:])
    assert days_with_appointments(orgs["northside"], sunday) == set(week[:-1])
    for org in orgs.values():
        with tenant_context(org=org):
            assert WorkingHours.objects.filter(weekday=6).exists()
    counts = {}
    for org in orgs.values():
        with tenant_context(org=org):
            counts[org.slug] = Appointment.objects.count()

    assert "nothing to add" in seed("--if-empty", now=now)
    next_day = seed("--if-empty", now=now + dt.timedelta(days=1))

    assert f"on {sunday + dt.timedelta(days=4):%a %d %b}" in next_day  # Thursday in London, one day more
    for org in orgs.values():
        with tenant_context(org=org):
            added = Appointment.objects.count() - counts[org.slug]
        assert 0 < added < counts[org.slug] / 3


def test_other_clinics_are_left_alone(db, seeded):
    owner = make_user("riverside_owner")
    org = organization_create(name="Riverside Clinic", slug="riverside", timezone="Europe/Paris", owner=owner)
    with tenant_context(org=org, user=owner):
        provider = provider_create(name="Rita Moreau")
        working_hours_set(provider=provider, hours={day: (dt.time(8), dt.time(18)) for day in range(7)})

    output = seed("--if-empty", now=timezone.now() - dt.timedelta(days=20))  # days the demo has no appointments on

    assert f"{NORTHSIDE.name}: " in output and "nothing to add" not in output
    assert "Riverside" not in output
    with tenant_context(org=org):
        assert not Appointment.objects.exists()
        assert not SmsMessage.objects.exists()


@pytest.mark.parametrize("demo", [NORTHSIDE, LAKEVIEW])
def test_texts_already_exchanged_show_on_the_sms_pages(client, seeded, demo):
    """Even at night: confirmation requests that went out, and the patients' answers."""
    owner = User.objects.get(username=demo.owner.username)
    org = clinics_of(demo.owner.username)[demo.name].organization
    with tenant_context(org=org):
        texts = list(SmsMessage.objects.select_related("patient", "appointment"))
        opted_out = list(SmsOptOut.objects.values_list("phone", "keyword"))
    answers = {m.body: m for m in texts if m.direction == "in"}
    assert set(answers) == {"C", "N", QUESTIONS[demo.slug], "STOP"}
    assert answers["C"].appointment.status == "confirmed"
    assert answers["N"].appointment.status == "cancelled"
    assert answers[QUESTIONS[demo.slug]].needs_attention
    assert opted_out == [(answers["STOP"].from_number, "STOP")]
    sender = DEMO_NUMBERS[demo.slug][0]
    requests = [m for m in texts if m.kind == "confirmation"]
    assert len(requests) == 4 and all(m.status == "sent" and m.from_number == sender for m in requests)
    assert len({m.to_number for m in requests}) == 4
    assert sum(m.kind == "reply" and m.status == "sent" for m in texts) == 3  # confirmed, cancelled, opted out

    client.post("/accounts/login/", {"username": owner.username, "password": DEMO_PASSWORD})
    session = client.session
    session[SESSION_ORG_KEY] = str(org.id)
    session.save()
    log = client.get("/sms/").content.decode()
    for request in requests:
        assert escape(request.body) in log
    inbox = client.get("/sms/inbox/").content.decode()
    assert QUESTIONS[demo.slug] in inbox

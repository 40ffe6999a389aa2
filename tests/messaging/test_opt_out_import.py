"""Importing numbers that opted out elsewhere: the page (managers only) and
`manage.py sms_opt_out_import`. A good file puts each number on the clinic's list
once, by "import", naming who uploaded it; a bad one stores nothing and names its
lines; clinic B never sees clinic A's numbers."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from clinic.appointments.models import Patient
from clinic.messaging import optouts
from clinic.messaging.compliance_models import SmsConsentRecord, SmsOptOut
from clinic.messaging.opt_out_import import MAX_BYTES, MAX_ROWS
from tenancy.context import tenant_context
from tests.support.people import login
from tests.support.sms import enable_sms

pytestmark = pytest.mark.django_db
SENDER_A, SENDER_B = "+12025550199", "+12025550177"
URL = "/sms/settings/opt-outs/"
# Clinic A is in Berlin: a number without a country code is German.
GOOD = b"phone,opted out\n+1 202 555 0142,2025-11-03\n030 12345678\n\n+12025550142\n"


@pytest.fixture
def as_owner(client, org_a, owner_a, people_a):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
    login(client, owner_a, org=org_a)
    return client


def upload(client, content: bytes, name: str = "opt-outs.csv", note: str = ""):
    return client.post(URL, {"file": SimpleUploadedFile(name, content, "text/csv"), "note": note})


def list_of(org) -> list[tuple[str, str, str, str]]:
    with tenant_context(org=org):
        return sorted(SmsOptOut.objects.values_list("phone", "method", "actor_label", "reason"))


def test_a_good_file_records_each_number_once_naming_the_uploader(as_owner, org_a, owner_a, people_a):
    response = upload(as_owner, GOOD, note="Old system")
    assert response.status_code == 302 and response["Location"] == URL
    assert list_of(org_a) == [
        ("+12025550142", "import", owner_a.username, "Opted out elsewhere on 2025-11-03. Old system"),
        ("+493012345678", "import", owner_a.username, "Opted out elsewhere. Old system"),
    ]
    page = as_owner.get(URL).content.decode()
    assert "+1 202-555-0142" in page and "2 numbers imported" in page


def test_re_importing_records_nothing_new(as_owner, org_a):
    upload(as_owner, GOOD)
    response = upload(as_owner, GOOD)
    assert response.status_code == 302
    assert len(list_of(org_a)) == 2
    follow = as_owner.get(URL)
    assert "The file had 2 numbers; 0 newly opted out." in [str(m) for m in follow.context["messages"]]


def test_the_patients_with_an_imported_number_are_no_longer_texted(as_owner, org_a, people_a):
    upload(as_owner, people_a.jane.phone.encode() + b"\n")
    with tenant_context(org=org_a):
        jane = Patient.objects.get(pk=people_a.jane.pk)
        assert jane.sms_consent == "opted_out" and not optouts.may_text(jane)
        assert SmsConsentRecord.objects.filter(patient_id=jane.pk).latest("at").source == "import"
        assert optouts.may_text(Patient.objects.get(pk=people_a.john.pk))


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "opt-outs.csv", "The submitted file is empty."),
        (b"phone\n\n", "opt-outs.csv", "The file has no phone numbers."),
        (b"+12025550142\n", "opt-outs.xlsx", "Upload a CSV or plain text file (.csv or .txt)."),
        (b"\xff\xfe+\x001\x00", "opt-outs.csv", "The file is not UTF-8 text; save it as CSV (UTF-8)."),
        (b"+12025550142\n" * (MAX_BYTES // 13 + 1), "opt-outs.csv", "The file is over 1 MB; split it."),
        (b"+12025550142\n" * (MAX_ROWS + 1), "opt-outs.csv", "The file has 10,001 numbers; at most 10,000 at once."),
        (
            b"phone\n+12025550142\ncall me\n+12025550143,yesterday\n12\n+12025550144,2025-01-01,x\n",
            "opt-outs.csv",
            "Not a phone number on lines 3 and 5.",
        ),
    ],
)
def test_a_bad_file_stores_nothing_and_says_why(as_owner, org_a, content, name, message):
    response = upload(as_owner, content, name)
    assert response.status_code == 400
    assert message in response.context["form"].errors["file"]
    assert list_of(org_a) == []


def test_many_bad_lines_are_counted_past_twenty(as_owner, org_a):
    response = upload(as_owner, b"12\n" * 25)  # digits: no header line
    lines = ", ".join(str(line) for line in range(1, 21))
    assert response.context["form"].errors["file"] == [f"Not a phone number on lines {lines} and 5 more."]


def test_every_bad_line_is_named(as_owner, org_a):
    content = b"+12025550142\ncall me\n+12025550143,yesterday\n+12025550144,2025-01-01,x\n"
    response = upload(as_owner, content)
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "Not a phone number on line 2.",
        "Not a date (YYYY-MM-DD) on line 3.",
        "More than two columns (a number, then optionally a date) on line 4.",
    ]
    assert list_of(org_a) == []


def test_no_sender_number_is_refused(client, org_a, owner_a):
    login(client, owner_a, org=org_a)
    response = upload(client, GOOD)
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "Set the clinic's sender number in the SMS settings before importing."
    ]


def test_staff_get_a_404(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    assert client.get(URL).status_code == 404
    assert upload(client, GOOD).status_code == 404
    assert list_of(org_a) == []


def test_clinic_b_never_sees_clinic_as_numbers(as_owner, org_a, org_b, owner_b):
    upload(as_owner, GOOD)
    with tenant_context(org=org_b):
        enable_sms(SENDER_B)
    other = Client()
    login(other, owner_b, org=org_b)
    response = other.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "No numbers imported yet." in page and "202-555-0142" not in page
    assert list_of(org_b) == []


def test_the_command_imports_for_the_clinic_it_names(tmp_path, org_a, org_b, people_a):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
    path = tmp_path / "provider-list"
    path.write_bytes(GOOD)
    out = io.StringIO()
    call_command("sms_opt_out_import", "--clinic", "clinic-a", str(path), "--note", "Provider list", stdout=out)
    assert "2 numbers in provider-list: 2 newly opted out" in out.getvalue()
    assert [(phone, label) for phone, _, label, _ in list_of(org_a)] == [
        ("+12025550142", "manage.py sms_opt_out_import"),
        ("+493012345678", "manage.py sms_opt_out_import"),
    ]
    assert list_of(org_b) == []


def test_the_command_refuses_an_unknown_clinic_and_a_bad_file(tmp_path, org_a):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
    path = tmp_path / "list.csv"
    path.write_bytes(GOOD)
    with pytest.raises(CommandError, match="No clinic with the slug 'nowhere'"):
        call_command("sms_opt_out_import", "--clinic", "nowhere", str(path))
    path.write_bytes(b"+12025550142\nnot a number\n")
    with pytest.raises(CommandError, match="Nothing imported: Not a phone number on line 2."):
        call_command("sms_opt_out_import", "--clinic", "clinic-a", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("sms_opt_out_import", "--clinic", "clinic-a", str(tmp_path / "missing.csv"))
    assert list_of(org_a) == []

"""Minimum health information in texts: every placeholder the settings page offers
is declared safe or clinical; clinical ones are refused without the clinic's opt-in
(on the page and by the model, whatever the path) and render empty while it is off."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.appointments.services import appointment_book
from clinic.messaging.forms import placeholders
from clinic.messaging.models import SmsSettings
from clinic.messaging.rendering import render_confirmation, template_values
from clinic.messaging.services import sms_settings_save
from clinic.messaging.template_variables import BY_NAME, CLINICAL_WARNING, TEMPLATE_FIELDS, Sensitivity
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.people import login
from tests.support.sms import enable_sms, form_data

pytestmark = pytest.mark.django_db

# What the appointment below says about the patient's health, wherever it shows.
CLINICAL_WORDS = ("Oncology", "Okafor", "Chemotherapy", "biopsy")
LINK = "https://clinic.example.org/c/EXAMPLE"


@pytest.fixture
def treatment(org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms("+12025550199")
        oncologist = factories.provider(title="Dr", name="Chidi Okafor", specialty="Oncology")
        chemo = factories.appointment_type(name="Chemotherapy", default_duration=60)
        return appointment_book(
            patient=people_a.jane,
            provider=oncologist,
            appointment_type=chemo,
            starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(days=3),
            notes="Bring the biopsy report.",
            booked_by=None,
        )


def rendered(org, appointment, name: str, *, opted_in: bool) -> str:
    """`{name}` alone (with the required link), as the patient would read it."""
    sms_settings = SmsSettings(template="{" + name + "} {link}", clinical_details=opted_in)
    return render_confirmation(appointment, org, sms_settings, link=LINK).removesuffix(f" {LINK}")


def reveals(text: str) -> list[str]:
    return [word for word in CLINICAL_WORDS if word.lower() in text.lower()]


def test_it_declares_every_offered_placeholder_and_flags_those_that_reveal_clinical_detail(org_a, treatment):
    offered = [placeholder.strip("{}") for placeholder, _, _ in placeholders()]
    assert offered == list(TEMPLATE_FIELDS)
    with tenant_context(org=org_a):
        # Every value rendering produces is a declared, offered placeholder, and back.
        assert set(template_values(treatment, org_a, SmsSettings(), link=LINK)) == set(offered)
        flagged = {}
        for name in offered:
            declared = BY_NAME[name].sensitivity  # a placeholder without a declaration fails here
            text = rendered(org_a, treatment, name, opted_in=True)
            flagged[name] = reveals(text)
            if flagged[name]:
                assert declared == Sensitivity.CLINICAL, f"{{{name}}} reveals {flagged[name]} but is declared safe"
            if declared == Sensitivity.CLINICAL:
                assert rendered(org_a, treatment, name, opted_in=False) == "", f"{{{name}}} renders without opt-in"
    # The clinical placeholders all do reveal something: the declaration is not decoration.
    assert {name for name, words in flagged.items() if words} == {"provider", "specialty", "appointment_type", "notes"}


def test_it_refuses_a_clinical_placeholder_on_the_page_without_the_opt_in(client, owner_a, org_a):
    login(client, owner_a, org=org_a)
    page = client.get("/sms/settings/").content.decode()
    assert "Include clinical details" in page and CLINICAL_WARNING in page
    response = client.post("/sms/settings/", form_data(template="{clinic}: {appointment_type} on {date}. {link}"))
    assert response.status_code == 200
    (error,) = response.context["form"].errors["template"]
    assert "{appointment_type} would put clinical details in the text" in error and CLINICAL_WARNING in error
    with tenant_context(org=org_a):
        assert not SmsSettings.objects.exists()


def test_it_accepts_a_clinical_placeholder_once_the_clinic_opts_in(client, owner_a, org_a):
    login(client, owner_a, org=org_a)
    template = "{clinic}: {appointment_type} on {date}. {link}"
    response = client.post("/sms/settings/", form_data(template=template, clinical_details="on"))
    assert response.status_code == 302
    with tenant_context(org=org_a):
        saved = SmsSettings.objects.get()
    assert (saved.template, saved.clinical_details) == (template, True)


def test_it_refuses_clinical_placeholders_on_every_path_through_the_service(org_a):
    with tenant_context(org=org_a):
        with pytest.raises(ValidationError, match=r"\{specialty\} would put clinical details"):
            sms_settings_save(template="{specialty} {link}")
        enable_sms("+12025550199")
        sms_settings_save(template="{specialty} {link}", clinical_details=True)
        # Turning the opt-in off while the text still uses them is refused too.
        with pytest.raises(ValidationError, match="clinical details"):
            sms_settings_save(clinical_details=False)
        assert SmsSettings.objects.get().clinical_details is True


def test_it_drops_clinical_details_at_render_time_without_the_opt_in(org_a, treatment):
    """Defence in depth: a template that holds clinical placeholders (written past the
    checks) still says nothing clinical while the clinic has not opted in."""
    with tenant_context(org=org_a):
        SmsSettings.objects.update(
            template="Hi {first_name}, {provider} ({specialty}), {appointment_type}: {notes} {link}"
        )
        sms_settings = SmsSettings.objects.get()
        text = render_confirmation(treatment, org_a, sms_settings, link=LINK)
    assert text.startswith("Hi Jane, ") and reveals(text) == []

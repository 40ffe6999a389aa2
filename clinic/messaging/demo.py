"""SMS settings of the demo clinics. The numbers come from ranges reserved for
fiction (+1 202-555-01xx; Ofcom's +44 20 7946 0xxx), like the demo patients'."""

from __future__ import annotations

from clinic.messaging.services import sms_settings_save

DEMO_NUMBERS = {
    # slug: (sender number, clinic phone)
    "northside": ("+12025550199", "+12025550198"),
    "lakeview": ("+442079460999", "+442079460998"),
}


def set_up_demo_messaging(slug: str) -> None:
    """Turn texts on for a demo clinic (inside its tenant context), with the defaults."""
    numbers = DEMO_NUMBERS.get(slug)
    if numbers is None:
        return
    sender, phone = numbers
    sms_settings_save(enabled=True, sender_number=sender, clinic_phone=phone, lead_minutes=[48 * 60, 2 * 60])

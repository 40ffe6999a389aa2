"""The patient form's fields as a browser posts them."""

from __future__ import annotations


def new_patient(**overrides) -> dict:
    data = {
        "first_name": "Grace",
        "last_name": "Okafor",
        "date_of_birth": "1984-02-29",
        "phone": "+1 (415) 555-0142",
        "email": "grace@example.test",
        "notes": "Prefers mornings",
        "sms_opt_in": "on",
    }
    return {**data, **overrides}

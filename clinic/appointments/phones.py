"""Phone numbers, stored in E.164 so one number has one spelling (the SMS provider's)."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def normalize_phone(value: str, region: str | None = None) -> str:
    """`value` in E.164 (+4930123456), or ValidationError if it is not a valid number.

    Numbers typed without a country code are read as numbers of `region`
    (default: settings.PHONE_DEFAULT_REGION)."""
    region = region or settings.PHONE_DEFAULT_REGION
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError("Enter a phone number, e.g. +1 415 555 0123.", code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"{value} is not a valid phone number.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    normalize_phone(value)


def format_phone(value: str) -> str:
    """An E.164 number as people read it (+1 415-555-0123); anything else unchanged."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

"""Phone numbers, stored in E.164 so one number has one spelling (the SMS provider's)."""

from __future__ import annotations

import functools
from importlib import resources

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError

from tenancy.context import current_org_id


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


@functools.cache
def _zone_countries() -> dict[str, str]:
    """IANA zone name -> ISO country code, from the tz database's zone.tab."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in table.splitlines() if line and not line.startswith("#"))
    return {row[2]: row[0] for row in rows if len(row) >= 3}


def zone_country(zone: str) -> str | None:
    """The ISO country code of an IANA zone (Europe/London: GB); None for UTC and the like."""
    return _zone_countries().get(zone)


def clinic_phone_region(org_id=None, *, clinic=None) -> str:
    """Where numbers typed without a country code come from: the country of the
    clinic's time zone (a London clinic reads 020 7946 0000 as British), else
    settings.PHONE_DEFAULT_REGION (a clinic in UTC, or no clinic at all). A page
    passes its request's `clinic`, whose time zone is read already."""
    from tenancy.models import Organization

    if clinic is not None:
        zone = clinic.timezone
    else:
        org_id = org_id or current_org_id()
        zone = Organization.objects.filter(pk=org_id).values_list("timezone", flat=True).first() if org_id else None
    region = zone_country(zone or "")
    return region if region in phonenumbers.SUPPORTED_REGIONS else settings.PHONE_DEFAULT_REGION


def validate_phone(value: str) -> None:
    normalize_phone(value)


# Parsing costs more than the rest of a row of the patient list. The answer depends on
# the number alone, so a number already known is all it gives back.
@functools.lru_cache(maxsize=4096)
def format_phone(value: str) -> str:
    """An E.164 number as people read it (+1 415-555-0123); anything else unchanged."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

"""Display filters for the staff pages."""

from __future__ import annotations

import datetime as dt

from django import template

from clinic.core.phones import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """+14155550123 as +1 415-555-0123."""
    return format_phone(value) if value else ""


@register.filter
def minutes(value: dt.timedelta | int | None) -> str:
    """A length of time as staff say it: 30 min, 1 h, 1 h 15 min."""
    if value is None:
        return ""
    total = int(value.total_seconds() // 60) if isinstance(value, dt.timedelta) else int(value)
    hours, rest = divmod(total, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"

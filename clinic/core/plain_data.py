"""Plain data for a patient's export (clinic.data_rights): the named fields of a row,
dates as ISO text, ids as strings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any


def fields_of(obj, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: plain(getattr(obj, name)) for name in names}


def plain(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value

"""Building blocks of the input serializers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Times the schedule accepts (as the staff pages: a year outside is a typo, and date
# arithmetic near year 1 or 9999 would overflow).
FIRST_YEAR, LAST_YEAR = 2000, 2099


class InputSerializer(serializers.Serializer):
    """Refuses fields it does not know, naming them, instead of silently ignoring a typo."""

    # Field name -> what to say when it is sent (say, `status`, which has its own actions).
    unknown_field_messages: dict[str, str] = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - {name for name, field in self.fields.items() if not field.read_only})
            if unknown:
                raise serializers.ValidationError(
                    {name: [self.unknown_field_messages.get(name, "Unknown field.")] for name in unknown}
                )
        return super().to_internal_value(data)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset or Z (2030-01-07T09:00:00+01:00); a time without one
    is ambiguous and refused."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2030-01-07T09:00:00+01:00.",
        "out_of_range": f"Give a time between {FIRST_YEAR} and {LAST_YEAR}.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = _parse(value)
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
            if parsed is not None and not FIRST_YEAR <= parsed.year <= LAST_YEAR:
                self.fail("out_of_range")
        return super().to_internal_value(value)


def _parse(value: str) -> dt.datetime | None:
    try:
        return parse_datetime(value)
    except ValueError:
        return None


class TenantPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """The id of one of this clinic's rows. The queryset is built when a request is
    validated (inside its tenant context), not at import, when no tenant is set."""

    default_error_messages = {"does_not_exist": "No such {model_name} in this clinic."}

    def __init__(self, model, **kwargs) -> None:
        self.model = model
        kwargs.setdefault("pk_field", serializers.UUIDField())
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        return self.model.objects.all()

    def to_internal_value(self, data):
        pk = self.pk_field.to_internal_value(data)  # "Must be a valid UUID." otherwise
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            self.fail("does_not_exist", model_name=self.model._meta.verbose_name)
        return found


@extend_schema_field(OpenApiTypes.DATETIME)
class LocalDateTimeField(serializers.ReadOnlyField):
    """Output only: an aware datetime in the request's time zone (the clinic's), ISO 8601
    with its offset, as DateTimeField renders it but without its input machinery (lists
    render many of these)."""

    def to_representation(self, value):
        if value is None:
            return None
        text = value.astimezone(timezone.get_current_timezone()).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

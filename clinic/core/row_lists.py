"""A short list of records read as one column of another record's read: a page that
shows a record with a few lists of its own (an appointment's status changes, a
patient's latest texts) pays one statement for all of them, not one per list.

`rows_of(queryset, *related)` is an annotation: the queryset's rows (filtered on the
outer row with OuterRef, ordered and sliced as it says), each as a JSON object of its
columns and of the named foreign keys' rows. `records_from` turns that column back
into model instances, the related ones cached on them, so templates read them as
they would the queryset's own. Each subquery runs under the same RLS as its outer
read: it sees the active clinic's rows only.

Only for plain columns (text, integers, booleans, dates and times, UUIDs, JSON): a
field whose database value needs decoding (an encrypted one) is not rebuilt from JSON,
nor is a decimal (JSON numbers come back as floats)."""

from __future__ import annotations

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, Model, QuerySet
from django.db.models.functions import JSONObject


def rows_of(queryset: QuerySet, *related: str) -> ArraySubquery:
    """The rows of `queryset`, and of its foreign keys `related`, as one array column."""
    model = queryset.model
    columns = _columns(model)
    for name in related:
        target = model._meta.get_field(name).related_model
        columns[name] = JSONObject(**_columns(target, f"{name}__"))
    return ArraySubquery(queryset.values(row=JSONObject(**columns)).values("row"))


def records_from(model: type[Model], rows: list[dict] | None, *related: str) -> list[Model]:
    """The instances of `model` that rows_of() read, with their `related` rows cached."""
    records = []
    for row in rows or ():
        record = _instance(model, row)
        for name in related:
            field = model._meta.get_field(name)
            nested, target = row[name], field.related_model
            # A foreign key that is null joins a row of nulls.
            absent = nested[target._meta.pk.attname] is None
            field.set_cached_value(record, None if absent else _instance(target, nested))
        records.append(record)
    return records


def _columns(model: type[Model], prefix: str = "") -> dict:
    return {field.attname: F(prefix + field.attname) for field in model._meta.concrete_fields}


def _instance(model: type[Model], row: dict) -> Model:
    fields = model._meta.concrete_fields
    return model.from_db("default", [f.attname for f in fields], [f.to_python(row[f.attname]) for f in fields])

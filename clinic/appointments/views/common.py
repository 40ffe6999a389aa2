"""Small helpers the staff views share."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def add_service_errors(form: forms.Form, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: on the field it names when the form
    has it (under its form name, per `field_map`), above the form otherwise."""
    field_map = field_map or {}
    for name, errors in exc.update_error_dict({}).items():
        target = field_map.get(name, name)
        form.add_error(target if target in form.fields and name != NON_FIELD_ERRORS else None, errors)


def next_url(request: HttpRequest, fallback: str) -> str:
    """The page to return to after a POST: the posted `next` if it is one of ours."""
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback

"""Where the tenancy layer asks whether an organization may be used right now.

The layer opens tenant contexts for API requests (tenancy.drf) and worker jobs
(tenancy.jobs), but what an organization's status allows is the product's business,
not the layer's: the product names its rule in the setting `TENANCY_STATUS_RULE`, a
dotted path to a callable

    rule(organization, surface: str, detail: str) -> str | None

which answers None to let the surface open the organization, or the state that
refuses it ("suspended", "closed", ...). The layer passes surface "api" (detail: "")
and "task" (detail: the task's name). The layer never imports the product: the
setting is how the product plugs its rule in.

Without the setting, only an open organization (`Organization.is_open`) is let in."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from tenancy.models import Organization

API = "api"
TASK = "task"

Rule = Callable[[Organization, str, str], "str | None"]


@cache
def _configured_rule(path: str) -> Rule:
    return import_string(path)


def _default_rule(organization: Organization, surface: str, detail: str) -> str | None:
    return None if organization.is_open else organization.status


def refusal(organization: Organization, surface: str, detail: str = "") -> str | None:
    """None if `surface` may open `organization`, else the state that refuses it."""
    path = getattr(settings, "TENANCY_STATUS_RULE", "")
    rule = _configured_rule(path) if path else _default_rule
    return rule(organization, surface, detail)

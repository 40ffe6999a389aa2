"""Every way into a clinic declares what its status does there: each URL pattern (the
whole resolver, walked) and each worker task (the procrastinate app's registry) is
classified in clinic.core.status, as a surface the rule governs or as acting for
no clinic. A new URL or task that nobody classified fails here. And the rule itself:
trial and active are open, suspended and closed refuse everything but the exceptions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from procrastinate.contrib.django import app

from clinic.core import status
from clinic.core.status import EXCEPTIONS, TASKS, Held, NoClinic, Surface, Verdict, decide, url_classification
from tenancy.models import Organization

Status = Organization.Status


def url_patterns(resolver=None, namespace: str = ""):
    """(name with its namespaces, view path, namespace, route) of every pattern, recursively."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern):
            view = pattern.callback
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield name, f"{view.__module__}.{view.__name__}", namespace.rstrip(":"), str(pattern.pattern)


def test_every_url_pattern_declares_its_status_behaviour():
    patterns = list(url_patterns())
    assert len(patterns) > 100  # the admin's, the API's and the pages'
    unclassified = [
        f"{name or '(unnamed)'} {view} {route}"
        for name, view, namespace, route in patterns
        if url_classification(name, view, namespace) is None
    ]
    assert unclassified == [], "Classify these in clinic.core.status.URLS"


def test_every_worker_task_declares_its_status_behaviour():
    assert app.tasks, "the procrastinate app has no tasks: the worker's modules were not loaded"
    unclassified = sorted(name for name in app.tasks if name not in TASKS)
    assert unclassified == [], "Classify these in clinic.core.status.TASKS"
    assert sorted(name for name in TASKS if name not in app.tasks) == []


def test_every_clinic_task_is_held_by_the_rule():
    """A task that runs as a clinic (tenancy.jobs.tenant_task) cannot be declared as
    acting for no clinic: the wrapper asks the rule before its body runs."""
    for name, task in app.tasks.items():
        runs_as_a_clinic = getattr(task.func, "__wrapped__", None) is not None
        assert isinstance(TASKS[name], Held) == runs_as_a_clinic, name


def test_each_exception_names_a_surface_that_exists():
    for exception in EXCEPTIONS:
        assert exception.why
        if exception.surface is Surface.TASK:
            assert isinstance(TASKS[exception.detail], Held)


def clinic(state: str, changed_days_ago: float = 365) -> Organization:
    changed = timezone.now() - dt.timedelta(days=changed_days_ago)
    return Organization(name="X", slug="x", status=state, status_changed_at=changed)


@pytest.mark.parametrize("state", [Status.TRIAL, Status.ACTIVE])
def test_trial_and_active_clinics_are_open_everywhere(state):
    for surface in Surface:
        assert decide(clinic(state), surface, "anything") is Verdict.ALLOW


@pytest.mark.parametrize(("state", "verdict"), [(Status.SUSPENDED, Verdict.SUSPENDED), (Status.CLOSED, Verdict.CLOSED)])
def test_it_refuses_every_other_surface_naming_the_state(state, verdict):
    for surface in Surface:
        assert decide(clinic(state), surface) is verdict, surface
    assert decide(clinic(state), Surface.INBOUND_SMS, "confirm") is verdict
    assert decide(clinic(state), Surface.TASK, "clinic.calendars.caldav.tasks.push_appointment") is verdict
    assert decide(clinic(state), Surface.OUTBOUND_SMS, "confirmation") is verdict


def test_a_suspended_clinic_still_takes_stop_and_start_and_answers_them():
    suspended = clinic(Status.SUSPENDED)
    for keyword in ("opt_out", "opt_in", "help"):
        assert decide(suspended, Surface.INBOUND_SMS, keyword) is Verdict.ALLOW
    assert decide(suspended, Surface.OUTBOUND_SMS, "reply") is Verdict.ALLOW
    assert decide(suspended, Surface.TASK, "clinic.messaging.tasks.send_message") is Verdict.ALLOW
    # A closed clinic sends nothing again.
    assert decide(clinic(Status.CLOSED), Surface.OUTBOUND_SMS, "reply") is Verdict.CLOSED


def test_the_export_is_allowed_only_to_a_closed_clinic_in_its_grace_period(settings):
    settings.CLOSED_CLINIC_GRACE_DAYS = 30
    assert decide(clinic(Status.CLOSED, changed_days_ago=29), Surface.EXPORT) is Verdict.ALLOW
    assert decide(clinic(Status.CLOSED, changed_days_ago=31), Surface.EXPORT) is Verdict.CLOSED
    assert decide(clinic(Status.SUSPENDED), Surface.EXPORT) is Verdict.SUSPENDED


def test_tenancy_asks_the_same_rule(settings):
    assert settings.TENANCY_STATUS_RULE == "clinic.core.status.tenancy_rule"
    from tenancy.status import refusal

    assert refusal(clinic(Status.SUSPENDED), "api") == "suspended"
    assert refusal(clinic(Status.CLOSED), "task", "clinic.messaging.tasks.send_message") == "closed"
    assert refusal(clinic(Status.SUSPENDED), "task", "clinic.messaging.tasks.send_message") is None
    assert refusal(clinic(Status.TRIAL), "api") is None


def test_no_clinic_urls_say_why():
    for classified in (*status.URLS.values(), *status.UNNAMED_VIEWS.values(), *TASKS.values()):
        if isinstance(classified, NoClinic):
            assert classified.why

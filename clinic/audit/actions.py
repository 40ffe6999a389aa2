"""The actions the audit trail records, declared by the apps that record them.

Each app lists its own in `<app>/audit_actions.py` (a `TextChoices` passed to
`register()`); this registry finds those modules once the apps are loaded. The
event's `action` field takes its choices from `action_choices`, a callable that
migrations store by name, so a new action is a line in its app's module and needs
no migration of the audit table (its column is plain text, with no CHECK on it).

`ACTIONS` reads every registered action by its member name (`ACTIONS.LOGIN`), by
its value (`ACTIONS("login").label`), and as a whole (`ACTIONS.choices`)."""

from __future__ import annotations

import threading
from importlib import import_module

from django.apps import apps
from django.db import models
from django.utils.module_loading import module_has_submodule

MODULE = "audit_actions"
# The column's width (AuditEvent.action): a longer value could not be stored.
MAX_LENGTH = 20

_declared: dict[str, type[models.TextChoices]] = {}
# `_declared` in INSTALLED_APPS order, made again after each registration: every
# recorded event asks whether its action is declared.
_ordered: dict[str, type[models.TextChoices]] | None = None
_lock = threading.RLock()
_discovered = False


def register(app_label: str, actions: type[models.TextChoices]) -> None:
    """Declare `app_label`'s actions. A value or member name another app already
    declared, or too long for the column, is refused: the trail must not read one
    app's event as another's."""
    with _lock:
        taken_values = {member.value: label for label, cls in _declared.items() for member in cls if label != app_label}
        taken_names = {member.name: label for label, cls in _declared.items() for member in cls if label != app_label}
        for member in actions:
            if len(member.value) > MAX_LENGTH:
                raise ValueError(f"Audit action {member.value!r} is longer than {MAX_LENGTH} characters.")
            if member.value in taken_values:
                raise ValueError(f"Audit action {member.value!r} is already declared by {taken_values[member.value]}.")
            if member.name in taken_names:
                raise ValueError(f"Audit action name {member.name} is already declared by {taken_names[member.name]}.")
        _declared[app_label] = actions
        _forget_order()


def _forget_order() -> None:
    global _ordered
    _ordered = None


def declared() -> dict[str, type[models.TextChoices]]:
    """Each app's actions, in the order of INSTALLED_APPS (the audit app's own first)."""
    global _ordered
    _discover()
    ordered = _ordered
    if ordered is None:
        with _lock:
            order = {config.label: index for index, config in enumerate(apps.get_app_configs())}
            order["audit"] = -1
            ordered = dict(sorted(_declared.items(), key=lambda item: order.get(item[0], len(order))))
            _ordered = ordered
    return ordered


def action_choices() -> list[tuple[str, str]]:
    """The `choices` of AuditEvent.action: every declared action, by app."""
    return [(member.value, member.label) for cls in declared().values() for member in cls]


def is_declared(value: str) -> bool:
    return any(value in cls.values for cls in declared().values())


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    with _lock:
        if _discovered:
            return
        for config in apps.get_app_configs():
            if module_has_submodule(config.module, MODULE):
                import_module(f"{config.name}.{MODULE}")
        _discovered = True


class _Actions:
    """Every declared action, read like one TextChoices class."""

    def __getattr__(self, name: str) -> models.TextChoices:
        if name.startswith("_"):
            raise AttributeError(name)
        for cls in declared().values():
            if name in cls.names:
                return cls[name]
        raise AttributeError(f"No audit action named {name}; declare it in its app's {MODULE}.py.")

    def __call__(self, value: str) -> models.TextChoices:
        for cls in declared().values():
            if value in cls.values:
                return cls(value)
        raise ValueError(f"{value!r} is not a declared audit action.")

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and is_declared(value)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return action_choices()

    @property
    def values(self) -> list[str]:
        return [value for value, _ in action_choices()]

    @property
    def labels(self) -> list[str]:
        return [label for _, label in action_choices()]


ACTIONS = _Actions()

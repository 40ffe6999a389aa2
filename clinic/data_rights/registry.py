"""Each app's part of a patient's export and erasure, found in its `data_rights`
module (like Django's admin.py): the apps sit below this surface and cannot
register into it, so it looks for them.

A `data_rights` module may define:

- `export(patient) -> dict`: its sections of the export document, plain data;
- `erase(patient) -> None`: removes or pseudonymises what it holds of the patient.
  Called inside the erasure's transaction, before the patient row itself is
  pseudonymised: the patient's phone and email are still there to match by."""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import Any

from django.apps import apps
from django.utils.module_loading import module_has_submodule

MODULE = "data_rights"


@functools.cache
def parts() -> tuple[ModuleType, ...]:
    """The apps' data_rights modules, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, MODULE):
            found.append(import_module(f"{config.name}.{MODULE}"))
    return tuple(found)


def exporters() -> list[Callable[[Any], dict]]:
    return [part.export for part in parts() if hasattr(part, "export")]


def erasers() -> list[Callable[[Any], None]]:
    return [part.erase for part in parts() if hasattr(part, "erase")]

"""Each app's part of a patient's export and erasure is found (clinic.data_rights.registry),
and no app holding rows that point at a patient is left out."""

from __future__ import annotations

from django.apps import apps

from clinic.appointments.models import Patient
from clinic.data_rights import registry

# Their parts are in clinic.data_rights.services itself.
BUILT_IN = {"appointments", "audit"}


def test_every_app_with_rows_of_a_patient_has_its_part():
    apps_with_parts = {part.__name__.rsplit(".", 2)[-2] for part in registry.parts()}
    holding = {
        model._meta.app_label
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.many_to_one and field.related_model is Patient
    }
    assert holding - BUILT_IN, "the check found no app to ask"
    assert holding - BUILT_IN <= apps_with_parts


def test_the_parts_are_the_apps_own_modules_in_installed_order():
    labels = [config.label for config in apps.get_app_configs()]
    found = [part.__name__.rsplit(".", 2)[-2] for part in registry.parts()]
    assert found == sorted(found, key=labels.index)
    assert {"messaging", "voice", "api", "calendars"} <= set(found)
    assert all(callable(export) for export in registry.exporters())
    assert all(callable(erase) for erase in registry.erasers())

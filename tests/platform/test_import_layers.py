"""The layers contract (pyproject.toml, import-linter) names audit's and lifecycle's
modules one by one, since each app straddles two layers: a module of theirs that is
in no layer would escape the contract unseen, so every one must be named."""

from __future__ import annotations

import pkgutil
import re
import tomllib
from pathlib import Path

import clinic.audit
import clinic.lifecycle

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
SPLIT_APPS = (clinic.audit, clinic.lifecycle)


def layered_modules() -> set[str]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["id"] == "layers"]
    return {name.strip("() ") for layer in contract["layers"] for name in re.split(r"[:|]", layer)}


def test_every_module_of_a_split_app_is_in_a_layer():
    layered = layered_modules()
    for app in SPLIT_APPS:
        children = {f"{app.__name__}.{info.name}" for info in pkgutil.iter_modules(app.__path__)}
        assert children, app.__name__
        assert children <= layered, f"not in the layers contract: {children - layered}"


def test_the_other_apps_are_layered_whole():
    layered = layered_modules()
    for app in ("accounts", "appointments", "messaging", "calendars", "voice", "api", "staff", "data_rights", "core"):
        assert f"clinic.{app}" in layered
    assert "tenancy" in layered

"""The suite's own layout (docs/architecture/layout.md, "Tests"): test modules live in
a folder per app, and none imports another test module or a conftest. What tests share
is a fixture (tests/conftest.py, or a plugin it lists) or a module of tests/support/;
a test module imported elsewhere runs its tests twice under another name, and a
conftest imported as a module is a second copy of its fixtures."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def suite_modules() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def forbidden_imports(source: str, module: str) -> list[str]:
    """The modules `source` (the module named `module`) imports that are test modules
    or conftests, by absolute or relative import."""
    package = module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            # `from tests.x import test_y` names the module in the alias.
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [name for name in names if _is_test_or_conftest(name)]
    return found


def _is_test_or_conftest(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and any(part == "conftest" or part.startswith("test_") for part in parts[1:])


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)


def test_the_suite_is_found():
    assert len(suite_modules()) > 100


@pytest.mark.parametrize(
    "source",
    [
        "from tests.conftest import login",
        "from tests.e2e.conftest import sign_in",
        "import tests.accounts.test_idle",
        "from tests.accounts.test_idle import idle_for",
        "from tests.accounts import test_idle",
        "from .test_idle import idle_for",
        "from . import conftest",
        "from .. import conftest",
        "def helper():\n    from tests.api.test_lists import walk",
    ],
)
def test_an_import_of_a_test_module_or_a_conftest_is_found(source):
    assert forbidden_imports(source, "tests.accounts.test_login")


@pytest.mark.parametrize(
    "source",
    ["from tests.support.people import login", "from tests.support import factories", "import pytest"],
)
def test_an_import_of_a_support_module_is_allowed(source):
    assert forbidden_imports(source, "tests.accounts.test_login") == []


def test_no_test_module_imports_another_test_module_or_a_conftest():
    found = {
        str(path.relative_to(TESTS.parent)): imports
        for path in suite_modules()
        if (imports := forbidden_imports(path.read_text(), _module_name(path)))
    }
    assert found == {}


def test_every_test_module_is_in_a_folder_of_its_own():
    assert [path.name for path in TESTS.glob("test_*.py")] == []

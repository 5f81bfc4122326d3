"""The two locks: `make run` installs requirements.lock, the test targets requirements-dev.lock.

The runtime lock must hold every third-party package the product imports (or `make run`
breaks on a fresh clone), and none of the test tools (or the first install is heavy again);
the dev lock must pin the runtime packages at the same versions (one environment, not two).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("descent", "challenges", "community", "workers")
TEST_TOOLS = {
    "pytest", "pytest-django", "pytest-timeout", "hypothesis", "ruff", "import-linter",
    "pip-tools", "playwright", "schemathesis", "pip-audit", "safety-db",
}

_spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)


def locked(name: str) -> dict[str, str]:
    return {canonicalize_name(k): v for k, v in audit.pins(ROOT / name).items()}


def imported_top_levels() -> set[str]:
    """Every top-level module the product's code imports, at module level or inside functions."""
    names: set[str] = set()
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(PRODUCT) - set(sys.stdlib_module_names)


def test_every_runtime_pin_is_the_same_in_the_dev_lock():
    runtime, dev = locked("requirements.lock"), locked("requirements-dev.lock")
    assert runtime, "requirements.lock has no pins"
    differing = {name: (version, dev.get(name)) for name, version in runtime.items()
                 if dev.get(name) != version}
    assert differing == {}


def test_the_runtime_lock_holds_no_test_tool():
    assert TEST_TOOLS & set(locked("requirements.lock")) == set()
    assert TEST_TOOLS <= set(locked("requirements-dev.lock"))


def test_every_package_the_product_imports_is_in_the_runtime_lock():
    runtime = set(locked("requirements.lock"))
    distributions = packages_distributions()
    missing = {}
    for module in sorted(imported_top_levels()):
        owners = {canonicalize_name(d) for d in distributions.get(module, [])}
        assert owners, f"{module} is imported by the product but not installed at all"
        if not owners & runtime:
            missing[module] = sorted(owners)
    assert missing == {}, f"imported at run time but only in the dev lock: {missing}"


def test_the_runtime_install_needs_no_build_tool_outside_the_runtime_lock():
    # `make run` builds the project itself (pip install -e .): without build isolation that
    # build uses the venv's setuptools and wheel, which only the dev lock used to bring.
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("$(STAMP): requirements.lock", 1)[1].split("\n\n", 1)[0]
    assert "-r requirements.lock" in recipe and "requirements-dev.lock" not in recipe
    if "--no-build-isolation" in recipe:
        assert {"setuptools", "wheel"} <= set(locked("requirements.lock"))

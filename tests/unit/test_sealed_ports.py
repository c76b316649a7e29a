"""Sealed ports: the driver stays inside its adapter, and the product installs alone.

Only the PostgreSQL adapter (``continuity.db``) may import psycopg: every other
module catches the product's :class:`StoreError` and builds pools through
:mod:`continuity.db.pool`. The product never imports the local test stack, and
installing it puts no top-level ``db``, ``agi`` or ``localstack`` into site-packages.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import continuity

PACKAGE = Path(continuity.__file__).parent
#: The one adapter that speaks PostgreSQL's wire format.
ADAPTER = PACKAGE / "db"
DRIVERS = ("psycopg", "psycopg_pool")
#: Checkout folders that must never be installed as top-level modules.
NOT_TOP_LEVEL = ("db", "agi", "ari_app", "web", "localstack", "dialplan_templates", "tests")


def _modules(root: Path) -> list[Path]:
    """Every module of the product, through the symlinked adapter folders."""
    found: list[Path] = []
    for directory, _dirs, files in os.walk(root, followlinks=True):
        found.extend(Path(directory) / f for f in files if f.endswith(".py"))
    return sorted(found)


def _imported(path: Path) -> set[str]:
    """The top-level names ``path`` imports, wherever in the module it does."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _inside(path: Path, folder: Path) -> bool:
    return path.is_relative_to(folder)


def test_only_the_postgresql_adapter_imports_the_driver() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {', '.join(sorted(_imported(path) & set(DRIVERS)))}"
        for path in _modules(PACKAGE)
        if not _inside(path, ADAPTER) and _imported(path) & set(DRIVERS)
    ]
    # Catch continuity.errors.StoreError instead; build pools with continuity.db.pool.
    assert offenders == []


def test_the_adapter_check_sees_the_adapter() -> None:
    """The scan walks into the symlinked adapter: it finds the driver where it belongs."""
    assert any("psycopg" in _imported(path) for path in _modules(ADAPTER))
    assert (ADAPTER / "pool.py") in _modules(PACKAGE)


#: Where pools and AMI logins are built: the composition roots.
COMPOSITION = {"compose.py", "compose_parts.py", "compose_cli.py"}
BUILT_ONLY_THERE = {"AmiCredentials", "Pool", "service_pool", "short_pool"}


def _called(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return names


def test_only_the_composition_roots_build_pools_and_ami_logins() -> None:
    """`continuity serve` and every CLI command get them from the same builders."""
    builders = {
        str(path.relative_to(PACKAGE)): sorted(_called(path) & BUILT_ONLY_THERE)
        for path in _modules(PACKAGE)
        if not _inside(path, ADAPTER) and path.name not in COMPOSITION
    }
    assert {name: found for name, found in builders.items() if found} == {}
    assert "AmiCredentials" in _called(PACKAGE / "compose_parts.py")


def test_no_product_module_imports_the_local_stack() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in _modules(PACKAGE)
        if {"localstack", "tests", "bench"} & _imported(path)
    ]
    assert offenders == []


def _run(code: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_importing_every_product_module_loads_no_test_stack(tmp_path: Path) -> None:
    """Run where the checkout is not on the path: what an installed product sees."""
    out = _run(
        "import json, pkgutil, sys, importlib, continuity\n"
        "names = [m.name for m in pkgutil.walk_packages(continuity.__path__, 'continuity.')\n"
        "         if not m.name.endswith('__main__')]  # that one runs the CLI\n"
        "for name in names: importlib.import_module(name)\n"
        "print(json.dumps({'count': len(names), 'loaded': sorted(\n"
        "    m for m in sys.modules if m.split('.')[0] in ('localstack', 'tests', 'bench'))}))\n",
        tmp_path,
    )
    report = json.loads(out)
    assert report["loaded"] == []
    assert report["count"] > 100  # the walk reached the adapters, not just the top level


def test_the_installed_product_has_no_top_level_checkout_folders(tmp_path: Path) -> None:
    out = _run(
        "import importlib.util, json\n"
        f"print(json.dumps([n for n in {NOT_TOP_LEVEL!r} if importlib.util.find_spec(n)]))\n",
        tmp_path,
    )
    assert json.loads(out) == []
    files = importlib.metadata.distribution("asterisk-continuity").files or []
    top = {f.parts[0].removesuffix(".py") for f in files if f.parts}
    assert not top & set(NOT_TOP_LEVEL), sorted(top)

"""The package's seams: product code never imports the sandbox (the emulators, their seeding and
traffic), so a production install runs nothing of it and a change there cannot reach production; and
only the store talks SQL."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import prestashop_infor

PRODUCT = sorted(
    module.name
    for module in pkgutil.walk_packages(prestashop_infor.__path__, "prestashop_infor.")
    if not module.name.startswith("prestashop_infor.sandbox")
)


def test_product_code_never_imports_the_sandbox():
    assert "prestashop_infor.defs" in PRODUCT and "prestashop_infor.cli" in PRODUCT
    script = (
        "import importlib, json, sys\n"
        f"for name in {PRODUCT!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('prestashop_infor.sandbox'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


PACKAGE = Path(prestashop_infor.__file__).parent


def _imported(path: Path) -> set[str]:
    """The top-level packages the module at ``path`` imports, at any depth of its code."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_store_talks_sql():
    """Every query lives in ``store/`` behind a named function: ``defs/`` is wiring and metadata,
    ``sync/`` is rules, and neither imports sqlalchemy."""
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE.parent).as_posix()
        if name.startswith("prestashop_infor/store/"):
            continue
        if "sqlalchemy" in _imported(path):
            outside.append(name)
    assert outside == []


MAX_MODULE_LINES = 500


def test_no_product_module_over_500_lines():
    """One idea per module: a module past 500 lines holds several, and is cut along them."""
    over = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            over[path.relative_to(PACKAGE.parent).as_posix()] = lines
    assert over == {}, f"modules over {MAX_MODULE_LINES} lines: " + ", ".join(
        f"{name} ({lines})" for name, lines in over.items()
    )

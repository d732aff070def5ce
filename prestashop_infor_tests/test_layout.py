"""The package's seams: product code never imports the sandbox (the emulators, their seeding and
traffic), so a production install runs nothing of it and a change there cannot reach production."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

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

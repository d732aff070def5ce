"""The test run's warning policy (``filterwarnings`` in pyproject.toml): a DeprecationWarning fails the
test that raises it (one to be ignored is named there with its reason; none is today), and Dagster's
BetaWarning stays a warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

TESTS = """
import warnings

from dagster import BetaWarning


def test_a_new_deprecation():
    warnings.warn("call_it_old() is deprecated, use call_it_new()", DeprecationWarning)


def test_a_beta_feature():
    warnings.warn("Parameter `backfill_policy` of function `asset` is currently in beta", BetaWarning)
"""


def test_a_new_deprecation_fails_its_test_and_nothing_else_does(tmp_path: Path):
    (tmp_path / "test_policy.py").write_text(TESTS)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path),
         "-p", "no:cacheprovider", "-p", "no:xdist", "-rA", str(tmp_path / "test_policy.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout
    assert "FAILED test_policy.py::test_a_new_deprecation" in done.stdout
    assert "E       DeprecationWarning: call_it_old() is deprecated" in done.stdout
    assert "PASSED test_policy.py::test_a_beta_feature" in done.stdout
    assert "BetaWarning: Parameter `backfill_policy`" in done.stdout  # shown in the warnings summary

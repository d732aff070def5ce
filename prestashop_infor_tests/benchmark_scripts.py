"""The benchmark scripts (``benchmarks/``, not a package) for the tests that drive their stack."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@contextlib.contextmanager
def importable() -> Iterator[None]:
    """``benchmarks/`` on ``sys.path`` for the imports inside the block, off it after."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield
    finally:
        sys.path.remove(str(BENCHMARKS))

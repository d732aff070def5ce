"""How PHP and MySQL read text as numbers; the Webservice applies these casts, not Python's.

PHP's ``(int)`` cast reads ids in write bodies and the ``limit`` parameter; MySQL's string-to-number
cast decides how a filter value compares with a numeric column (§5.2).
"""

from __future__ import annotations

import re
from typing import Any

_PHP_INT = re.compile(r"^[ \t\n\r\v\f]*[-+]?\d+")
_LEADING_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def php_int(text: str) -> int:
    """PHP's ``(int) $text``: leading whitespace skipped, then the leading integer; 0 when there is none."""
    match = _PHP_INT.match(text)
    return int(match.group(0)) if match else 0


def mysql_number(text: Any) -> float | int:
    """MySQL's cast of a string to a number: the leading number, 0 when there is none."""
    if isinstance(text, (int, float)):
        return text
    try:
        return int(text)
    except (TypeError, ValueError):
        pass
    try:
        return float(text)
    except (TypeError, ValueError):
        match = _LEADING_NUMBER.match(text or "")
        return float(match.group(0)) if match else 0


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True

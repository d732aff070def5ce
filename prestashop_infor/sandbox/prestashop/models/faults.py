"""Faults injected on demand (contract §13): latency, timeouts, PHP-notice 500s, plain-HTML 500s, PHP
warnings printed before the document, a revoked key, a switched-off webservice.

``Faults.draw`` decides the faults of one request from a seeded generator, so a test that sets rates
sees the same sequence every run; ``responses.py`` acts on the ``FaultDecision``.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class FaultDecision:
    error: bool = False
    timeout: bool = False
    php_warning: bool = False
    html_error: bool = False
    error_code: int = 5
    error_message: str = ""


_PHP_NOTICES = [
    (
        3,
        '[PHP Warning #2] Undefined array key "id_lang" (/var/www/html/modules/ps_facetedsearch/src/Hook/ProductSearch.php, line 61)',
    ),
    (
        5,
        "[PHP Notice #8] Undefined index: id_order_state (/var/www/html/classes/order/OrderHistory.php, line 114)",
    ),
    (
        5,
        "[PHP Notice #8] Trying to access array offset on value of type null (/var/www/html/classes/Product.php, line 4181)",
    ),
    (
        15,
        "[PHP Deprecated #8192] Creation of dynamic property Order::$webserviceParameters is deprecated (/var/www/html/classes/order/Order.php, line 241)",
    ),
    (
        11,
        "[PHP User Warning #512] Module mymodule: cannot reach remote API (/var/www/html/modules/mymodule/mymodule.php, line 88)",
    ),
]


FAULT_SETTINGS = (
    "error_rate",
    "latency",
    "timeout_rate",
    "timeout_seconds",
    "php_warning_rate",
    "html_error_rate",
    "revoke_key",
    "disabled",
    "seed",
)
"""The fault settings the sandbox accepts by name (``POST /_sandbox/faults``)."""


class Faults:
    """Faults injected on demand. Draws come from a seeded generator so tests are deterministic."""

    def __init__(self, seed: int = 0):
        self.error_rate = 0.0  # share of requests answered 500 with a PHP-notice error document
        self.latency = 0.0  # seconds added to every answer
        self.timeout_rate = 0.0  # share of requests that hang for timeout_seconds
        self.timeout_seconds = 30.0
        self.php_warning_rate = 0.0  # share of answers with PHP warning text before the document
        self.html_error_rate = 0.0  # share of requests answered by a plain-HTML 500 (PHP fatal)
        self.revoke_key = False  # every key is treated as unknown: 401 codes 20 + 21
        self.disabled = False  # webservice switched off: 503 code 22
        self._lock = threading.Lock()
        self.seed = seed

    @property
    def seed(self) -> int:
        return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        self._seed = value
        self._random = random.Random(value)

    def update(self, settings: Mapping[str, Any]) -> None:
        """Apply settings by name (the /_sandbox/faults body); unknown names are an error."""
        unknown = set(settings) - set(FAULT_SETTINGS)
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}; known: {sorted(FAULT_SETTINGS)}")
        for name, value in settings.items():
            if name in ("revoke_key", "disabled"):
                value = bool(value)
            elif name == "seed":
                value = int(value)
            else:
                value = float(value)
                if name.endswith("_rate") and not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name} must be between 0 and 1, got {value}")
                if value < 0:
                    raise ValueError(f"{name} must not be negative, got {value}")
            setattr(self, name, value)

    def draw(self) -> FaultDecision:
        """Decide the faults of one request."""
        with self._lock:
            rnd = self._random
            decision = FaultDecision()
            if self.timeout_rate and rnd.random() < self.timeout_rate:
                decision.timeout = True
            if self.html_error_rate and rnd.random() < self.html_error_rate:
                decision.html_error = True
            elif self.error_rate and rnd.random() < self.error_rate:
                decision.error = True
                decision.error_code, decision.error_message = rnd.choice(_PHP_NOTICES)
            if self.php_warning_rate and rnd.random() < self.php_warning_rate:
                decision.php_warning = True
            return decision

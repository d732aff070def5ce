"""The M3 MI program facts the emulator is driven by, read from the shipped compact file.

``m3_programs.json`` holds, per program and transaction, the inputs (field, required, ``N``umeric or
``A``lphanumeric, maximum length, description) and outputs (field, maximum length) of the real M3
Swagger specs, in spec order; ``build_compact.py`` regenerates it from the specs kept in the test
fixtures (see README.md here). Nothing else of the specs is read at run time.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

SPECS_FILE = Path(__file__).parent / "m3_programs.json"

#: Query parameters every transaction declares: the call's context, never transaction fields (§4).
COMMON_PARAMETERS = frozenset(
    {"cono", "divi", "lanc", "locale", "timeZone", "maxrecs", "dateformat", "excludeempty", "righttrim",
     "returncols", "format", "extendedresult"}
)  # fmt: skip
#: Transactions every MI program answers (§3.2).
GENERIC_TRANSACTIONS = frozenset(
    {"GetServerTime", "ServerTimeZone", "GetUserInfo", "GetCurrentUser", "GetMIBuild", "GetFixLevel",
     "FpwVersion", "GetFieldHeading", "GetMessageText"}
)  # fmt: skip
#: Name prefixes of read transactions.
READ_PREFIXES = ("Get", "Lst", "Sel")


@dataclass(frozen=True)
class FieldSpec:
    """One input field of a transaction."""

    name: str
    required: bool
    max_length: int
    numeric: bool
    description: str


@dataclass(frozen=True)
class TransactionSpec:
    """What a transaction takes and answers: inputs and outputs in spec order."""

    program: str
    transaction: str
    inputs: dict[str, FieldSpec]
    outputs: dict[str, int]  # field -> max length, in spec order

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.inputs.values() if f.required]

    @property
    def is_read(self) -> bool:
        return self.transaction.startswith(READ_PREFIXES)


@functools.cache
def load_specs(path: Path = SPECS_FILE) -> dict[str, dict[str, TransactionSpec]]:
    """program -> transaction -> spec, read once from the compact file."""
    registry: dict[str, dict[str, TransactionSpec]] = {}
    for program, facts in json.loads(path.read_text(encoding="utf-8")).items():
        transactions = registry.setdefault(program, {})
        for name, transaction in facts["transactions"].items():
            inputs = {
                field: FieldSpec(field, required, length, kind == "N", description)
                for field, required, kind, length, description in transaction["in"]
            }
            outputs = {field: length for field, length in transaction["out"]}
            transactions[name] = TransactionSpec(program, name, inputs, outputs)
    return registry


__all__ = [
    "COMMON_PARAMETERS",
    "GENERIC_TRANSACTIONS",
    "READ_PREFIXES",
    "SPECS_FILE",
    "FieldSpec",
    "TransactionSpec",
    "load_specs",
]

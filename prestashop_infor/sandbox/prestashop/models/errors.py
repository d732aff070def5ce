"""The Webservice's error answers as exceptions, and the wording PrestaShop uses in them.

Every rule of the backend raises ``WebserviceError`` with the contract's status and code (§8);
``responses.py`` renders it as an XML or JSON error document. ``RecordNotFound`` is the one failure
that has no document at all: GET ``/{id}`` of an unknown record answers 404 with an empty body (§4).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class WebserviceError(Exception):
    """A Webservice error document: HTTP status and one or more ``(code, message)`` pairs."""

    def __init__(self, status: int, code: int, message: str, *more: tuple[int, str]):
        super().__init__(f"{status} [{code}] {message}")
        self.status = status
        self.errors = [(code, message), *more]


class RecordNotFound(Exception):
    """GET /{id} of an unknown record: 404 with an empty body (§4)."""


def did_you_mean(name: str, choices: Sequence[str]) -> str:
    """The closest choice, quoted, as in PrestaShop's "Did you mean" messages."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.0)
    return f'"{close[0]}"' if close else '""'


def quoted(names: Iterable[str]) -> str:
    """``"a", "b", "c"``: the full lists PrestaShop appends to its messages."""
    return ", ".join(f'"{n}"' for n in names)

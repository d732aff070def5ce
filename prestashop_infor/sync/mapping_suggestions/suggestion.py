"""A suggestion: one mapping value with its confidence and evidence, and the suggestions of a whole
mapping (:class:`MappingSuggestions`), which form a mapping document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Suggestion:
    """One mapping value with why it was chosen. ``key`` is the dotted path of the mapping key
    (``status.prestashop_state.shipped``, ``items.table.12:31``); several rules share the key
    ``enrichment.rules``. ``todo``: no value could be suggested; the draft shows it commented out."""

    key: str
    value: Any
    confidence: Confidence
    evidence: str
    todo: bool = False


@dataclass(frozen=True)
class MappingSuggestions:
    suggestions: list[Suggestion]

    def get(self, key: str) -> Suggestion:
        """The one suggestion of ``key`` (KeyError if there is none)."""
        for suggestion in self.suggestions:
            if suggestion.key == key:
                return suggestion
        raise KeyError(key)

    def document(self) -> dict[str, Any]:
        """The suggested values as a mapping document (todos left out), the draft without comments."""
        document: dict[str, Any] = {}
        for suggestion in self.suggestions:
            if suggestion.todo:
                continue
            *parents, last = key_path(suggestion.key)
            node = document
            for part in parents:
                node = node.setdefault(part, {})
            if suggestion.key == "enrichment.rules":
                node.setdefault(last, []).append(suggestion.value)
            else:
                node[last] = suggestion.value
        document.setdefault("enrichment", {}).setdefault("rules", [])  # the draft shows them, even none
        return document


def key_path(key: str) -> list[str]:
    """``items.table.12:31`` -> ``["items", "table", "12:31"]``."""
    section, _, rest = key.partition(".")
    if section == "items" and rest.startswith("table."):
        return [section, "table", rest.removeprefix("table.")]
    return key.split(".")

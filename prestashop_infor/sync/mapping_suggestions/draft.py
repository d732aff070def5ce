"""The draft: suggestions written as a mapping file that starts with ``reviewed: false``, each
value under its evidence and confidence as comments, the TODOs commented out."""

from __future__ import annotations

import textwrap
from typing import Any

import yaml

from prestashop_infor.sync.mapping_suggestions.suggestion import MappingSuggestions, Suggestion

HEADER = """\
# prestashop-infor mapping: a DRAFT written by `prestashop-infor mapping suggest`{source}.
#
# Each value below was suggested from what the shop and M3 hold, with its evidence and a confidence
# in the comment above it: high (the data left no real choice), medium (a rule chose among
# candidates, or M3 could not confirm it), low (a guess or nothing found: check these first).
# Commented-out TODO rules could not be suggested: fill them in and uncomment them under `rules:`,
# or delete them.
#
# A person must check every suggestion, correct what is wrong, and then set `reviewed: true`:
# until then the integration refuses to load this file. Sections and keys left out take the
# packaged defaults (prestashop_infor/sync/default_mapping.yaml, where every key is explained).
"""


def render_draft(suggestions: MappingSuggestions, source: str = "") -> str:
    """The draft mapping file: ``reviewed: false``, then every suggestion with its evidence and
    confidence as comments above its value. Loads (once reviewed) to ``suggestions.document()``."""
    notes: dict[str, list[Suggestion]] = {}
    for suggestion in suggestions.suggestions:
        notes.setdefault(suggestion.key, []).append(suggestion)
    lines = [HEADER.format(source=f" from {source}" if source else "").rstrip("\n"), "reviewed: false"]
    for section, body in suggestions.document().items():
        lines.append("")
        lines.append(f"{section}:")
        _render(body, section, 2, notes, lines)
    return "\n".join(lines) + "\n"


def _render(
    node: dict[str, Any], path: str, indent: int, notes: dict[str, list[Suggestion]], lines: list[str]
) -> None:
    pad = " " * indent
    for key, value in node.items():
        here = f"{path}.{key}"
        if here == "enrichment.rules":
            _render_rules(notes.get(here, []), pad, lines)
            continue
        for suggestion in notes.get(here, []):
            lines += _comment(suggestion, pad)
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{_yaml(key)}:")
            _render(value, here, indent + 2, notes, lines)
        else:
            lines.append(f"{pad}{_yaml(key)}: {_yaml(value)}")


def _render_rules(rules: list[Suggestion], pad: str, lines: list[str]) -> None:
    done = [r for r in rules if not r.todo]
    lines.append(f"{pad}rules:" if done else f"{pad}rules: []")
    for rule in done:
        lines += _comment(rule, pad + "  ")
        lines.append(f"{pad}  - when: {_yaml(rule.value['when'])}")
        lines.append(f"{pad}    set: {_yaml(rule.value['set'])}")
    for rule in (r for r in rules if r.todo):
        lines += _comment(rule, pad, "TODO ")
        lines.append(f"{pad}#   - when: {_yaml(rule.value['when'])}")
        lines.append(f"{pad}#     set: {_yaml(rule.value['set'])}")


def _comment(suggestion: Suggestion, pad: str, prefix: str = "") -> list[str]:
    text = f"{prefix}[{suggestion.confidence}] {suggestion.evidence}"
    return [
        f"{pad}# {line}"
        for line in textwrap.wrap(text, width=max(40, 106 - len(pad)), break_on_hyphens=False)
    ]


def _yaml(value: Any) -> str:
    """One value in YAML flow style, on one line."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...").strip()

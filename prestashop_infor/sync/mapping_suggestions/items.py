"""Item suggestions: which item rules (strategies, upper-casing, the product's reference for
variants) make the most shop references name an existing M3 item, and an ``items.table`` entry for
each reference that differs from exactly one M3 item only in case or blanks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prestashop_infor.sync.errors import MappingFailure
from prestashop_infor.sync.mapping import ItemRules
from prestashop_infor.sync.mapping_suggestions.facts import Sellable
from prestashop_infor.sync.mapping_suggestions.suggestion import Confidence, Suggestion

SHOWN = 15  # references listed by name in an evidence; the rest are counted
ITEM_STRATEGIES = ("table", "combination_reference", "product_reference")


@dataclass(frozen=True)
class _ItemChoice:
    label: str
    rules: ItemRules
    resolved: dict[str, str]  # sellable key -> the existing M3 item it resolves to

    @property
    def score(self) -> tuple[int, int]:
        # more lines resolving, then more distinct items (a style item for every variant ranks lower)
        return len(self.resolved), len(set(self.resolved.values()))


_ITEM_CHOICES = (
    ("combination references for variants, product references for simple products", ITEM_STRATEGIES, False),
    ("combination references, the product's reference where a combination has none", ITEM_STRATEGIES, True),
    (
        "the product's reference for every variant (M3 holds one item per product)",
        ("table", "product_reference"),
        True,
    ),
)


def _resolve_all(rules: ItemRules, sellables: Sequence[Sellable], items: dict[str, str]) -> dict[str, str]:
    resolved = {}
    for s in sellables:
        try:
            itno = rules.resolve(s.product_id, s.combination_id, s.product_reference, s.combination_reference)
        except MappingFailure:
            continue
        if itno in items:
            resolved[s.key] = itno
    return resolved


def _fold(reference: str) -> str:
    return "".join(reference.split()).casefold()


def item_suggestions(sellables: Sequence[Sellable], items: dict[str, str]) -> list[Suggestion]:
    """``items.strategies``, ``items.uppercase``, ``items.product_reference_for_combinations`` and
    ``items.table``."""
    choices = []
    for uppercase in (False, True):
        for label, strategies, for_combinations in _ITEM_CHOICES:
            rules = ItemRules(
                strategies=strategies,
                uppercase=uppercase,
                product_reference_for_combinations=for_combinations,
            )
            choices.append(_ItemChoice(label, rules, _resolve_all(rules, sellables, items)))
    best = max(choices, key=lambda c: c.score)  # the first of equals: the plainest rules win a tie
    rivals = [c for c in choices if c.score == best.score and c.resolved != best.resolved]
    total = len(sellables)

    # near matches: a reference that differs from exactly one M3 item only in case or blanks
    by_fold: dict[str, list[str]] = {}
    for itno in items:
        by_fold.setdefault(_fold(itno), []).append(itno)
    table: dict[str, tuple[str, Sellable]] = {}
    ambiguous: list[str] = []
    for s in sellables:
        if s.key in best.resolved or not s.reference.strip():
            continue
        found = by_fold.get(_fold(s.reference), [])
        if len(found) == 1:
            table[s.key] = (found[0], s)
        elif len(found) > 1:
            ambiguous.append(f"{s.describe()} ~ {', '.join(sorted(found))}")
    rules = best.rules.model_copy(update={"table": {key: itno for key, (itno, _s) in table.items()}})
    final = _resolve_all(rules, sellables, items)
    table = {key: entry for key, entry in table.items() if final.get(key) == entry[0]}
    unmatched = [s.describe() for s in sellables if s.key not in final]

    share = len(best.resolved) / total if total else 0.0
    confidence: Confidence = "high" if share >= 0.95 and not rivals else "medium" if share >= 0.5 else "low"
    example = next(iter(best.resolved.values()), None)
    evidence = (
        f"{best.label}: {len(best.resolved)} of {total} shop references (products without combinations "
        f"and combinations) match an M3 item exactly"
        + (f", {len(table)} more only after folding case and blanks (items.table)" if table else "")
        + f"; {len(unmatched)} match nothing."
        + (f" E.g. item {example} exists in M3 with ITDS {items[example]!r}." if example else "")
        + (
            f" Other rules match as many but name other items: {'; '.join(c.label for c in rivals)}."
            if rivals
            else ""
        )
        + (f" Matching nothing: {_listing(unmatched)}." if unmatched else "")
        + (f" Near several M3 items (left out of items.table): {_listing(ambiguous)}." if ambiguous else "")
    )
    other_case = next(
        c
        for c in choices
        if c.rules.strategies == best.rules.strategies
        and c.rules.product_reference_for_combinations == best.rules.product_reference_for_combinations
        and c.rules.uppercase != best.rules.uppercase
    )
    if best.rules.uppercase:
        case_evidence = (
            f"upper-casing the shop references makes {len(best.resolved)} match instead of "
            f"{len(other_case.resolved)}"
        )
    elif len(other_case.resolved) == len(best.resolved):
        case_evidence = (
            f"upper-casing the shop references would match the same {len(best.resolved)}: not needed"
        )
    else:
        case_evidence = (
            f"the shop references are in M3's case: upper-casing them would match "
            f"{len(other_case.resolved)} instead of {len(best.resolved)}"
        )
    suggestions = [
        Suggestion("items.strategies", list(best.rules.strategies), confidence, evidence),
        Suggestion("items.uppercase", best.rules.uppercase, confidence, case_evidence),
        Suggestion(
            "items.product_reference_for_combinations",
            best.rules.product_reference_for_combinations,
            confidence,
            f"goes with items.strategies: {best.label}",
        ),
    ]
    if not table:
        suggestions.append(
            Suggestion(
                "items.table", {}, "high", "no reference differs from an M3 item only in case or blanks"
            )
        )
    for key, (itno, s) in table.items():
        suggestions.append(
            Suggestion(
                f"items.table.{key}",
                itno,
                "medium",
                f"{s.describe()} matches no M3 item as written; M3 item {itno} (ITDS {items[itno]!r}) differs "
                "only in case or blanks, and no other item does",
            )
        )
    return suggestions


def _listing(things: Sequence[str]) -> str:
    shown = ", ".join(things[:SHOWN])
    return shown + (f" and {len(things) - SHOWN} more" if len(things) > SHOWN else "")

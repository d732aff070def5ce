"""Status suggestions: the shop state each M3 milestone sets (by the state's flags, PrestaShop's
standard names, or words of the shop's own names), and the states whose orders are not exported."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from prestashop_infor.sync.mapping import ALL_MILESTONES, _flag, _state_names
from prestashop_infor.sync.mapping_suggestions.suggestion import Suggestion


@dataclass(frozen=True)
class _StateRule:
    """How a milestone's shop state is recognised: flags it must have, PrestaShop's standard English
    names, and words of a shop's own names."""

    flags: Callable[[dict[str, bool]], bool] | None
    standard: tuple[str, ...]
    words: tuple[str, ...]
    flag_text: str = ""


_STATE_RULES = {
    "confirmed": _StateRule(
        lambda f: f["delivery"] and not f["shipped"],
        ("Processing in progress", "Preparation in progress"),
        ("process", "prepar"),
        "flagged in delivery, not shipped",
    ),
    "allocated": _StateRule(None, (), ("allocat", "reserved")),
    "picking": _StateRule(None, (), ("picking", "packing", "packed")),
    "partially_shipped": _StateRule(None, (), ("partial",)),
    "shipped": _StateRule(lambda f: f["shipped"], ("Shipped",), ("ship", "sent"), "flagged shipped"),
    "invoiced": _StateRule(None, (), ("invoiced",)),
    "paid": _StateRule(
        lambda f: f["paid"] and not f["shipped"] and not f["delivery"],
        ("Payment accepted",),
        ("payment accepted", "paid"),
        "flagged paid, not in delivery",
    ),
    "cancelled": _StateRule(None, ("Canceled", "Cancelled"), ("cancel",)),
}
_NOT_EXPORTED_WORDS = ("cancel", "refund", "error", "fail", "declin")


def status_suggestions(states: Sequence[dict[str, Any]]) -> list[Suggestion]:
    """``status.prestashop_state.<milestone>`` for every milestone, then ``status.not_exported``."""
    names = {int(s["id"]): _state_names(s) for s in states}
    shown = {sid: (n[0] if n else f"#{sid}") for sid, n in names.items()}
    name_count = Counter(shown[sid].casefold() for sid in shown)
    flags = {int(s["id"]): {k: _flag(s.get(k)) for k in ("paid", "shipped", "delivery")} for s in states}

    def ref(sid: int) -> str | int:
        # names are safer than ids (shops number their states differently), unless two states share one
        return shown[sid] if name_count[shown[sid].casefold()] == 1 else sid

    def label(sid: int) -> str:
        return f"{shown[sid]!r} (id {sid})"

    def named(sid: int, words: Iterable[str]) -> bool:
        return any(word in name.casefold() for name in names[sid] for word in words)

    excluded = [sid for sid in names if named(sid, _NOT_EXPORTED_WORDS)]
    suggestions = []
    for milestone in ALL_MILESTONES:
        rule = _STATE_RULES[milestone]
        if rule.flags is not None:
            candidates = [sid for sid in names if rule.flags(flags[sid]) and sid not in excluded]
        else:
            candidates = [sid for sid in names if named(sid, rule.words)]
            if milestone != "cancelled":
                candidates = [sid for sid in candidates if sid not in excluded]
        standard = [
            sid
            for sid in candidates
            if any(n.casefold() in {s.casefold() for s in rule.standard} for n in names[sid])
        ]
        by_words = [sid for sid in candidates if named(sid, rule.words)]
        where = rule.flag_text if rule.flags else "named for it"
        if len(standard) == 1:
            chosen, confidence = standard[0], "high"
            why = f"{label(chosen)} is {where} and has PrestaShop's standard name"
        elif len(by_words) == 1:
            chosen, confidence = by_words[0], "medium"
            why = f"{label(chosen)} is {where} and its name says so"
        elif rule.flags is not None and len(candidates) == 1:
            chosen, confidence = candidates[0], "medium"
            why = f"{label(chosen)} is the only state {where}"
        elif candidates:
            chosen, confidence = min(by_words or candidates), "low"
            why = f"{label(chosen)} (the lowest id) is one of several states {where}"
        else:
            nothing = rule.standard == ()  # PrestaShop has no such state: null is the usual answer
            suggestions.append(
                Suggestion(
                    f"status.prestashop_state.{milestone}",
                    None,
                    "high" if nothing else "low",
                    f"no shop state is {where}"
                    + (
                        "; null: M3 reaching it changes nothing in the shop"
                        if nothing
                        else f"; add the shop state M3's {milestone} should set, or leave null"
                    ),
                )
            )
            continue
        rest = [label(c) for c in candidates if c != chosen]
        evidence = why + (f"; also {where}: {', '.join(rest)}" if rest else "")
        suggestions.append(
            Suggestion(f"status.prestashop_state.{milestone}", ref(chosen), confidence, evidence)
        )
    suggestions.append(
        Suggestion(
            "status.not_exported",
            [ref(sid) for sid in sorted(excluded)],
            "medium" if excluded else "low",
            (
                f"named for cancelled, refunded or failed orders: {', '.join(label(s) for s in sorted(excluded))}"
                if excluded
                else "no state is named for cancelled, refunded or failed orders; list those of the shop"
            )
            + "; orders in these states are not sent to M3",
        )
    )
    return suggestions

"""Enrichment suggestions: a delivery method rule per carrier on recent orders (matched by name
when M3 lists its delivery methods, else a TODO) and a payment method TODO per payment module."""

from __future__ import annotations

from prestashop_infor.sync.mapping_suggestions.facts import M3Facts, ShopFacts
from prestashop_infor.sync.mapping_suggestions.suggestion import Suggestion


def _word(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def enrichment_suggestions(shop: ShopFacts, m3: M3Facts) -> list[Suggestion]:
    """One ``enrichment.rules`` suggestion per carrier and per payment module of the orders read."""
    suggestions = []
    orders = f"of the last {shop.orders_read} orders"
    for carrier_id, count in sorted(shop.order_carriers.items()):
        name = shop.carriers.get(carrier_id, "")
        seen = f"carrier {carrier_id} {name!r} is on {count} {orders}"
        when = {"carrier": [carrier_id]}
        if m3.delivery_methods is None:
            suggestions.append(
                Suggestion(
                    "enrichment.rules",
                    {"when": when, "set": {"delivery_method": None}},
                    "low",
                    f"{seen}; M3's delivery methods could not be listed ({m3.delivery_methods_problem}): "
                    "give its delivery method (MODL) by hand, or delete this rule",
                    todo=True,
                )
            )
            continue
        wanted = _word(name)
        same = [
            code
            for code, text in m3.delivery_methods.items()
            if wanted and wanted in (_word(code), _word(text))
        ]
        near = [code for code, text in m3.delivery_methods.items() if wanted and wanted in _word(text)]
        listed = f"M3 lists {len(m3.delivery_methods)} delivery methods"
        if len(same) == 1 or (not same and len(near) == 1):
            code = (same or near)[0]
            suggestions.append(
                Suggestion(
                    "enrichment.rules",
                    {"when": when, "set": {"delivery_method": code}},
                    "high" if same else "medium",
                    f"{seen}; M3 delivery method {code} is {m3.delivery_methods[code]!r} "
                    f"({'the same name' if same else 'its name contains the carrier name'}); {listed}",
                )
            )
        else:
            why = f"several match: {', '.join(same or near)}" if same or near else "none is named like it"
            suggestions.append(
                Suggestion(
                    "enrichment.rules",
                    {"when": when, "set": {"delivery_method": None}},
                    "low",
                    f"{seen}; {listed} and {why}: give its delivery method (MODL) by hand, or delete this rule",
                    todo=True,
                )
            )
    for module, count in sorted(shop.order_modules.items()):
        if not module:
            continue
        label = shop.payment_labels.get(module, "")
        suggestions.append(
            Suggestion(
                "enrichment.rules",
                {"when": {"payment_module": [module]}, "set": {"payment_method": None}},
                "low",
                f"payment module {module} ({label!r}) is on {count} {orders}; M3 offers no list of payment "
                "methods (PYCD) through the transactions this integration uses, so none could be matched: "
                "give its payment method by hand, or delete this rule",
                todo=True,
            )
        )
    return suggestions

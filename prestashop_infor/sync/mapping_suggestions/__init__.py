"""Mapping suggestions: a first ``mapping.yaml`` drafted from what the shop and M3 hold (issue 10 §4).

:func:`read_shop` and :func:`read_m3` read both systems through their clients (order states,
currencies, carriers, products and combinations, the payment modules and carriers of recent orders;
M3 items, the currencies of M3 customers, delivery methods if M3 lists them). :func:`suggest` turns
what was read into :class:`Suggestion` s, each a mapping key with a value, a confidence and the
evidence behind it; :func:`render_draft` writes them as a mapping file that starts with
``reviewed: false``, which ``load_mapping`` refuses until a person has checked every suggestion and
set ``reviewed: true``. Nothing here writes to either system.

Confidence is one of three words, so a reviewer knows where to look first:

- ``high``: the data left no real choice (one candidate, PrestaShop's standard name, every
  reference matching an M3 item);
- ``medium``: a rule chose among candidates (a word in a state's name, the majority), or M3 could
  not confirm it;
- ``low``: a guess, or nothing was found: check it before anything else.

Suggestions that cannot be made (an M3 code for a carrier when M3 does not list its delivery
methods) are ``todo``: the draft shows them commented out, with their evidence, for a person to
fill in.

One module per step and per mapping section: ``facts`` (what is read), ``suggestion`` (what a
suggestion is), ``currency``, ``status``, ``items`` and ``enrichment`` (the suggestions of each
section), ``draft`` (the file written).
"""

from __future__ import annotations

from prestashop_infor.infor.client import M3Client
from prestashop_infor.prestashop.client import PrestashopClient
from prestashop_infor.sync.mapping import parse_mapping
from prestashop_infor.sync.mapping_suggestions.currency import currency_suggestions
from prestashop_infor.sync.mapping_suggestions.draft import render_draft
from prestashop_infor.sync.mapping_suggestions.enrichment import enrichment_suggestions
from prestashop_infor.sync.mapping_suggestions.facts import (
    M3Facts,
    Progress,
    Sellable,
    ShopFacts,
    read_m3,
    read_shop,
)
from prestashop_infor.sync.mapping_suggestions.items import item_suggestions
from prestashop_infor.sync.mapping_suggestions.status import status_suggestions
from prestashop_infor.sync.mapping_suggestions.suggestion import Confidence, MappingSuggestions, Suggestion


def suggest_mapping(
    prestashop: PrestashopClient, m3: M3Client, progress: Progress | None = None
) -> MappingSuggestions:
    """Read both systems and suggest a mapping."""
    return suggest(read_shop(prestashop, progress), read_m3(m3, progress))


def suggest(shop: ShopFacts, m3: M3Facts) -> MappingSuggestions:
    """Every suggestion, in the order of the draft; the values form a valid mapping."""
    suggestions = [
        *currency_suggestions(shop, m3),
        *status_suggestions(shop.order_states),
        *item_suggestions(shop.sellables, m3.items),
        *enrichment_suggestions(shop, m3),
    ]
    result = MappingSuggestions(suggestions)
    parse_mapping(result.document(), source="the suggested mapping")  # never write an invalid draft
    return result


__all__ = [
    "Confidence",
    "M3Facts",
    "MappingSuggestions",
    "Progress",
    "Sellable",
    "ShopFacts",
    "Suggestion",
    "read_m3",
    "read_shop",
    "render_draft",
    "suggest",
    "suggest_mapping",
]

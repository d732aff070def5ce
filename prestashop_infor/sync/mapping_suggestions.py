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
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import yaml

from prestashop_infor.infor.client import M3Client, M3Error
from prestashop_infor.prestashop.client import PrestashopClient
from prestashop_infor.sync.errors import MappingFailure
from prestashop_infor.sync.mapping import (
    ALL_MILESTONES,
    ItemRules,
    _flag,
    _state_names,
    parse_mapping,
)

Confidence = Literal["high", "medium", "low"]
Progress = Callable[[str], None]

ORDERS_READ = 5000  # the most recent orders whose carriers and payment modules are looked at
CUSTOMERS_READ = 500  # M3 customers whose currency (CUCD) tells the ERP currency
SHOWN = 15  # references listed by name in an evidence; the rest are counted

DELIVERY_METHODS = ("CRS070MI", "LstDelyMethod")  # the contract's list of M3 delivery methods (MODL)
ITEM_STRATEGIES = ("table", "combination_reference", "product_reference")


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
class Sellable:
    """What an order line can name: a product without combinations (``combination_id`` 0) or one
    combination of a product."""

    product_id: int
    combination_id: int
    product_reference: str
    combination_reference: str

    @property
    def key(self) -> str:
        """The ``items.table`` key of this sellable."""
        return f"{self.product_id}:{self.combination_id}" if self.combination_id else str(self.product_id)

    @property
    def reference(self) -> str:
        return self.combination_reference if self.combination_id else self.product_reference

    def describe(self) -> str:
        what = f"combination {self.key}" if self.combination_id else f"product {self.product_id}"
        return f"{what} {self.reference!r}" if self.reference.strip() else f"{what} (no reference)"


@dataclass
class ShopFacts:
    """What :func:`read_shop` found in the shop."""

    order_states: list[dict[str, Any]]
    currencies: list[dict[str, Any]]
    carriers: dict[int, str]  # id -> name
    sellables: list[Sellable]
    orders_read: int = 0
    order_carriers: Counter[int] = field(default_factory=Counter)
    order_modules: Counter[str] = field(default_factory=Counter)
    order_currencies: Counter[int] = field(default_factory=Counter)
    payment_labels: dict[str, str] = field(default_factory=dict)  # module -> the label customers saw


@dataclass
class M3Facts:
    """What :func:`read_m3` found in M3."""

    items: dict[str, str]  # ITNO -> ITDS
    customer_currencies: Counter[str] = field(default_factory=Counter)  # CUCD of the customers read
    customers_read: int = 0
    delivery_methods: dict[str, str] | None = None  # MODL -> description; None: M3 did not list them
    delivery_methods_problem: str = ""  # why they could not be listed


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
            *parents, last = _path(suggestion.key)
            node = document
            for part in parents:
                node = node.setdefault(part, {})
            if suggestion.key == "enrichment.rules":
                node.setdefault(last, []).append(suggestion.value)
            else:
                node[last] = suggestion.value
        document.setdefault("enrichment", {}).setdefault("rules", [])  # the draft shows them, even none
        return document


def suggest_mapping(
    prestashop: PrestashopClient, m3: M3Client, progress: Progress | None = None
) -> MappingSuggestions:
    """Read both systems and suggest a mapping."""
    return suggest(read_shop(prestashop, progress), read_m3(m3, progress))


# --------------------------------------------------------------------------------------------- reads


def read_shop(prestashop: PrestashopClient, progress: Progress | None = None) -> ShopFacts:
    say = progress or (lambda _step: None)
    say("shop: order states, currencies, carriers")
    states = prestashop.order_states()
    currencies = prestashop.list("currencies")
    carriers = {int(c["id"]): str(c.get("name") or "") for c in prestashop.iter_all("carriers")}
    say("shop: products")
    products = {
        int(p["id"]): str(p.get("reference") or "")
        for p in prestashop.iter_all("products", display="[id,reference]")
    }
    say("shop: combinations")
    combinations = list(prestashop.iter_all("combinations", display="[id,id_product,reference]"))
    say(f"shop: the last {ORDERS_READ} orders (carriers, payment modules, currencies)")
    orders = prestashop.list(
        "orders", display="[id,id_carrier,id_currency,module,payment]", sort="[id_DESC]", limit=ORDERS_READ
    )
    with_combinations = {int(c["id_product"]) for c in combinations}
    sellables = [Sellable(pid, 0, ref, "") for pid, ref in products.items() if pid not in with_combinations]
    sellables += [
        Sellable(
            int(c["id_product"]),
            int(c["id"]),
            products.get(int(c["id_product"]), ""),
            str(c.get("reference") or ""),
        )
        for c in combinations
    ]
    facts = ShopFacts(
        states, currencies, carriers, sorted(sellables, key=lambda s: (s.product_id, s.combination_id))
    )
    facts.orders_read = len(orders)
    for order in orders:
        module = str(order.get("module") or "")
        facts.order_carriers[int(order.get("id_carrier") or 0)] += 1
        facts.order_modules[module] += 1
        facts.order_currencies[int(order.get("id_currency") or 0)] += 1
        facts.payment_labels.setdefault(module, str(order.get("payment") or ""))
    return facts


def read_m3(m3: M3Client, progress: Progress | None = None) -> M3Facts:
    say = progress or (lambda _step: None)
    say("M3: items (MMS200MI/LstItmByItm)")
    items = {
        r["ITNO"]: r.get("ITDS", "") for r in m3.list_all("MMS200MI", "LstItmByItm", "ITNO") if r.get("ITNO")
    }
    say("M3: customers' currencies (CRS610MI/LstByNumber)")
    customers = m3.execute("CRS610MI", "LstByNumber", maxrecs=CUSTOMERS_READ, CUNO="!")
    facts = M3Facts(items, Counter(c["CUCD"] for c in customers if c.get("CUCD")), len(customers))
    say("M3: delivery methods (CRS070MI/LstDelyMethod)")
    try:
        methods = m3.execute(*DELIVERY_METHODS, maxrecs=0)
    except M3Error as exc:  # not every tenant (nor the sandbox) serves it: the evidence says so
        facts.delivery_methods_problem = str(exc)
    else:
        facts.delivery_methods = {
            r["MODL"]: r.get("TX40") or r.get("TX15") or "" for r in methods if r.get("MODL")
        }
    return facts


# ------------------------------------------------------------------------------------------ suggest


def suggest(shop: ShopFacts, m3: M3Facts) -> MappingSuggestions:
    """Every suggestion, in the order of the draft; the values form a valid mapping."""
    suggestions = [
        *_currency(shop, m3),
        *_status(shop.order_states),
        *_items(shop.sellables, m3.items),
        *_enrichment(shop, m3),
    ]
    result = MappingSuggestions(suggestions)
    parse_mapping(result.document(), source="the suggested mapping")  # never write an invalid draft
    return result


# -- items


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


def _items(sellables: Sequence[Sellable], items: dict[str, str]) -> list[Suggestion]:
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


# -- status


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


def _status(states: Sequence[dict[str, Any]]) -> list[Suggestion]:
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


# -- currencies


def _rate(currency: dict[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(currency.get("conversion_rate")))
    except InvalidOperation:
        return None


def _currency(shop: ShopFacts, m3: M3Facts) -> list[Suggestion]:
    live = [c for c in shop.currencies if not _flag(c.get("deleted"))]
    iso_of = {int(c["id"]): str(c.get("iso_code") or "") for c in shop.currencies}
    defaults = [c for c in live if _rate(c) == 1]
    shop_default = str(defaults[0]["iso_code"]) if defaults else None
    m3_usual, m3_count = m3.customer_currencies.most_common(1)[0] if m3.customer_currencies else (None, 0)
    m3_seen = ", ".join(f"{iso} ({n})" for iso, n in m3.customer_currencies.most_common()) or "none"
    in_m3 = f"M3 customers' currency (CUCD) of the {m3.customers_read} read: {m3_seen}"
    if m3_usual and m3_usual == shop_default:
        erp, confidence = m3_usual, ("high" if len(defaults) == 1 else "medium")
        why = f"{erp} is the shop's default currency (conversion rate 1) and the currency of {m3_count} of {m3.customers_read} M3 customers read"
    elif m3_usual:
        erp, confidence = m3_usual, "medium"
        why = f"{erp} is the currency of {m3_count} of {m3.customers_read} M3 customers read; the shop's default currency is {shop_default or 'unknown'}"
    else:
        erp, confidence = shop_default or "EUR", "low" if not shop_default else "medium"
        why = f"the shop's default currency (conversion rate 1) is {shop_default or 'not found'}; M3 has no customer to read a currency from"
    if len(defaults) > 1:
        why += f"; several shop currencies have rate 1: {', '.join(str(c['iso_code']) for c in defaults)}"
    ordered = (
        ", ".join(f"{iso_of.get(i, f'#{i}')} ({n})" for i, n in shop.order_currencies.most_common()) or "none"
    )
    foreign = sorted({iso_of.get(i, "") for i in shop.order_currencies} - {erp, ""})
    unchecked = (
        "M3 offers no list of currencies through the transactions this integration uses, so whether M3 "
        f"accepts {', '.join(foreign) or 'them'} on an order could not be checked; {in_m3}"
    )
    if erp == shop_default:
        source = Suggestion(
            "currency.source",
            "conversion_rate",
            confidence,
            f"the shop's default currency is the ERP currency, so an order's conversion_rate converts it; "
            f"currencies of the last {shop.orders_read} orders: {ordered} (see erp.currency on what M3 "
            "could not confirm)",
        )
    else:
        source = Suggestion(
            "currency.source",
            "rates",
            "low",
            f"the shop's default currency ({shop_default}) is not the ERP currency ({erp}): conversion_rate "
            f"cannot convert; give currency.rates for {', '.join(foreign) or 'every order currency'}. "
            f"Currencies of the last {shop.orders_read} orders: {ordered}. {unchecked}",
        )
    return [Suggestion("erp.currency", erp, confidence, f"{why}. {unchecked}"), source]


# -- enrichment (carriers, payment modules)


def _word(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _enrichment(shop: ShopFacts, m3: M3Facts) -> list[Suggestion]:
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


# --------------------------------------------------------------------------------------------- draft

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


def _path(key: str) -> list[str]:
    """``items.table.12:31`` -> ``["items", "table", "12:31"]``."""
    section, _, rest = key.partition(".")
    if section == "items" and rest.startswith("table."):
        return [section, "table", rest.removeprefix("table.")]
    return key.split(".")

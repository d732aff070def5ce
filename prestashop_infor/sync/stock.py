"""M3 -> PrestaShop stock: available quantity per item into ``stock_availables``, only rows that changed.

It reads what its upstream assets stored and nothing else from the same sources:

1. M3's balances per item and warehouse (``m3_balances``, kept by ``infor_inventory``): per item
   and configured warehouse (``mapping.stock.warehouses``; in a multistore, a shop listed in
   ``mapping.shops`` with stock rules of its own has its rows computed by those), the warehouse's quantity field
   (``AV01``, ``AV02`` or ``STQT``) less its reserve, as whole units rounded down, never below 0
   (M3 quantities may have decimals and go below zero: over-allocation); the warehouses then
   combine (``mapping.stock.combine``: their sum, or the first that has any).
2. The shop's products and combinations (``ps_products``, ``ps_combinations``, kept by
   ``prestashop_products``) resolved to item numbers with the order direction's own rules
   (``mapping.items.resolve``), and its stock rows (``ps_stock``, kept by ``prestashop_stock``).
3. Where the stored shop quantity differs from M3's, the row is read again (the write may read the
   row it is about to change) and, if it still differs, written whole (PUT, contract §6.6); a few
   rows at a time (``shop_writes``), so a request that hangs holds up only itself.
4. Product totals: the product-level row (``id_product_attribute`` 0) of each product whose
   combination rows changed, or whose stored total is not their sum (a run before had no time left
   for it), is made the sum of its combinations, as PrestaShop's own ``StockAvailable`` does.

With ``max_seconds`` the whole push, totals included, starts no write after that long: a push under
a slow shop ends in bounded time and the next run compares again and finishes the rest.

Items M3 reports that the shop does not sell are reported (``unknown_items``) and logged, not fatal.
A row the shop refuses goes to the dead-letter queue (entity ``stock``, stage ``load``). The shop
unreachable after the client's retries raises. No cursor of its own: every run compares all it
knows, which costs database reads, not API calls.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.prestashop.client import PrestashopAuthError, PrestashopError, PrestashopUnavailable
from prestashop_infor.store import Store, tables
from prestashop_infor.sync.errors import MappingFailure
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.mapping import StockSettings
from prestashop_infor.sync.shop_writes import UNAVAILABLE_IN_A_ROW, in_order

log = logging.getLogger(__name__)

ENTITY = "stock"
STAGE = "load"


@dataclass(frozen=True)
class StockChange:
    """One ``stock_availables`` row written. ``item_number`` is None for a product total row."""

    item_number: str | None
    product_id: int
    combination_id: int
    shop_id: int
    old: int
    new: int


@dataclass
class StockReport:
    changed: list[StockChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # items whose shop rows were already right
    unknown_items: list[str] = field(default_factory=list)  # M3 items the shop does not sell
    not_in_m3: list[str] = field(default_factory=list)  # items the shop sells, no balance in M3
    dead_lettered: list[str] = field(default_factory=list)  # "product:combination" rows refused
    left_for_next_run: list[str] = field(default_factory=list)  # "product:combination": time was up


def push_stock_levels(
    *,
    prestashop: PrestashopClient,
    store: Store,
    mapping: SyncMapping,
    rows_only: set[str] | None = None,
    max_seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> StockReport:
    """Write M3's available quantities to the shop's ``stock_availables`` rows that differ.

    ``rows_only`` (``"product:combination"`` keys, a replay) limits the writes to those rows. With
    ``max_seconds``, no row's write starts after that long: the rest are left for the next run
    (``left_for_next_run``; it compares again), product totals included; so is a row whose write
    the shop did not take. Raises when the shop stays unreachable (``UNAVAILABLE_IN_A_ROW`` rows in a
    row).
    """
    until = None if max_seconds is None else clock() + max_seconds

    def time_left() -> float | None:
        return None if until is None else max(0.0, until - clock())

    report = StockReport()
    quantities, balances_of = _available(store, mapping.stock)
    per_shop = _ShopQuantities(store, mapping)
    shop_index = shop_item_index(store, mapping)
    index = shop_index.rows
    report.unknown_items = sorted(
        i for i in balances_of if i not in index and i not in shop_index.style_items
    )
    for item in report.unknown_items:
        log.info("M3 item %s has a balance but the shop does not sell it", item)
    report.not_in_m3 = sorted(i for i in index if i not in quantities)
    for item in report.not_in_m3:
        log.debug(
            "the shop sells %s but M3 has no balance for it in warehouses %s", item, mapping.stock.warehouses
        )

    rows = _stock_rows(store)
    writes: list[_RowWrite] = []
    for item in sorted(index):
        for product_id, combination_id in index[item]:
            if rows_only is not None and f"{product_id}:{combination_id}" not in rows_only:
                continue
            for row in rows.get((product_id, combination_id), []):
                wanted = per_shop.of(_int(row.get("id_shop"))).get(item)  # None: no balance in its warehouses
                if wanted is not None and _int(row.get("quantity")) != wanted:
                    writes.append(_RowWrite(row, item, wanted))
    letters: list[dict[str, Any]] = []
    try:
        written, left = _write_all(prestashop, writes, letters, report, time_left())
        not_unchanged = {w.item for w in (*written, *left)}
        report.unchanged = sorted(i for i in quantities if i in index and i not in not_unchanged)
        touched_products = {int(w.row["id_product"]) for w in written if int(w.row["id_product_attribute"])}
        totals = touched_products | _totals_off(rows)
        if rows_only is not None:
            totals &= {int(key.split(":")[0]) for key in rows_only}
        if time_left() == 0.0:
            report.left_for_next_run += [f"{product_id}:0" for product_id in sorted(totals)]
        else:
            _write_product_totals(prestashop, rows, totals, letters, report, time_left())
    finally:
        if letters:
            store.quarantine_many(letters)
    return report


def planned_shop_quantities(
    store: Store, mapping: SyncMapping
) -> dict[tuple[int, int, int], tuple[str, int, int]]:
    """Per stored shop stock row (product, combination, shop) of an item M3 keeps a balance for in
    the shop's warehouses: (item, the shop's quantity, the quantity the push would write). What the
    push compares, for the stock reconciliation."""
    per_shop = _ShopQuantities(store, mapping)
    rows = _stock_rows(store)
    planned = {}
    for item, keys in shop_item_index(store, mapping).rows.items():
        for key in keys:
            for row in rows.get(key, []):
                shop_id = _int(row.get("id_shop"))
                wanted = per_shop.of(shop_id).get(item)
                if wanted is not None:
                    planned[(*key, shop_id)] = (item, _int(row.get("quantity")), wanted)
    return planned


@dataclass(frozen=True)
class ShopIndex:
    rows: dict[str, list[tuple[int, int]]]  # M3 item -> (product id, combination id) rows it stocks
    style_items: frozenset[str]  # references of products stocked per combination


def shop_item_index(store: Store, mapping: SyncMapping) -> ShopIndex:
    """M3 item number -> the shop's (product id, combination id) rows that stock it, from the
    products and combinations ``prestashop_products`` stored.

    A product without combinations is stocked on its own row (combination 0); a product with
    combinations is stocked per combination, its own row being their total. Products and
    combinations whose item cannot be resolved are not stocked from M3 (logged once).
    """
    products = {int(p["id"]): str(p.get("reference") or "") for p in store.rows(tables.ps_products)}
    combinations: dict[int, list[tuple[int, str]]] = {}
    for c in store.rows(tables.ps_combinations):
        combinations.setdefault(int(c["id_product"]), []).append(
            (int(c["id"]), str(c.get("reference") or ""))
        )
    index: dict[str, list[tuple[int, int]]] = {}
    unresolved: list[str] = []
    style_items: set[str] = set()
    for product_id, reference in sorted(products.items()):
        variants = combinations.get(product_id) or [(0, "")]
        if product_id in combinations and reference.strip():
            style_items.add(reference.strip().upper() if mapping.items.uppercase else reference.strip())
        for combination_id, combination_reference in variants:
            try:
                item = mapping.items.resolve(
                    product_id, combination_id, reference, combination_reference or None
                )
            except MappingFailure:
                unresolved.append(f"{product_id}:{combination_id}")
                continue
            index.setdefault(item, []).append((product_id, combination_id))
    if unresolved:
        log.info(
            "%s shop rows have no M3 item and are not stocked from M3: %s", len(unresolved), unresolved[:20]
        )
    return ShopIndex(index, frozenset(style_items))


# --- M3 balances ----------------------------------------------------------------------------------


def _available(store: Store, rules: StockSettings) -> tuple[dict[str, int], set[str]]:
    """Per item with a balance in a warehouse of ``rules``: the shop quantity (``warehouse_quantities``
    combined by its ``combine``); and every item M3 keeps a balance for."""
    per_item, items = warehouse_quantities(store, rules)
    return {item: rules.combined(found) for item, found in per_item.items()}, items


class _ShopQuantities:
    """The quantity of an item for a stock row's shop: the shop's own stock rules (``shops``) or the
    mapping's, each set of rules computed once."""

    def __init__(self, store: Store, mapping: SyncMapping):
        self.store, self.mapping = store, mapping
        self._by_rules: dict[int, dict[str, int]] = {}

    def of(self, shop_id: int | None) -> dict[str, int]:
        rules = self.mapping.stock_of(shop_id)
        if id(rules) not in self._by_rules:
            self._by_rules[id(rules)] = _available(self.store, rules)[0]
        return self._by_rules[id(rules)]


def warehouse_quantities(
    store: Store, rules: StockSettings, items_of: Collection[str] | None = None
) -> tuple[dict[str, dict[str, int]], set[str]]:
    """Per item, per warehouse of ``rules`` (a ``stock`` section: the mapping's or a shop's) with a
    balance: whole shop units of the warehouse's quantity field less its reserve; and every item M3
    keeps a balance for. ``items_of``: of these items only (the order sync choosing a warehouse)."""
    wanted = set(rules.warehouses)
    per_item: dict[str, dict[str, int]] = {}
    items: set[str] = set()
    for balance in (
        store.rows(tables.m3_balances, order_by="itno")
        if items_of is None
        else store.rows_where_in(tables.m3_balances, "itno", items_of)
    ):
        items.add(balance["itno"])
        whlo = balance["whlo"]
        if whlo not in wanted:
            continue
        quantity = balance[rules.field_of(whlo).lower()]
        if quantity is None:
            continue
        per_item.setdefault(balance["itno"], {})[whlo] = shop_quantity(
            Decimal(quantity) - rules.reserve_of(whlo)
        )
    return per_item, items


def shop_quantity(m3_quantity: Decimal) -> int:
    """Whole units the shop can sell: rounded down, never negative (an over-allocated item is 0)."""
    return max(0, int(m3_quantity.to_integral_value(rounding=ROUND_FLOOR)))


# --- shop side -------------------------------------------------------------------------------------


def _stock_rows(store: Store) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """Every stored ``stock_availables`` row, by (product, combination); several in multistore."""
    rows: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in store.rows(tables.ps_stock):
        rows.setdefault((int(row["id_product"]), int(row["id_product_attribute"])), []).append(dict(row))
    return rows


@dataclass(frozen=True)
class _RowWrite:
    """One ``stock_availables`` row to be given ``quantity``; ``item`` is None for a product total."""

    row: dict[str, Any]
    item: str | None
    quantity: int
    read_again: bool = True

    @property
    def key(self) -> str:
        """``"product:combination"``, as dead letters and replays name a row."""
        return f"{self.row['id_product']}:{self.row['id_product_attribute']}"


class _RowRefused(Exception):
    def __init__(self, letter: dict[str, Any]) -> None:
        super().__init__(letter["message"])
        self.letter = letter


def _write_all(
    prestashop: PrestashopClient,
    writes: list[_RowWrite],
    letters: list[dict[str, Any]],
    report: StockReport,
    max_seconds: float | None = None,
) -> tuple[list[_RowWrite], list[_RowWrite]]:
    """The rows written, a few at a time (``shop_writes``), and the rows left for the next run: not
    started within ``max_seconds``, or not taken by the shop (a 500 or a timeout after the client's
    retries; the next run reads the row again and writes its absolute quantity, so a write applied
    unheard is not doubled); refused rows become dead letters. ``UNAVAILABLE_IN_A_ROW`` rows in a
    row not taken: the shop is down, the push stops once the writes under way are done (raises)."""
    written: list[_RowWrite] = []
    untaken: list[_RowWrite] = []
    unavailable = 0  # rows in a row whose write the shop did not take
    started = 0  # the writes start in order: those not started are the list's tail
    with in_order(writes, lambda w: _write(prestashop, w), seconds=max_seconds) as outcomes:
        for write, outcome in outcomes:
            started += 1
            try:
                change = outcome.result()
            except _RowRefused as refused:
                unavailable = 0
                letters.append(refused.letter)
                report.dead_lettered.append(refused.letter["key"])
                log.warning("stock row %s refused by the shop: %s", refused.letter["key"], refused)
                continue
            except PrestashopUnavailable as error:
                unavailable += 1
                if unavailable >= UNAVAILABLE_IN_A_ROW:
                    raise
                log.warning("stock row %s left for the next run: %s", write.key, error)
                untaken.append(write)
                continue
            unavailable = 0
            if change is not None:
                report.changed.append(change)
                written.append(write)
    left = untaken + writes[started:]
    report.left_for_next_run += [w.key for w in left]
    return written, left


def _write(prestashop: PrestashopClient, write: _RowWrite) -> StockChange | None:
    """Read the row again (unless the caller just read it) and, when it still differs, PUT it whole
    with its new absolute quantity. Raises ``_RowRefused`` with the dead letter of a refused row."""
    row, quantity = write.row, write.quantity
    product_id, combination_id = int(row["id_product"]), int(row["id_product_attribute"])
    try:
        fresh = prestashop.get("stock_availables", int(row["id"])) if write.read_again else dict(row)
        if fresh is None:
            log.info("stock row %s is gone from the shop: not written", row["id"])
            return None
        old = _int(fresh.get("quantity"))
        row["quantity"] = old
        if old == quantity:
            return None
        prestashop.set_stock_row(fresh, quantity)
    except (PrestashopUnavailable, PrestashopAuthError):
        raise
    except PrestashopError as error:
        code = error.codes[0] if error.codes else None
        raise _RowRefused(
            {
                "entity": ENTITY,
                "key": write.key,
                "stage": STAGE,
                "error_code": f"prestashop_{error.status or 'error'}"
                + (f"_{code}" if code is not None else ""),
                "field": "quantity",
                "message": str(error),
                "payload": {
                    "item": write.item,
                    "product_id": product_id,
                    "combination_id": combination_id,
                    "quantity": quantity,
                    "row_id": row.get("id"),
                },  # fmt: skip
            }
        ) from error
    row["quantity"] = str(quantity)  # keep the in-memory view current for the product totals
    return StockChange(write.item, product_id, combination_id, _int(row.get("id_shop")), old, quantity)


def _totals_off(rows: Mapping[tuple[int, int], list[dict[str, Any]]]) -> set[int]:
    """The products whose stored total row (per shop) is not the sum of their stored combination
    rows: a total a run before this one wrote the combinations of and had no time left for."""
    sums: Counter[tuple[int, int]] = Counter()
    totals: dict[tuple[int, int], int] = {}
    for (product_id, combination_id), group in rows.items():
        for row in group:
            key = (product_id, _int(row.get("id_shop")))
            if combination_id:
                sums[key] += _int(row.get("quantity"))
            else:
                totals[key] = _int(row.get("quantity"))
    return {
        product_id
        for (product_id, shop), total in totals.items()
        if sums.get((product_id, shop), total) != total
    }


def _write_product_totals(
    prestashop: PrestashopClient,
    rows: Mapping[tuple[int, int], list[dict[str, Any]]],
    product_ids: Iterable[int],
    letters: list[dict[str, Any]],
    report: StockReport,
    max_seconds: float | None = None,
) -> None:
    """Make each product-level row the sum of its combination rows (per shop)."""
    ids = sorted(set(product_ids))
    wanted_ids = set(ids)
    combination_rows: dict[tuple[int, int], list[dict[str, Any]]] = {}  # (product, shop) -> rows
    for (product_id, combination_id), group in rows.items():
        if combination_id and product_id in wanted_ids:
            for r in group:
                combination_rows.setdefault((product_id, _int(r.get("id_shop"))), []).append(r)
    fresh = prestashop.list_by_ids(
        "stock_availables", ids, key="id_product", filters={"id_product_attribute": "[0]"}
    )
    writes = []
    for total_row in fresh:
        product_id, shop_id = int(total_row["id_product"]), _int(total_row.get("id_shop"))
        wanted = sum(_int(r.get("quantity")) for r in combination_rows.get((product_id, shop_id), []))
        if _int(total_row.get("quantity")) != wanted:
            writes.append(_RowWrite(total_row, None, wanted, read_again=False))
    _write_all(prestashop, writes, letters, report, max_seconds)


def _int(value: Any) -> int:
    """PrestaShop integers arrive as strings, sometimes empty for 0 (pitfall 15)."""
    text = str(value if value is not None else "").strip()
    return int(text) if text else 0

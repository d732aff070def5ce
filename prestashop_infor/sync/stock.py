"""M3 -> PrestaShop stock: available quantity per item into ``stock_availables``, only rows that changed.

1. Take M3's clock (``OIS100MI/GetServerTime`` -> ``LMTS``) *before* reading: that is the next cursor,
   so a balance changing during the run is read again next time rather than missed.
2. Which items: ``OIS100MI/LstNewBalances`` since the cursor (every balance when ``since_lmts`` is
   None: the full mode, which also covers every item the shop sells).
3. How many: per item, the balances of the configured warehouses (``mapping.stock.warehouses``)
   summed, in the configured field (``mapping.stock.quantity_field``): ``AV01``/``AV02`` from
   ``OIS100MI/LstWarehBalance``, ``STQT`` from ``MMS200MI/GetItmWhsBal``, all in bulk requests.
   M3 quantities may have decimals and go below zero (over-allocation); the shop gets whole units,
   rounded down, never below 0.
4. Where: the shop's products and combinations resolved to item numbers with the order direction's
   own rules (``mapping.items.resolve``), read once per run; the shop's ``stock_availables`` in one
   paged list read. Only rows whose quantity differs are written (whole-row PUT, contract §6.6).
5. Product totals: after combination rows change, the product-level row (``id_product_attribute``
   0) is made the sum of its combinations, as PrestaShop's own ``StockAvailable`` does — re-read
   first, so a shop that already did it gets no second write.

Items M3 reports that the shop does not sell are reported (``unknown_items``) and logged, not fatal.
A row the shop refuses goes to the dead-letter queue (entity ``stock``, stage ``load``). The shop or
M3 unreachable after the clients' retries raises: the caller stores ``new_cursor`` only after a
successful return, so the cursor never moves past what was not written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError
from prestashop_infor.infor.models import m3_decimal
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.prestashop.client import PrestashopAuthError, PrestashopError, PrestashopUnavailable
from prestashop_infor.store import Store
from prestashop_infor.sync.errors import MappingFailure
from prestashop_infor.sync.mapping import Mapping as SyncMapping

log = logging.getLogger(__name__)

ENTITY = "stock"
STAGE = "load"
SHOP_IDS_PER_REQUEST = 100


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
    new_cursor: int | None = None  # M3 LMTS to pass as since_lmts next time
    not_in_m3: list[str] = field(default_factory=list)  # full mode: items the shop sells, M3 lacks
    dead_lettered: list[str] = field(default_factory=list)  # "product:combination" rows refused


def push_stock_levels(
    *,
    prestashop: PrestashopClient,
    m3: M3Client,
    store: Store,
    mapping: SyncMapping,
    since_lmts: int | None = None,
) -> StockReport:
    """Write M3's available quantities to the shop's ``stock_availables`` rows that differ.

    ``since_lmts`` None is the full mode (every item); otherwise only items whose balance changed
    since that M3 timestamp. Returns the report with ``new_cursor``; raises when the shop or M3
    stays unreachable (then no cursor should be stored).
    """
    report = StockReport()
    report.new_cursor = m3.server_time().lmts
    warehouses = list(mapping.stock.warehouses)
    quantity_field = mapping.stock.quantity_field

    changed_items = _changed_items(m3, 0 if since_lmts is None else since_lmts, warehouses)
    shop_index = shop_item_index(prestashop, mapping)
    index = shop_index.rows
    items = set(changed_items)
    if since_lmts is None:
        items |= set(index)
    # A product with combinations is stocked per combination; M3 may keep a balance on its style
    # item too (the product reference): the shop knows it, its total row follows the combinations.
    report.unknown_items = sorted(i for i in items if i not in index and i not in shop_index.style_items)
    for item in report.unknown_items:
        log.info("M3 item %s has a balance but the shop does not sell it", item)
    known = sorted(i for i in items if i in index)
    if not known:
        return report

    quantities, missing = _available(m3, known, warehouses, quantity_field)
    report.not_in_m3 = sorted(missing)
    for item in missing:
        log.warning("the shop sells %s but M3 has no balance for it in warehouses %s", item, warehouses)

    rows = _stock_rows(prestashop)
    letters: list[dict[str, Any]] = []
    touched_products: set[int] = set()
    try:
        for item in sorted(quantities):
            wanted = quantities[item]
            wrote = False
            for product_id, combination_id in index[item]:
                for row in rows.get((product_id, combination_id), []):
                    old = _int(row.get("quantity"))
                    if old == wanted:
                        continue
                    if str(row.get("depends_on_stock", "0")) == "1":
                        log.warning(
                            "stock of product %s combination %s follows warehouse stock in the shop "
                            "(depends_on_stock=1): not written",
                            product_id,
                            combination_id,
                        )
                        continue
                    change = _write(prestashop, row, item, wanted, letters, report)
                    if change is not None:
                        wrote = True
                        if combination_id:
                            touched_products.add(product_id)
            if not wrote:
                report.unchanged.append(item)
        _write_product_totals(prestashop, rows, touched_products, letters, report)
    finally:
        if letters:
            store.quarantine_many(letters)
    return report


@dataclass(frozen=True)
class ShopIndex:
    rows: dict[str, list[tuple[int, int]]]  # M3 item -> (product id, combination id) rows it stocks
    style_items: frozenset[str]  # references of products stocked per combination


def shop_item_index(prestashop: PrestashopClient, mapping: SyncMapping) -> ShopIndex:
    """M3 item number -> the shop's (product id, combination id) rows that stock it.

    A product without combinations is stocked on its own row (combination 0); a product with
    combinations is stocked per combination, its own row being their total. Products and
    combinations whose item cannot be resolved are not stocked from M3 (logged once).
    """
    products = {
        int(p["id"]): str(p.get("reference") or "")
        for p in prestashop.iter_all("products", display="[id,reference]")
    }
    combinations: dict[int, list[tuple[int, str]]] = {}
    for c in prestashop.iter_all("combinations", display="[id,id_product,reference]"):
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


# --- M3 reads --------------------------------------------------------------------------------------


def _changed_items(m3: M3Client, since_lmts: int, warehouses: Sequence[str]) -> list[str]:
    """Items with a balance changed since ``since_lmts`` in one of ``warehouses``."""
    records = m3.execute("OIS100MI", "LstNewBalances", LMTS=since_lmts, maxrecs=0)
    wanted = set(warehouses)
    return sorted({r["ITNO"] for r in records if r.get("ITNO") and r.get("WHLO") in wanted})


def _available(
    m3: M3Client, items: Sequence[str], warehouses: Sequence[str], quantity_field: str
) -> tuple[dict[str, int], list[str]]:
    """Per item, the sum of ``quantity_field`` over ``warehouses`` as whole shop units; and the
    items M3 does not know at all."""
    totals: dict[str, Decimal] = {}
    missing: list[str] = []
    wanted = set(warehouses)
    if quantity_field in ("AV01", "AV02"):
        results = m3.bulk([("OIS100MI", "LstWarehBalance", {"ITNO": item}) for item in items], max_records=0)
        for item, result in zip(items, results, strict=True):
            if not result.ok:
                _raise_if_down(result.error)
                missing.append(item)
                continue
            totals[item] = sum(
                (m3_decimal(r, quantity_field) for r in result.records if r.get("WHLO") in wanted), Decimal(0)
            )
    else:
        calls = [(item, whlo) for item in items for whlo in warehouses]
        results = m3.bulk([("MMS200MI", "GetItmWhsBal", {"WHLO": w, "ITNO": i}) for i, w in calls])
        found: set[str] = set()
        for (item, _whlo), result in zip(calls, results, strict=True):
            totals.setdefault(item, Decimal(0))
            if not result.ok or not result.records:
                _raise_if_down(result.error)
                continue  # the item is not stocked in that warehouse: nothing to add
            found.add(item)
            totals[item] += m3_decimal(result.records[0], quantity_field)
        missing = [i for i in items if i not in found]
        for item in missing:
            totals.pop(item, None)
    return {item: shop_quantity(total) for item, total in totals.items()}, missing


def shop_quantity(m3_quantity: Decimal) -> int:
    """Whole units the shop can sell: rounded down, never negative (an over-allocated item is 0)."""
    return max(0, int(m3_quantity.to_integral_value(rounding=ROUND_FLOOR)))


def _raise_if_down(error: BaseException | None) -> None:
    if isinstance(error, M3GatewayError):
        raise error


# --- shop side -------------------------------------------------------------------------------------


def _stock_rows(prestashop: PrestashopClient) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """Every ``stock_availables`` row, by (product, combination); several in multistore."""
    rows: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in prestashop.iter_all("stock_availables"):
        key = (int(row["id_product"]), int(row["id_product_attribute"]))
        rows.setdefault(key, []).append(row)
    return rows


def _write(
    prestashop: PrestashopClient,
    row: dict[str, Any],
    item: str | None,
    quantity: int,
    letters: list[dict[str, Any]],
    report: StockReport,
) -> StockChange | None:
    """PUT one row with its new absolute quantity; a refused row is dead-lettered."""
    product_id, combination_id = int(row["id_product"]), int(row["id_product_attribute"])
    old = _int(row.get("quantity"))
    try:
        prestashop.update("stock_availables", {**row, "quantity": quantity})
    except (PrestashopUnavailable, PrestashopAuthError):
        raise
    except PrestashopError as error:
        code = error.codes[0] if error.codes else None
        key = f"{product_id}:{combination_id}"
        letters.append(
            {
                "entity": ENTITY,
                "key": key,
                "stage": STAGE,
                "error_code": f"prestashop_{error.status or 'error'}"
                + (f"_{code}" if code is not None else ""),
                "field": "quantity",
                "message": str(error),
                "payload": {
                    "item": item,
                    "product_id": product_id,
                    "combination_id": combination_id,
                    "quantity": quantity,
                    "row_id": row.get("id"),
                },  # fmt: skip
            }
        )
        report.dead_lettered.append(key)
        log.warning("stock row %s refused by the shop: %s", key, error)
        return None
    row["quantity"] = str(quantity)  # keep the in-memory view current for the product totals
    change = StockChange(item, product_id, combination_id, _int(row.get("id_shop")), old, quantity)
    report.changed.append(change)
    return change


def _write_product_totals(
    prestashop: PrestashopClient,
    rows: Mapping[tuple[int, int], list[dict[str, Any]]],
    product_ids: Iterable[int],
    letters: list[dict[str, Any]],
    report: StockReport,
) -> None:
    """Make each product-level row the sum of its combination rows (per shop)."""
    ids = sorted(set(product_ids))
    wanted_ids = set(ids)
    combination_rows: dict[tuple[int, int], list[dict[str, Any]]] = {}  # (product, shop) -> rows
    for (product_id, combination_id), group in rows.items():
        if combination_id and product_id in wanted_ids:
            for r in group:
                combination_rows.setdefault((product_id, _int(r.get("id_shop"))), []).append(r)
    for start in range(0, len(ids), SHOP_IDS_PER_REQUEST):
        chunk = ids[start : start + SHOP_IDS_PER_REQUEST]
        fresh = prestashop.list(
            "stock_availables",
            filters={"id_product": "[" + "|".join(map(str, chunk)) + "]", "id_product_attribute": "[0]"},
        )
        for total_row in fresh:
            product_id, shop_id = int(total_row["id_product"]), _int(total_row.get("id_shop"))
            wanted = sum(_int(r.get("quantity")) for r in combination_rows.get((product_id, shop_id), []))
            if _int(total_row.get("quantity")) != wanted:
                _write(prestashop, total_row, None, wanted, letters, report)


def _int(value: Any) -> int:
    """PrestaShop integers arrive as strings, sometimes empty for 0 (pitfall 15)."""
    text = str(value if value is not None else "").strip()
    return int(text) if text else 0

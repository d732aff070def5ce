"""M3 -> PrestaShop prices: the M3 prices valid today as the shop's ``specific_prices``, only rows
that differ (issue 21 §1).

It reads what its upstream assets stored and nothing else from the same sources:

1. M3's prices and its customers' price terms (``m3_prices``, ``m3_customer_prices``, kept by
   ``infor_price_lists``), read through :class:`~prestashop_infor.sync.m3_prices.PriceBook`;
2. the shop's products and combinations resolved to items (``stock.shop_item_index``), its currencies
   (``ps_currencies``), its customers and their default group (``ps_customers``), and its specific
   prices (``ps_specific_prices``, kept by ``prestashop_specific_prices``).

The planned rows: for each mapped list (``mapping.prices.groups``) and each of its currencies the
shop has, one row per item, quantity break and group (``id_group``); and for each bound customer of
those groups whose prices are not their group's (own lines, a discount, another list; see
``m3_prices``) one row per item and break of their list (``id_customer``). Every row is for all
shops, countries and dates (the push keeps them current: a list that takes over changes the prices
on the next cycle) with ``reduction`` 0: a fixed price tax excluded.

A planned row is matched with the shop's row of the same key (PrestaShop's unique key of
``specific_price``): equal, it is left alone (and adopted: the id map records it as ours); different,
it is written whole (PUT); missing, it is created (POST). A row the id map says is ours that is no
longer planned is deleted. Only rows the id map names are ever deleted: the merchant's own specific
prices (catalogue promotions, other groups) are never touched, except one with the very key of a
planned row, which M3's price replaces (the shop's unique key holds one).

Faults: the id map records a row only once the shop answered that it holds it; a create that
committed unheard is found by the next extraction under its key and adopted, not created twice (the
shop's unique key refuses a second one: code 46, left for that next run); a delete that committed
unheard is found gone and forgotten. A row the shop refuses goes to the dead-letter queue (entity
``specific_price``); the shop unreachable after the client's retries raises once the writes under
way are done. With ``max_seconds`` no write starts after that long; the rest wait for the next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.prestashop.client import PrestashopAuthError, PrestashopError, PrestashopUnavailable
from prestashop_infor.store import Store, id_map, tables
from prestashop_infor.store.prices import forget_specific_prices
from prestashop_infor.sync.customers import ENTITY as CUSTOMER  # shop customer -> M3 customer
from prestashop_infor.sync.m3_prices import PriceBook, discounted
from prestashop_infor.sync.mapping import Mapping
from prestashop_infor.sync.prestashop_extraction import SPECIFIC_PRICES
from prestashop_infor.sync.shop_writes import in_order
from prestashop_infor.sync.stock import shop_item_index

log = logging.getLogger(__name__)

ENTITY = "specific_price"  # id_map: our key -> the shop's id_specific_price; dead letters
STAGE = "load"
UNLIMITED = "0000-00-00 00:00:00"
DUPLICATE = 46  # "Unable to save resource": the unique key already holds the row
RECORD_BATCH = 200  # confirmed creates and updates recorded together

#: (id_product, id_product_attribute, id_customer, id_group, id_currency, from_quantity)
Key = tuple[int, int, int, int, int, int]


def source_key(key: Key) -> str:
    return "{}:{}|c{}|g{}|cur{}|q{}".format(*key)


@dataclass
class PricePushReport:
    planned: int = 0
    unchanged: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    adopted: int = 0  # rows the shop held already, now recorded as ours
    forgotten: int = 0  # rows of ours the shop no longer holds
    dead_lettered: list[str] = field(default_factory=list)
    left_for_next_run: list[str] = field(default_factory=list)  # not started in time, or held already

    @property
    def rows_written(self) -> int:
        return self.created + self.updated + self.deleted


def planned_specific_prices(store: Store, mapping: Mapping, today: date) -> dict[Key, Decimal]:
    """Every row the shop should hold, by key, with its price (module docstring)."""
    rules = mapping.prices
    if not rules.pushed:
        return {}
    book = PriceBook.on(store, today)
    index = shop_item_index(store, mapping).rows
    currencies = {str(c["iso_code"]).upper(): int(c["id"]) for c in store.rows(tables.ps_currencies)}
    planned: dict[Key, Decimal] = {}

    def add(price_list: str, customer: int, group: int, cuno: str, discount: Decimal) -> None:
        for cucd in book.currencies(price_list):
            if cucd not in currencies:
                continue
            for itno in book.items(price_list, cucd, cuno):
                for from_quantity, price in book.breaks(price_list, cucd, itno, cuno):
                    quantity = int(from_quantity.to_integral_value(rounding=ROUND_CEILING))
                    net = discounted(price, discount)
                    for product, combination in index.get(itno, []):
                        planned[(product, combination, customer, group, currencies[cucd], quantity)] = net

    for price_list, groups in rules.groups.items():
        for group in groups:
            add(price_list, 0, group, "", Decimal(0))
    bound = {b.source_key: b.target_key for b in id_map.bindings(store, CUSTOMER)}
    for customer in store.rows_where_in(tables.ps_customers, "id", {int(k) for k in bound if k.isdigit()}):
        group, cuno = customer.get("id_default_group"), bound[str(customer["id"])]
        if rules.list_of_group(group) is None:
            continue  # not a customer of the mapped groups
        terms = book.terms(rules, cuno, group)
        if terms.price_list and (
            terms.own_list or terms.discount or book.has_own_lines(terms.price_list, cuno)
        ):
            add(terms.price_list, int(customer["id"]), 0, cuno, terms.discount)
    return planned


class PricePushRefused(ValueError):
    """The push cannot write what the configuration asks for; nothing was written."""


def push_specific_prices(
    *,
    prestashop: PrestashopClient,
    store: Store,
    mapping: Mapping,
    today: date,
    max_seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> PricePushReport:
    """Make the shop's specific prices M3's (module docstring). Raises when the shop stays unreachable,
    and refuses (``PricePushRefused``) a client restricted to some shops of a multistore: the rows it
    writes are every shop's (``id_shop`` 0)."""
    if prestashop.shops and mapping.prices.pushed:  # what it plans comes only from prices.groups
        raise PricePushRefused(
            f"M3 prices for some shops of a multistore (PRESTASHOP_SHOPS={','.join(map(str, prestashop.shops))}) "
            "are not supported yet: the specific prices written are every shop's; leave prices.groups empty "
            "in this installation's mapping"
        )
    planned = planned_specific_prices(store, mapping, today)
    report = PricePushReport(planned=len(planned))
    shop_rows = {int(r["id"]): r for r in store.rows(tables.ps_specific_prices)}
    by_key = {key: row for row in shop_rows.values() if (key := _key_of(row)) is not None}
    ours = {b.source_key: int(b.target_key) for b in id_map.bindings(store, ENTITY)}
    owner_of = {row_id: key for key, row_id in ours.items()}
    adopt: list[tuple[str, int]] = []
    writes: list[_Write] = []
    matched: set[int] = set()  # shop rows a planned row is kept in
    stale: list[str] = []  # keys of ours whose row now stands for another key (edited in the shop)
    for key, price in sorted(planned.items()):
        row = by_key.get(key)
        if row is None:
            writes.append(_Write("create", key, price))
            continue
        row_id, name = int(row["id"]), source_key(key)
        matched.add(row_id)
        if owner_of.get(row_id, name) != name:
            stale.append(owner_of[row_id])
        if not _same(row, price):
            writes.append(_Write("update", key, price, row_id))
            continue
        report.unchanged += 1
        if ours.get(name) != row_id:
            adopt.append((name, row_id))
    gone = [name for name, row_id in ours.items() if row_id not in shop_rows]
    writes += [_Write("delete", None, None, row_id, name) for name, row_id in sorted(ours.items())
               if row_id in shop_rows and row_id not in matched]  # fmt: skip
    id_map.unbind(store, ENTITY, [*gone, *stale])
    report.forgotten = len(gone)
    id_map.bind_many(store, ENTITY, [(name, str(row_id), None, None) for name, row_id in adopt])
    report.adopted = len(adopt)
    letters: list[dict[str, Any]] = []
    try:
        _write_all(prestashop, store, writes, report, letters, max_seconds, clock)
    finally:
        if letters:
            store.quarantine_many(letters)
    return report


# --- writing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Write:
    action: str  # create | update | delete
    key: Key | None
    price: Decimal | None
    row_id: int | None = None
    name: str | None = None  # the id map's key of a row to delete

    @property
    def label(self) -> str:
        return self.name or source_key(self.key)  # type: ignore[arg-type]


def _record(key: Key, price: Decimal, row_id: int | None = None) -> dict[str, Any]:
    product, combination, customer, group, currency, quantity = key
    record = {"id_shop_group": 0, "id_shop": 0, "id_cart": 0, "id_product": product,
              "id_product_attribute": combination, "id_currency": currency, "id_country": 0, "id_group": group,
              "id_customer": customer, "id_specific_price_rule": 0, "price": f"{price:f}", "from_quantity": quantity,
              "reduction": "0", "reduction_tax": 1, "reduction_type": "amount", "from": UNLIMITED, "to": UNLIMITED}  # fmt: skip
    if row_id is not None:
        record["id"] = row_id
    return record


def _write_all(
    prestashop: PrestashopClient,
    store: Store,
    writes: list[_Write],
    report: PricePushReport,
    letters: list[dict[str, Any]],
    max_seconds: float | None,
    clock: Callable[[], float],
) -> None:
    started = 0
    done: dict[int, dict[str, Any] | None] = {}  # the writes the shop confirmed, handed back or not
    confirmed = _Confirmed(store, report)

    def work(number: int) -> dict[str, Any] | None:
        done[number] = _write(prestashop, writes[number])
        return done[number]

    recorded: set[int] = set()
    try:
        with in_order(range(len(writes)), work, seconds=max_seconds, clock=clock) as outcomes:
            for number, outcome in outcomes:
                write = writes[number]
                started += 1
                try:
                    answer = outcome.result()
                except _Held:
                    report.left_for_next_run.append(write.label)
                    continue
                except _Refused as refused:
                    letters.append(refused.letter)
                    report.dead_lettered.append(write.label)
                    log.warning("specific price %s refused by the shop: %s", write.label, refused)
                    continue
                recorded.add(number)
                confirmed.add(write, answer)
    finally:
        # a write that raised ends the loop once the writes under way are done: what the shop
        # confirmed of those is recorded too (a delete it confirmed is no row of ours any more)
        for number in sorted(set(done) - recorded):
            confirmed.add(writes[number], done[number])
        confirmed.flush()
    report.left_for_next_run += [w.label for w in writes[started:]]


class _Confirmed:
    """The id map and the stored snapshot after writes the shop confirmed. A delete is recorded at
    once (the id map must not claim a row the shop no longer holds); creates and updates
    ``RECORD_BATCH`` at a time (until then the id map claims less than the shop holds, which the
    next run's adoption makes good if this one is killed)."""

    def __init__(self, store: Store, report: PricePushReport):
        self.store, self.report = store, report
        self.rows: list[dict[str, Any]] = []
        self.bindings: list[tuple[str, str, None, None]] = []

    def add(self, write: _Write, answer: dict[str, Any] | None) -> None:
        if write.action == "delete":
            id_map.unbind(self.store, ENTITY, [write.label])
            forget_specific_prices(self.store, [write.row_id])  # type: ignore[list-item]
            self.report.deleted += 1
            return
        assert answer is not None and write.key is not None and write.price is not None
        row_id = int(answer["id"])
        record = _record(write.key, write.price, row_id)
        self.rows.append(SPECIFIC_PRICES.to_row(record, "UTC", datetime.now(UTC)))
        self.bindings.append((write.label, str(row_id), None, None))
        if write.action == "create":
            self.report.created += 1
        else:
            self.report.updated += 1
        if len(self.rows) >= RECORD_BATCH:
            self.flush()

    def flush(self) -> None:
        self.store.upsert(tables.ps_specific_prices, self.rows)
        id_map.bind_many(self.store, ENTITY, self.bindings)
        self.rows, self.bindings = [], []


class _Held(Exception):
    """The shop's unique key holds the row already: the next extraction finds and adopts it."""


class _Refused(Exception):
    def __init__(self, letter: dict[str, Any]) -> None:
        super().__init__(letter["message"])
        self.letter = letter


def _write(prestashop: PrestashopClient, write: _Write) -> dict[str, Any] | None:
    try:
        if write.action == "delete":
            try:
                prestashop.delete("specific_prices", write.row_id)  # type: ignore[arg-type]
            except PrestashopError as error:
                if error.status != 404:
                    raise
            return None
        record = _record(write.key, write.price, write.row_id)  # type: ignore[arg-type]
        if write.action == "create":
            return prestashop.create("specific_prices", record)
        return prestashop.update("specific_prices", record)
    except PrestashopAuthError:
        raise
    except PrestashopError as error:
        if write.action == "create" and error.status == 500 and DUPLICATE in error.codes:
            raise _Held() from error
        if isinstance(error, PrestashopUnavailable):
            raise
        code = error.codes[0] if error.codes else None
        raise _Refused({
            "entity": ENTITY, "key": write.label, "stage": STAGE,
            "error_code": f"prestashop_{error.status or 'error'}" + (f"_{code}" if code is not None else ""),
            "field": "price", "message": str(error),
            "payload": {"action": write.action, "row_id": write.row_id,
                        "price": None if write.price is None else f"{write.price:f}"},
        }) from error  # fmt: skip


# --- the shop's rows -----------------------------------------------------------------------------------


def _key_of(row: dict[str, Any]) -> Key | None:
    """The key of a stored shop row shaped as the push writes them (None: another kind of row)."""
    if any(
        int(row[c]) for c in ("id_cart", "id_shop", "id_shop_group", "id_country", "id_specific_price_rule")
    ):
        return None
    if row["starts"] != UNLIMITED or row["ends"] != UNLIMITED:
        return None
    return (int(row["id_product"]), int(row["id_product_attribute"]), int(row["id_customer"]),
            int(row["id_group"]), int(row["id_currency"]), int(row["from_quantity"]))  # fmt: skip


def _same(row: dict[str, Any], price: Decimal) -> bool:
    try:
        return (Decimal(row["price"]) == price and Decimal(row["reduction"] or 0) == 0
                and row["reduction_type"] in ("amount", ""))  # fmt: skip
    except ArithmeticError:
        return False


__all__ = ["ENTITY", "PricePushReport", "planned_specific_prices", "push_specific_prices", "source_key"]

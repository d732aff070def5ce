"""The shop's stored records: one table per resource, rows as plain lists, and the values PrestaShop
computes on read (getters such as ``products.quantity`` and the ``order_rows`` association).

A row is ``[id, field1, field2, ..., associations?]`` with one slot per field of the resource
definition (``FieldDef.pos``), so 50,000 seeded orders stay small. Multilingual fields hold a dict
language id → text; the associations slot a dict name → list of tuples in ``AssociationDef.fields``
order. Indexes (order lines by order, stock row by product and combination, in the default shop and
by shop) are kept in step by ``insert`` and ``remove``.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from typing import Any

from prestashop_infor.sandbox.prestashop.resources import AssociationDef, FieldDef, ResourceDef

Row = list  # one stored record: [id, field1, field2, ..., associations-dict?]


class Table:
    """Rows of one resource by id, with cached orderings (invalidated by ``version``)."""

    def __init__(self, definition: ResourceDef):
        self.definition = definition
        self.rows: dict[int, Row] = {}
        self.next_id = 1
        self.version = 0
        self._orders: dict[Any, tuple[int, list[int], list[Any] | None]] = {}
        self._ranks: dict[Any, tuple[int, dict[int, int]]] = {}
        # "Database order" is stable but not by id, like the recordings (§5.4), and the same in
        # every process (no Python string hash).
        self._salt = (zlib.crc32(definition.name.encode()) & 0xFFFF) * 40503

    def touch(self) -> None:
        self.version += 1

    def insert(self, row: Row) -> int:
        record_id = row[0]
        if not record_id:
            record_id = row[0] = self.next_id
        self.next_id = max(self.next_id, record_id + 1)
        self.rows[record_id] = row
        self.version += 1
        return record_id

    def database_key(self, record_id: int) -> int:
        """Where a row sits in the unsorted "database order"."""
        return ((record_id * 2654435761) ^ self._salt) & 0xFFFFFFFF

    def database_order(self) -> list[int]:
        """Ids in the order an unsorted list comes back (cached until the table changes)."""
        ids, _ = self.cached("db", lambda: (sorted(self.rows, key=self.database_key), None))
        return ids

    def ranks(self, key: Any, ids: list[int]) -> dict[int, int]:
        """Id -> position in the cached ordering ``key`` (``ids``), to put a subset back in that order."""
        hit = self._ranks.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        positions = {record_id: index for index, record_id in enumerate(ids)}
        self._ranks[key] = (self.version, positions)
        return positions

    def cached(
        self, key: Any, build: Callable[[], tuple[list[int], list[Any] | None]]
    ) -> tuple[list[int], list[Any] | None]:
        hit = self._orders.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1], hit[2]
        ids, keys = build()
        self._orders[key] = (self.version, ids, keys)
        return ids, keys


class RecordStore:
    """Stored records and computed values of the ``Shop`` (a mixin; the state lives on the shop)."""

    definitions: dict[str, ResourceDef]
    tables: dict[str, Table]
    default_language: int
    lock: threading.RLock
    _details_by_order: dict[int, list[int]]
    _stock_by_product: dict[tuple[int, int], int]
    _stock_by_shop: dict[tuple[int, int, int], int]

    # ------------------------------------------------------------------ reading records

    def table(self, resource: str) -> Table:
        return self.tables[resource]

    def records(self, resource: str) -> list[dict[str, Any]]:
        """The stored records of a resource in id order, as dicts (computed fields filled in)."""
        with self.lock:
            definition = self.definitions[resource]
            return [self.as_dict(definition, row) for _, row in sorted(self.tables[resource].rows.items())]

    def record(self, resource: str, record_id: int) -> dict[str, Any] | None:
        with self.lock:
            row = self.tables[resource].rows.get(record_id)
            return None if row is None else self.as_dict(self.definitions[resource], row)

    def as_dict(self, definition: ResourceDef, row: Row) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for f in definition.fields:
            result[f.name] = self.value(definition, row, f)
        if definition.associations:
            result["associations"] = {
                a.name: [
                    dict(zip(a.fields, item, strict=False))
                    for item in self.association_items(definition, row, a)
                ]
                for a in definition.associations
            }
        return result

    def language_ids(self) -> list[int]:
        table = self.tables["languages"]
        return sorted(table.rows) or [1]

    # ------------------------------------------------------------------ storing records

    def new_row(self, resource: str, **values: Any) -> Row:
        """A row with every field at its default, then ``values`` (strings, or dicts for i18n fields)."""
        definition = self.definitions[resource]
        row: Row = [0]
        for f in definition.fields[1:]:
            if f.i18n:
                row.append({lang: "" for lang in self.language_ids()})
            else:
                row.append(f.default)
        if definition.associations:
            row.append({})
        for name, value in values.items():
            if name == "id":
                row[0] = int(value)
            elif name == "associations":
                row[definition.assoc_pos] = value
            else:
                f = definition.by_name[name]
                if f.i18n and isinstance(value, str):
                    value = {lang: value for lang in self.language_ids()}
                row[f.pos] = value
        return row

    def insert(self, resource: str, row: Row) -> int:
        """Store a row (assigning an id when row[0] is 0) and keep the indexes in step."""
        record_id = self.tables[resource].insert(row)
        if resource == "order_details":
            order_id = int(self._field(resource, row, "id_order"))
            self._details_by_order.setdefault(order_id, []).append(record_id)
        elif resource == "stock_availables":
            key = (
                int(self._field(resource, row, "id_product")),
                int(self._field(resource, row, "id_product_attribute")),
            )
            shop_id = int(self._field(resource, row, "id_shop") or 0)
            self._stock_by_shop[(shop_id or 1, *key)] = record_id
            if shop_id in (0, 1):  # the default shop's row: what products.quantity and the checkout read
                self._stock_by_product[key] = record_id
        return record_id

    def remove(self, resource: str, record_id: int) -> Row:
        """Delete a stored row and keep the indexes in step; returns the row."""
        table = self.tables[resource]
        row = table.rows.pop(record_id)
        if resource == "order_details":
            self._details_by_order.get(int(self._field(resource, row, "id_order")), []).remove(record_id)
        elif resource == "stock_availables":
            self._stock_by_product = {k: v for k, v in self._stock_by_product.items() if v != record_id}
            self._stock_by_shop = {k: v for k, v in self._stock_by_shop.items() if v != record_id}
        table.touch()
        return row

    def _field(self, resource: str, row: Row, name: str) -> Any:
        return row[self.definitions[resource].by_name[name].pos]

    def _set(self, resource: str, row: Row, name: str, value: Any) -> None:
        row[self.definitions[resource].by_name[name].pos] = value

    # ------------------------------------------------------------------ computed values

    def value(self, definition: ResourceDef, row: Row, f: FieldDef) -> Any:
        """The value of one field, getters included (§10: NF fields are computed)."""
        name = definition.name
        if name == "products":
            if f.name == "quantity":
                return str(self.stock_quantity(row[0], 0))
            if f.name == "id_default_combination":
                return self._default_combination(row)
        elif name == "combinations" and f.name == "quantity":
            product_id = int(row[definition.by_name["id_product"].pos])
            return self.stock_quantity(product_id, row[0])
        elif name == "categories" and f.name == "nb_products_recursive":
            return "0"
        return row[f.pos]

    def stock_quantity(self, product_id: int, combination_id: int) -> int:
        stock_id = self._stock_by_product.get((product_id, combination_id))
        if stock_id is None:
            return 0
        return int(
            self._field("stock_availables", self.tables["stock_availables"].rows[stock_id], "quantity")
        )

    def _default_combination(self, row: Row) -> str:
        associations = row[self.definitions["products"].assoc_pos] or {}
        combos = associations.get("combinations") or []
        default_pos = self.definitions["combinations"].by_name["default_on"].pos
        table = self.tables["combinations"].rows
        for (combination_id,) in combos:
            combination = table.get(int(combination_id))
            if combination is not None and combination[default_pos] == "1":
                return str(combination_id)
        return "0"

    def association_items(
        self, definition: ResourceDef, row: Row, association: AssociationDef
    ) -> list[tuple]:
        """Items of one association as tuples in ``association.fields`` order."""
        if definition.name == "orders" and association.name == "order_rows":
            details = self.tables["order_details"].rows
            d = self.definitions["order_details"]
            positions = [0 if name == "id" else d.by_name[name].pos for name in association.fields]
            items = []
            for detail_id in self._details_by_order.get(row[0], ()):
                detail = details.get(detail_id)
                if detail is not None:
                    items.append(tuple(str(detail[p]) if p == 0 else detail[p] for p in positions))
            return items
        if definition.name == "products" and association.name == "stock_availables":
            stock_ids = [(sid, attr) for (pid, attr), sid in self._stock_by_product.items() if pid == row[0]]
            return [(str(sid), str(attr)) for sid, attr in sorted(stock_ids, key=lambda item: item[1])]
        associations = row[definition.assoc_pos] or {}
        return associations.get(association.name) or []

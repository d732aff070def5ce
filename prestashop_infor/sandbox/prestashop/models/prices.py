"""Specific prices (``specific_prices``): what PrestaShop's database does to a saved one.

The fields, their validators and the Webservice's order of them are declared in ``resources.py``
(``SpecificPrice::$definition`` and ``$webserviceParameters``, classes/SpecificPrice.php, alike from
1.6 to 9). The generic write rules (writes.py) check them; this module adds what the table
``specific_price`` of install-dev/data/db_structure.sql does on a save:

- ``from`` and ``to`` are DATETIME columns: a date alone is stored at midnight and a date-time MySQL
  cannot hold (non-strict ``sql_mode`` '', set by ``DbPDO::connect``) as ``0000-00-00 00:00:00``,
  the value that means "no limit"; ``reduction_type`` is an ENUM('amount', 'percentage'), which
  stores ``''`` for the ``0`` the validator lets through (``ObjectModel::validateField`` skips a
  value PHP finds empty);
- the UNIQUE KEY ``id_product_2`` over the 13 columns below refuses a second price with the same
  product, combination, customer, cart, dates, shop, shop group, currency, country, group, from
  quantity and price rule. ``SpecificPrice::add`` and ``update`` check nothing themselves (the back
  office calls ``SpecificPrice::exists`` first, the Webservice does not), so the INSERT or UPDATE
  fails, ``ObjectModel::add``/``update`` return false and ``WebserviceRequest::saveEntityFromXml``
  answers 500 code 46 "Unable to save resource" (``Db::q`` reports no SQL error unless
  ``_PS_DEBUG_SQL_``). On PHP 8, 8.x and 9.0 leave PDO in its default exception mode (``DbPDO::getPDO``
  sets no ATTR_ERRMODE, #42569): there the same duplicate ends in an uncaught ``PDOException``, a 500
  without an error document; the emulator answers code 46 on every version.

The key of that index is kept per table version, so a bulk load of prices checks each in constant time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from prestashop_infor.sandbox.prestashop.models.errors import WebserviceError
from prestashop_infor.sandbox.prestashop.models.records import Row, Table
from prestashop_infor.sandbox.prestashop.resources import ResourceDef

RESOURCE = "specific_prices"
UNLIMITED = "0000-00-00 00:00:00"
# UNIQUE KEY `id_product_2` of PREFIX_specific_price, in the order of db_structure.sql
UNIQUE_KEY = ("id_product", "id_product_attribute", "id_customer", "id_cart", "from", "to", "id_shop",
              "id_shop_group", "id_currency", "id_country", "id_group", "from_quantity", "id_specific_price_rule")  # fmt: skip
_DATE_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?: (\d{2}):(\d{2}):(\d{2}))?")


def stored_datetime(text: str) -> str:
    """A written value as a MySQL DATETIME column stores it (``0``, which the validator skips, is zero)."""
    parts = _DATE_TIME.fullmatch(text)
    if parts is None:
        return UNLIMITED
    year, month, date, hour, minute, second = (int(part or 0) for part in parts.groups())
    if month and date:  # zero parts are kept (no NO_ZERO_IN_DATE); impossible dates become zero
        try:
            datetime(year, month, date, hour, minute, second)
        except ValueError:
            return UNLIMITED
    return f"{year:04d}-{month:02d}-{date:02d} {hour:02d}:{minute:02d}:{second:02d}"


class SpecificPrices:
    """The save rules of ``specific_prices`` (a mixin of the ``Shop``; called by writes.py's hooks)."""

    definitions: dict[str, ResourceDef]
    tables: dict[str, Table]
    _price_keys: tuple[int, dict[tuple, int]]  # (table version, unique key -> id)
    _emit_object_event: Callable[[str, str, int, Row], None]  # events.py

    def _price_key(self, row: Row) -> tuple:
        by_name = self.definitions[RESOURCE].by_name
        return tuple(
            row[by_name[name].pos] if name in ("from", "to") else int(row[by_name[name].pos])
            for name in UNIQUE_KEY
        )

    def _price_index(self) -> dict[tuple, int]:
        table = self.tables[RESOURCE]
        version, index = self._price_keys
        if version != table.version:
            index = {self._price_key(row): record_id for record_id, row in table.rows.items()}
            self._price_keys = (table.version, index)
        return index

    def _store_price(self, row: Row) -> None:
        """The columns as MySQL stores them, then the unique key (500 code 46 when taken)."""
        by_name = self.definitions[RESOURCE].by_name
        for name in ("from", "to"):
            row[by_name[name].pos] = stored_datetime(row[by_name[name].pos])
        kind = by_name["reduction_type"].pos
        if row[kind] not in ("amount", "percentage"):
            row[kind] = ""
        if self._price_index().get(self._price_key(row), row[0]) != row[0]:
            raise WebserviceError(500, 46, "Unable to save resource")

    def _reindex_price(self, old: Row | None, row: Row) -> None:
        """After the save: the saved key, valid for the table's new version."""
        _, index = self._price_keys
        if old is not None and index.get(self._price_key(old)) == old[0]:
            del index[self._price_key(old)]
        index[self._price_key(row)] = row[0]
        self._price_keys = (self.tables[RESOURCE].version, index)

    # the hooks writes.py calls around a save
    def _before_create_specific_prices(self, row: Row) -> None:
        self._store_price(row)

    def _after_create_specific_prices(self, row: Row, send_email: bool) -> None:
        self._reindex_price(None, row)
        self._emit_object_event(RESOURCE, "created", row[0], row)  # none today: no webhook for prices

    def _before_update_specific_prices(self, old: Row, row: Row) -> None:
        self._store_price(row)

    def _after_update_specific_prices(self, old: Row, row: Row, send_email: bool) -> None:
        self._reindex_price(old, row)
        self._emit_object_event(RESOURCE, "updated", row[0], row)

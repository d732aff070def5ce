"""Sales price lists of the M3 emulator (OIS017): heads, item lines and quantity breaks.

A price list head is identified as M3 identifies it: price list ``PRRF``, currency ``CUCD``, customer
``CUNO`` (blank: a list for any customer) and valid-from date ``FVDT``; it is valid to ``LVDT``. So
one price list name is several lists: one per currency, per customer and per from date (a price
increase is a new list with a later from date; the old one stays). Whoever reads prices must pick the
list by all four and the date, never "the first list named B2B".

A list holds one line per item (``AddBasePrice``): its sales price ``SAPR`` for ``SACD`` units of the
item's unit ``SPUN``, valid from ``VFDT`` (the list's from date unless given) to ``LVDT`` (the list's
unless given), and the line's quantity breaks (``AddGradSlsPrc``): from a lowest quantity ``QTYL`` on,
another price (given, or the line's price times an adjustment factor ``PCOF``).

Every change moves the record's change number, ``LMDT`` and ``LMTS`` (a change of a break moves its
line's ``LMDT`` and ``LMTS`` too: the line's prices changed). The 2020 OIS017MI spec answers none of
them, so an integration cannot list the prices changed since a cursor through OIS017MI: the stamps
are kept for the sandbox hook and tests.

A customer prices by its price list table ``PLTB`` (CRS610): in M3 a price-list selection table that
ranks lists; the emulator reads it as the price list ``PRRF`` itself (``sales_price``). The customer's
discount percentage ``DIPC`` is kept and shown, not applied. Scales, formulas and matrix start values
(``MXID``, ``FMID``, ``RESI``, ``SGGU``, ``OBV1``-``OBV3``) are not modelled: the writes refuse them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from prestashop_infor.sandbox.infor.models.records import BasePrice, Customer, GradPrice, Item, PriceList
from prestashop_infor.sandbox.infor.models.values import (
    MSG_EXISTS,
    MSG_NOT_FOUND,
    MSG_UNKNOWN_ITEM,
    MSG_WRONG_STATE,
    M3Failure,
    dec,
    money,
    next_change_number,
)

#: Currencies of the emulator's company (M3's currency table, CRS055): a list in another fails.
CURRENCIES = frozenset({"EUR", "USD", "GBP", "CHF", "SEK", "DKK", "NOK", "PLN", "CZK"})


class Quote(NamedTuple):
    """The price a customer pays for an item: from which list, line and break (``qtyl`` 0: none)."""

    price_list: PriceList
    line: BasePrice
    qtyl: Decimal
    sapr: Decimal  # for ``line.sacd`` units


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


class PriceLists:
    """The sales price lists of ``M3Tenant`` (a mixin; the state lives on the tenant)."""

    items: dict[str, Item]
    customers: dict[str, Customer]
    price_lists: dict[tuple[str, str, str, date], PriceList]  # (PRRF, CUCD, CUNO, FVDT)
    currencies: set[str]
    _lock: threading.RLock

    today: Callable[[], date]  # the tenant's (lifecycle.py)
    next_lmts: Callable[[], int]

    # -- reading -------------------------------------------------------------------------------

    def price_lists_named(self, prrf: str) -> list[PriceList]:
        return [p for p in self.price_lists.values() if p.prrf == prrf]

    def price_list(self, prrf: str, cucd: str, fvdt: date, cuno: str = "") -> PriceList:
        """The list with exactly these keys, or M3's "does not exist" naming ``PRRF``."""
        found = self.price_lists.get((prrf, cucd, cuno, fvdt))
        if found is None:
            whose = f" of customer {cuno}" if cuno else ""
            raise M3Failure(
                MSG_NOT_FOUND,
                f"Price list {prrf} in {cucd}{whose} valid from {_day(fvdt)} does not exist",
                "PRRF",
            )
        return found

    @staticmethod
    def base_price(plist: PriceList, itno: str, vfdt: date | None = None) -> BasePrice:
        line = plist.lines.get(itno)
        if line is None or (vfdt is not None and line.vfdt != vfdt):
            raise M3Failure(
                MSG_NOT_FOUND, f"Item {itno} has no price in price list {plist.prrf} {plist.cucd}", "ITNO"
            )
        return line

    @staticmethod
    def price_break(line: BasePrice, qtyl: Decimal) -> GradPrice:
        found = line.breaks.get(qtyl)
        if found is None:
            raise M3Failure(
                MSG_NOT_FOUND, f"Quantity break {dec(qtyl)} of item {line.itno} does not exist", "QTYL"
            )
        return found

    def valid_list(self, prrf: str, cucd: str, on: date | None = None, cuno: str = "") -> PriceList | None:
        """The list ``prrf`` in ``cucd`` valid on ``on`` (today): the customer's own before the one for
        any customer, then the latest from date."""
        day = on or self.today()
        valid = [
            p
            for p in self.price_lists.values()
            if p.prrf == prrf and p.cucd == cucd and p.cuno in ("", cuno) and p.fvdt <= day <= p.lvdt
        ]
        return max(valid, key=lambda p: (p.cuno != "", p.fvdt), default=None)

    def sales_price(
        self,
        cuno: str,
        itno: str,
        quantity: Decimal | int = 1,
        on: date | None = None,
        cucd: str | None = None,
    ) -> Quote | None:
        """What the customer pays for ``quantity`` of the item on ``on`` (today) in ``cucd`` (its
        currency), by its price list table: of the lists of that name and currency valid that day
        whose line for the item is valid that day too, the customer's own before the one for any
        customer, then the latest from date; its line's price, or that of the highest quantity break
        the quantity reaches. None when no list prices the item."""
        with self._lock:
            customer = self.customers.get(cuno)
            if customer is None or not customer.pltb:
                return None
            day = on or self.today()
            valid = [
                p
                for p in self.price_lists.values()
                if p.prrf == customer.pltb
                and p.cucd == (cucd or customer.cucd)
                and p.cuno in ("", cuno)
                and p.fvdt <= day <= p.lvdt
                and itno in p.lines
                and p.lines[itno].vfdt <= day <= (p.lines[itno].lvdt or p.lvdt)
            ]
            plist = max(valid, key=lambda p: (p.cuno != "", p.fvdt), default=None)
            if plist is None:
                return None
            line = plist.lines[itno]
            reached = [q for q in line.breaks if q <= Decimal(quantity)]
            if not reached:
                return Quote(plist, line, Decimal(0), line.sapr)
            qtyl = max(reached)
            return Quote(plist, line, qtyl, line.breaks[qtyl].sapr)

    # -- a person maintaining prices (OIS017) --------------------------------------------------

    def _stamp(
        self, record: PriceList | BasePrice | GradPrice, created: bool = False, count: bool = True
    ) -> None:
        """Move a record's change date and ``LMTS``; a head's or line's change number too (``count``),
        unless it is being created (then its registration date is set)."""
        record.lmdt = self.today()
        record.lmts = self.next_lmts()
        if isinstance(record, GradPrice):
            return
        if created:
            record.rgdt = record.lmdt
        elif count:
            record.chno = next_change_number(record.chno)

    def add_price_list(
        self,
        prrf: str,
        cucd: str,
        fvdt: date,
        lvdt: date,
        tx40: str,
        *,
        cuno: str = "",
        tx15: str = "",
        crtp: str = "1",
        fields: dict[str, str] | None = None,
    ) -> PriceList:
        with self._lock:
            if cucd not in self.currencies:
                raise M3Failure(MSG_NOT_FOUND, f"Currency {cucd} does not exist", "CUCD")
            if cuno and cuno not in self.customers:
                raise M3Failure(MSG_NOT_FOUND, f"Customer number {cuno} does not exist", "CUNO")
            if lvdt < fvdt:
                raise M3Failure(
                    MSG_WRONG_STATE, f"Valid to {_day(lvdt)} is before valid from {_day(fvdt)}", "LVDT"
                )
            if (prrf, cucd, cuno, fvdt) in self.price_lists:
                raise M3Failure(
                    MSG_EXISTS, f"Price list {prrf} in {cucd} valid from {_day(fvdt)} already exists", "PRRF"
                )
            plist = PriceList(prrf, cucd, cuno, fvdt, lvdt, tx40, tx15, crtp, dict(fields or {}))
            self._stamp(plist, created=True)
            self.price_lists[plist.key] = plist
            return plist

    def change_price_list(self, plist: PriceList, lvdt: date | None = None, **texts: str) -> None:
        """Set the valid-to date (not before the list's from date, nor before the end of a line's
        validity) and the texts given (``tx40``, ``tx15``, ``crtp``)."""
        with self._lock:
            if lvdt is not None:
                if lvdt < plist.fvdt:
                    raise M3Failure(
                        MSG_WRONG_STATE,
                        f"Valid to {_day(lvdt)} is before valid from {_day(plist.fvdt)}",
                        "LVDT",
                    )
                for line in plist.lines.values():
                    if max(line.vfdt, line.lvdt or line.vfdt) > lvdt:
                        raise M3Failure(
                            MSG_WRONG_STATE,
                            f"Valid to {_day(lvdt)} would end the list before its line of item {line.itno}",
                            "LVDT",
                        )
                plist.lvdt = lvdt
            for name, value in texts.items():
                setattr(plist, name, value)
            self._stamp(plist)

    def delete_price_list(self, plist: PriceList) -> None:
        """Delete the list with its lines and their breaks."""
        with self._lock:
            self.price_lists.pop(plist.key, None)

    def add_base_price(
        self,
        plist: PriceList,
        itno: str,
        sapr: Decimal,
        *,
        vfdt: date | None = None,
        lvdt: date | None = None,
        sacd: int = 1,
        spun: str = "",
        ntcd: str = "",
        cmno: str = "",
    ) -> BasePrice:
        with self._lock:
            item = self.items.get(itno)
            if item is None:
                raise M3Failure(MSG_UNKNOWN_ITEM, f"Item number {itno} does not exist", "ITNO")
            if itno in plist.lines:
                raise M3Failure(
                    MSG_EXISTS,
                    f"Item {itno} already has a price in price list {plist.prrf} {plist.cucd}",
                    "ITNO",
                )
            line = BasePrice(itno, Decimal(0), vfdt or plist.fvdt, spun=item.unms, ntcd=ntcd, cmno=cmno)
            self._set_line(plist, line, sapr=sapr, lvdt=lvdt, sacd=sacd, spun=spun or item.unms)
            self._stamp(line, created=True)
            plist.lines[itno] = line
            return line

    def change_base_price(
        self,
        plist: PriceList,
        line: BasePrice,
        *,
        sapr: Decimal | None = None,
        lvdt: date | None = None,
        sacd: int | None = None,
        spun: str | None = None,
        **texts: str,
    ) -> None:
        """Change what is given of the line (``texts``: ``ntcd``, ``cmno``), checked in full first."""
        with self._lock:
            self._set_line(plist, line, sapr=sapr, lvdt=lvdt, sacd=sacd, spun=spun)
            for name, value in texts.items():
                setattr(line, name, value)
            self._stamp(line)

    def _set_line(
        self,
        plist: PriceList,
        line: BasePrice,
        *,
        sapr: Decimal | None,
        lvdt: date | None,
        sacd: int | None,
        spun: str | None,
    ) -> None:
        if not plist.fvdt <= line.vfdt <= plist.lvdt:
            raise M3Failure(
                MSG_WRONG_STATE,
                f"Valid from {_day(line.vfdt)} lies outside the price list's {_day(plist.fvdt)}-{_day(plist.lvdt)}",
                "VFDT",
            )
        if lvdt is not None and not line.vfdt <= lvdt <= plist.lvdt:
            raise M3Failure(
                MSG_WRONG_STATE,
                f"Valid to {_day(lvdt)} lies outside {_day(line.vfdt)}-{_day(plist.lvdt)}",
                "LVDT",
            )
        if sapr is not None and sapr < 0:
            raise M3Failure(MSG_WRONG_STATE, f"Sales price {dec(sapr)} must not be negative", "SAPR")
        if sacd is not None and sacd < 1:
            raise M3Failure(MSG_WRONG_STATE, f"Sales price quantity {sacd} must be at least 1", "SACD")
        unit = self.items[line.itno].unms
        if spun is not None and spun != unit:
            raise M3Failure(
                MSG_NOT_FOUND,
                f"Unit of measure {spun} is not defined for item {line.itno} (its unit: {unit})",
                "SPUN",
            )
        if sapr is not None:
            line.sapr = sapr
        if lvdt is not None:
            line.lvdt = lvdt
        if sacd is not None:
            line.sacd = sacd

    def delete_base_price(self, plist: PriceList, line: BasePrice) -> None:
        with self._lock:
            plist.lines.pop(line.itno, None)

    def set_price_break(
        self, line: BasePrice, qtyl: Decimal, sapr: Decimal | None, pcof: Decimal | None, *, new: bool
    ) -> GradPrice:
        """Add (``new``) or change the line's break from ``qtyl`` units: its price ``sapr``, else the
        line's price times ``pcof``. Moves the break's and the line's change stamps."""
        with self._lock:
            if qtyl <= 0:
                raise M3Failure(MSG_WRONG_STATE, f"Lowest quantity limit {dec(qtyl)} must be above 0", "QTYL")
            if new and qtyl in line.breaks:
                raise M3Failure(
                    MSG_EXISTS, f"Quantity break {dec(qtyl)} of item {line.itno} already exists", "QTYL"
                )
            brk = GradPrice(qtyl, Decimal(0)) if new else self.price_break(line, qtyl)
            if pcof is not None and pcof < 0:
                raise M3Failure(
                    MSG_WRONG_STATE, f"Price adjustment factor {dec(pcof)} must not be negative", "PCOF"
                )
            if sapr is not None and sapr < 0:
                raise M3Failure(MSG_WRONG_STATE, f"Sales price {dec(sapr)} must not be negative", "SAPR")
            if pcof is not None:
                brk.pcof = pcof
            if sapr is not None:
                brk.sapr = sapr
            elif pcof is not None:
                brk.sapr = money(line.sapr * pcof)
            line.breaks[qtyl] = brk
            self._stamp(brk)
            self._stamp(line, count=False)
            return brk

    def delete_price_break(self, line: BasePrice, brk: GradPrice) -> None:
        with self._lock:
            line.breaks.pop(brk.qtyl, None)
            self._stamp(line, count=False)

    def set_price(
        self,
        prrf: str,
        cucd: str,
        itno: str,
        sapr: Decimal,
        *,
        cuno: str = "",
        fvdt: date | None = None,
        qtyl: Decimal | None = None,
    ) -> tuple[PriceList, BasePrice]:
        """A person sets one price (the sandbox hook): of the list from ``fvdt`` (else the one valid
        today), the item's line (added when the list has none) or, with ``qtyl``, its quantity break
        (added when missing)."""
        with self._lock:
            if fvdt is not None:
                plist = self.price_list(prrf, cucd, fvdt, cuno)
            else:
                found = self.valid_list(prrf, cucd, cuno=cuno)
                if found is None or found.cuno != cuno:
                    raise M3Failure(
                        MSG_NOT_FOUND,
                        f"No price list {prrf} in {cucd} is valid on {_day(self.today())}",
                        "PRRF",
                    )
                plist = found
            line = plist.lines.get(itno)
            if qtyl is None:
                if line is None:
                    line = self.add_base_price(plist, itno, sapr)
                else:
                    self.change_base_price(plist, line, sapr=sapr)
                return plist, line
            if line is None:
                raise M3Failure(
                    MSG_NOT_FOUND,
                    f"Item {itno} has no price in price list {prrf} {cucd}: no break without one",
                    "ITNO",
                )
            self.set_price_break(line, qtyl, sapr, None, new=qtyl not in line.breaks)
            return plist, line


__all__ = ["CURRENCIES", "PriceLists", "Quote"]

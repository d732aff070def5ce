"""The customer orders a tenant keeps, and their indexes by order date and by customer order
number (CUOR), so the reads that look orders up by them need no scan."""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from prestashop_infor.sandbox.infor.models.records import CustomerOrder
from prestashop_infor.sandbox.infor.models.values import MSG_NOT_FOUND, M3Failure


class OrderIndex:
    """The customer orders of ``M3Tenant`` (a mixin, under ``OrderLifecycle``); an index entry whose
    order was deleted is skipped."""

    orders: dict[str, CustomerOrder]
    order_dates: list[tuple[str, str]]  # (ORDT as YYYYMMDD, ORNO), sorted
    orders_by_cuor: dict[str, list[str]]  # CUOR -> ORNO

    def add_order(self, order: CustomerOrder) -> None:
        """Keep a customer order, and its place in the indexes by order date and by CUOR."""
        self.orders[order.orno] = order
        bisect.insort(self.order_dates, (order.ordt.strftime("%Y%m%d"), order.orno))
        self.orders_by_cuor.setdefault(order.cuor, []).append(order.orno)

    def remove_order(self, order: CustomerOrder) -> None:
        """Forget a deleted customer order (``OIS100MI/DelHead``), and its place in the indexes."""
        del self.orders[order.orno]
        entry = (order.ordt.strftime("%Y%m%d"), order.orno)
        index = bisect.bisect_left(self.order_dates, entry)
        if index < len(self.order_dates) and self.order_dates[index] == entry:
            del self.order_dates[index]
        same_cuor = self.orders_by_cuor.get(order.cuor, [])
        if order.orno in same_cuor:
            same_cuor.remove(order.orno)

    def orders_from_date(self, ordt: str) -> Iterator[CustomerOrder]:
        """Orders dated ``ordt`` (YYYYMMDD, compared as text like the read engine does) or later, in
        order date then order number order: ``OIS175MI/LstHeadByDate`` without a scan."""
        dates = self.order_dates
        for index in range(bisect.bisect_left(dates, (ordt, "")), len(dates)):
            order = self.orders.get(dates[index][1])
            if order is not None:
                yield order

    def orders_of_cuor(self, cuor: str) -> list[CustomerOrder]:
        return [o for o in map(self.orders.get, self.orders_by_cuor.get(cuor, ())) if o is not None]

    def _order(self, orno: str) -> CustomerOrder:
        order = self.orders.get(orno)
        if order is None:
            raise M3Failure(MSG_NOT_FOUND, f"Order number {orno} does not exist", "ORNO")
        return order

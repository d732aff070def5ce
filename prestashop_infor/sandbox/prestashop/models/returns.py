"""Merchandise returns and credit slips of the shop, as PrestaShop keeps them.

``request_return`` is what a customer does on a delivered order's page in the front office
(``OrderFollowController``): an ``OrderReturn`` in state 1 "Waiting for confirmation" with its lines
in ``order_return_detail``, and the hook ``actionOrderReturn``. PrestaShop checks that the order was
delivered and that no line is asked back more often than it was bought (``checkEnoughProduct``:
returns not denied count).

``refund`` is the back office's refund of order lines (1.7.7+: ``IssueStandardRefundHandler`` before
shipping, ``IssueReturnProductHandler`` after; ``OrderSlipCreator`` and ``OrderRefundUpdater``): a
credit slip (``order_slip``) for the quantities given at the lines' unit prices, and the shipping
when asked; each line's refunded quantity (``product_quantity_return`` once the order has shipped,
``product_quantity_refunded`` before) and ``total_refunded_tax_*`` grow; the customer gets the
``credit_slip`` email and ``actionOrderSlipAdd`` fires. The order itself is not saved, so its
``date_upd`` stays. A line is never refunded past its quantity, and an unpaid order not at all.

PrestaShop never moves an order to "Refunded" by itself: the merchant picks that state. The
emulator plays the merchant who does so when the refund leaves no product of the order unrefunded
(shipping does not decide it): the state change is then a normal one (history, email, events).

The Webservice serves ``order_slip`` (its lines are the virtual ``order_slip_details``) but not
``order_returns`` before 9.0, and never the return's lines: ``OrderReturn`` has no Webservice getter
for ``order_return_detail`` (classes/order/OrderReturn.php), so the shop keeps them here, in
``Shop.order_return_details`` (return id -> [(order detail id, quantity)]). The webhooks contract
names no slip or return event: a slip emits ``order.updated`` for its order (``actionOrderSlipAdd``
in ``source_hook``), so a receiver re-reads the order and its details; a return emits what the
project's module sends, ``order_return.created`` (``actionOrderReturn``) and, when the merchant
changes its state (``set_return_state``, or a Webservice PUT from 9.0),
``order_return.updated``, each with the return's lines.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from prestashop_infor import names
from prestashop_infor.sandbox.prestashop.models.clock import ShopClock
from prestashop_infor.sandbox.prestashop.models.records import Row, Table
from prestashop_infor.sandbox.prestashop.resources import ResourceDef

DELIVERED_STATE = 5  # PS_OS_DELIVERED of a fresh install: an order is returnable once it was there
REFUNDED_STATE = 7  # PS_OS_REFUND of a fresh install
RETURN_STATES = {  # OrderReturnState of a fresh install (install-dev/data/xml/order_return_state.xml)
    1: ("Waiting for confirmation", "RoyalBlue"),
    2: ("Waiting for package", "#8A2BE2"),
    3: ("Package received", "#32CD32"),
    4: ("Return denied", "#DC143C"),
    5: ("Return completed", "#108510"),
}
RETURN_DENIED = 4

Lines = Sequence[tuple[int, int]]  # (order detail id, quantity)


def _money(value: float) -> str:
    return f"{value:.6f}"


class Returns:
    """Returns and refunds of the ``Shop`` (a mixin; the state lives on the shop)."""

    definitions: dict[str, ResourceDef]
    tables: dict[str, Table]
    clock: ShopClock
    lock: threading.RLock
    order_return_details: dict[int, list[tuple[int, int]]]
    counters: dict[str, int]
    _details_by_order: dict[int, list[int]]

    # ------------------------------------------------------------------ the shop's Python API

    def request_return(self, order_id: int, lines: Lines, question: str = "") -> int:
        """A customer asks to send back ``lines`` of a delivered order; returns the return's id."""
        with self.lock:
            self._order_row(order_id)  # no such order: ValueError
            if not self._has_reached(order_id, lambda state: state == DELIVERED_STATE):
                raise ValueError(f"order {order_id} has not been delivered: it cannot be returned yet")
            wanted = self._checked_lines(order_id, lines)
            for detail_id, quantity in wanted:
                left = self._detail_quantity(detail_id) - self._quantity_asked_back(order_id, detail_id)
                if quantity > left:
                    raise ValueError(f"order detail {detail_id} has {left} left to return, not {quantity}")
            return_id = self.add_return(order_id, wanted, question, state=1, when=self.clock.local_text())
            self._emit_order_return(names.ORDER_RETURN_CREATED, "actionOrderReturn", return_id)
            return return_id

    def set_return_state(self, return_id: int, state: int) -> None:
        """The merchant moves a return to ``state`` in the back office (accepts it: 2, receives the
        package: 3, denies it: 4, completes it: 5); ``actionObjectOrderReturnUpdateAfter`` fires."""
        with self.lock:
            row = self.tables["order_returns"].rows.get(int(return_id))
            if row is None:
                raise ValueError(f"no merchandise return {return_id} in this shop")
            if int(state) not in RETURN_STATES:
                raise ValueError(f"no return state {state}: the shop has {sorted(RETURN_STATES)}")
            by_name = self.definitions["order_returns"].by_name
            row = list(row)
            row[by_name["state"].pos] = str(int(state))
            row[by_name["date_upd"].pos] = self.clock.local_text()
            self.tables["order_returns"].rows[int(return_id)] = row
            self.tables["order_returns"].touch()
            self._emit_order_return(
                names.ORDER_RETURN_UPDATED, "actionObjectOrderReturnUpdateAfter", return_id
            )

    def _emit_order_return(self, event: str, hook: str, return_id: int) -> None:
        """The module's ``order_return.*`` event: the return with its lines (prestashop-module/README.md),
        which the Webservice never shows."""
        row = self.tables["order_returns"].rows[int(return_id)]
        by_name = self.definitions["order_returns"].by_name
        data = {
            "id_order_return": int(return_id),
            **{name: int(row[by_name[name].pos]) for name in ("id_order", "id_customer", "state")},
            "date_upd": row[by_name["date_upd"].pos],
            "lines": [{"id_order_detail": detail, "product_quantity": quantity}
                      for detail, quantity in sorted(self.order_return_details.get(int(return_id), []))],
        }  # fmt: skip
        key = f"order_return_events:{int(return_id)}"  # the module counts each return's events
        self.counters[key] = self.counters.get(key, 0) + 1
        self._emit(event, hook, "order_returns", int(return_id), data, version=self.counters[key])

    def refund(self, order_id: int, lines: Lines, shipping: bool = False) -> int:
        """The merchant refunds ``lines`` of a paid order (and its shipping); returns the slip's id."""
        with self.lock:
            order = self._order_row(order_id)
            if self._field("orders", order, "total_paid_real") == "0.000000":
                raise ValueError(f"order {order_id} has not been paid: there is nothing to refund")
            wanted = self._checked_lines(order_id, lines, allow_none=shipping)
            for detail_id, quantity in wanted:
                left = self._detail_quantity(detail_id) - self._refunded_quantity(detail_id)
                if quantity > left:
                    raise ValueError(f"order detail {detail_id} has {left} left to refund, not {quantity}")
            if shipping and self._shipping_refunded(order_id):
                raise ValueError(f"the shipping of order {order_id} is already refunded")
            if not wanted and self._field("orders", order, "total_shipping_tax_incl") == "0.000000":
                raise ValueError(f"order {order_id} charged no shipping: there is nothing to refund")
            shipped = self._has_reached(order_id, lambda state: self._state_flag(state, "shipped"))
            slip_id = self.add_slip(order_id, wanted, shipping, when=self.clock.local_text(), shipped=shipped)
            self._send_order_email(order, "credit_slip", "New credit slip regarding your order")
            self._emit(
                names.ORDER_UPDATED,
                "actionOrderSlipAdd",
                "orders",
                order_id,
                {"id_order": order_id, "date_upd": self._field("orders", order, "date_upd")},
            )
            current = int(self._field("orders", order, "current_state"))
            refunded_state = REFUNDED_STATE in self.tables["order_states"].rows and current != REFUNDED_STATE
            if refunded_state and self._fully_refunded(order_id):
                self.change_order_state(order_id, REFUNDED_STATE)
            return slip_id

    # ------------------------------------------------------------------ records (seeding uses these too)

    def add_return(self, order_id: int, lines: Lines, question: str, state: int, when: str) -> int:
        """Store a return of ``lines`` dated ``when``, without checks or events."""
        order = self.tables["orders"].rows[order_id]
        row = self.new_row(
            "order_returns",
            id_customer=self._field("orders", order, "id_customer"),
            id_order=str(order_id),
            question=question,
            state=str(state),
            date_add=when,
            date_upd=when,
        )
        return_id = self.insert("order_returns", row)
        self.order_return_details[return_id] = [(int(d), int(q)) for d, q in lines]
        return return_id

    def add_slip(self, order_id: int, lines: Lines, shipping: bool, when: str, shipped: bool) -> int:
        """Store the credit slip of a refund dated ``when`` and count it on the order's lines (as
        returned when the order had ``shipped``, else as refunded), without checks or events."""
        order = self.tables["orders"].rows[order_id]
        d = self.definitions["order_details"].by_name
        counted = d["product_quantity_return" if shipped else "product_quantity_refunded"].pos
        details: list[tuple[int, int, float, float]] = []  # detail id, quantity, amount tax excl, incl
        for detail_id, quantity in lines:
            detail = list(self.tables["order_details"].rows[detail_id])
            excl = float(detail[d["unit_price_tax_excl"].pos]) * quantity
            incl = float(detail[d["unit_price_tax_incl"].pos]) * quantity
            detail[counted] = str(int(detail[counted]) + quantity)
            for name, amount in (("total_refunded_tax_excl", excl), ("total_refunded_tax_incl", incl)):
                if name in d:  # 1.7+
                    detail[d[name].pos] = _money(float(detail[d[name].pos]) + amount)
            self.tables["order_details"].rows[detail_id] = detail
            details.append((detail_id, quantity, excl, incl))
        self.tables["order_details"].touch()
        shipping_excl = float(self._field("orders", order, "total_shipping_tax_excl")) if shipping else 0.0
        shipping_incl = float(self._field("orders", order, "total_shipping_tax_incl")) if shipping else 0.0
        products_incl = sum(incl for *_, incl in details)
        row = self.new_row(
            "order_slip",
            id_customer=self._field("orders", order, "id_customer"),
            id_order=str(order_id),
            conversion_rate=self._field("orders", order, "conversion_rate"),
            total_products_tax_excl=_money(sum(excl for _, _, excl, _ in details)),
            total_products_tax_incl=_money(products_incl),
            total_shipping_tax_excl=_money(shipping_excl),
            total_shipping_tax_incl=_money(shipping_incl),
            # the shop shows prices tax included (customer groups' price_display_method 0), so the
            # refunded amount is the tax-included one (OrderSlipCreator with add_tax false)
            amount=_money(products_incl),
            shipping_cost="1" if shipping_incl > 0 else "0",
            shipping_cost_amount=_money(shipping_incl),
            partial="0",
            order_slip_type="2" if shipping_incl > 0 else "0",  # VoucherRefundType: 2 specific amount
            date_add=when,
            date_upd=when,
        )
        slip_id = self.insert("order_slip", row)
        row[self.definitions["order_slip"].assoc_pos] = {
            "order_slip_details": [
                (str(slip_id), str(d), str(q), _money(excl), _money(incl)) for d, q, excl, incl in details
            ]
        }
        return slip_id

    # ------------------------------------------------------------------ checks

    def _order_row(self, order_id: int) -> Row:
        order = self.tables["orders"].rows.get(int(order_id))
        if order is None:
            raise ValueError(f"no order {order_id} in this shop")
        return order

    def _checked_lines(self, order_id: int, lines: Lines, allow_none: bool = False) -> list[tuple[int, int]]:
        """The lines as (order detail id, quantity), each a detail of this order with a positive quantity."""
        if not lines and not allow_none:
            raise ValueError("give at least one line: [(order detail id, quantity), ...]")
        own = set(self._details_by_order.get(int(order_id), ()))
        checked = []
        for detail_id, quantity in lines:
            if int(detail_id) not in own:
                raise ValueError(f"order detail {detail_id} is not a line of order {order_id}")
            if int(quantity) <= 0:
                raise ValueError(f"quantity must be positive, got {quantity}")
            checked.append((int(detail_id), int(quantity)))
        if len({d for d, _ in checked}) != len(checked):
            raise ValueError("each order detail may be given once")
        return checked

    def _detail_quantity(self, detail_id: int) -> int:
        return int(
            self._field("order_details", self.tables["order_details"].rows[detail_id], "product_quantity")
        )

    def _refunded_quantity(self, detail_id: int) -> int:
        detail = self.tables["order_details"].rows[detail_id]
        return int(self._field("order_details", detail, "product_quantity_refunded")) + int(
            self._field("order_details", detail, "product_quantity_return")
        )

    def _quantity_asked_back(self, order_id: int, detail_id: int) -> int:
        """What returns of the order not denied already ask back of one line."""
        state_pos = self.definitions["order_returns"].by_name["state"].pos
        order_pos = self.definitions["order_returns"].by_name["id_order"].pos
        return sum(
            quantity
            for return_id, row in self.tables["order_returns"].rows.items()
            if row[order_pos] == str(order_id) and row[state_pos] != str(RETURN_DENIED)
            for detail, quantity in self.order_return_details.get(return_id, ())
            if detail == detail_id
        )

    def _shipping_refunded(self, order_id: int) -> bool:
        slip = self.definitions["order_slip"].by_name
        return any(
            row[slip["id_order"].pos] == str(order_id) and row[slip["shipping_cost"].pos] == "1"
            for row in self.tables["order_slip"].rows.values()
        )

    def _fully_refunded(self, order_id: int) -> bool:
        details = self._details_by_order.get(int(order_id), ())
        return bool(details) and all(self._refunded_quantity(d) >= self._detail_quantity(d) for d in details)

    def _has_reached(self, order_id: int, reached: Callable[[int], bool]) -> bool:
        """Whether the order's history holds a state for which ``reached(state id)`` is true."""
        history = self.definitions["order_histories"].by_name
        order_pos, state_pos = history["id_order"].pos, history["id_order_state"].pos
        return any(
            row[order_pos] == str(order_id) and reached(int(row[state_pos]))
            for row in self.tables["order_histories"].rows.values()
        )

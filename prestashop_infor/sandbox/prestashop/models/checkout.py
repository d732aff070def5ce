"""How the shop builds an order at checkout: its lines and totals, carrier row, payment and history.

The checkout offers the payment modules, carriers and tax rates below (the seeded shop's catalog
and reference data are made to match). ``build_order`` serves both a live checkout
(``Shop.place_order``: first state of the payment module, stock taken off) and seeding (a whole
history path written at once, without events). Rows are copied from per-resource templates and
repeated values share one string object, which keeps 50,000 seeded orders small and fast.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prestashop_infor.sandbox.prestashop.models.records import Row, Table
from prestashop_infor.sandbox.prestashop.resources import ResourceDef

if TYPE_CHECKING:
    from prestashop_infor.sandbox.prestashop.models.shop import Shop

CARRIERS = [  # id, name, delay, shipping cost tax excl (EUR), tracking url
    (1, "Click and collect", "Pick up in-store", "0.00", ""),
    (
        2,
        "Colissimo",
        "Delivery in 2-3 days",
        "5.90",
        "https://www.laposte.fr/outils/suivre-vos-envois?code=@",
    ),
    (3, "DHL Express", "Delivery next day!", "12.00", "https://www.dhl.com/track?tracking-id=@"),
]


PAYMENTS_17 = [  # module, label, initial state, weight
    ("ps_checkout", "Card via PrestaShop Checkout", 2, 40),
    ("ps_wirepayment", "Bank transfer", 10, 30),
    ("ps_checkpayment", "Payments by check", 1, 10),
    ("ps_cashondelivery", "Cash on delivery (COD)", 13, 20),
]
MODULES_16 = {
    "ps_checkpayment": "cheque",
    "ps_wirepayment": "bankwire",
    "ps_cashondelivery": "cashondelivery",
}

TAX_RATE = {"US": 0.0, "CH": 0.0}  # everything else 20 %


@dataclass
class OrderContext:
    """Field positions, row templates and state flags the order builder uses."""

    order_pos: dict[str, int]
    detail_pos: dict[str, int]
    carrier_pos: dict[str, int]
    history_pos: dict[str, int]
    payment_pos: dict[str, int]
    templates: dict[str, Row]
    state_flags: dict[int, dict[str, bool]]
    currency_rate_pos: int
    strings: dict[str, str] = field(default_factory=dict)  # shared copies of repeated values


class Checkout:
    """Catalog facts and cached layouts the order builder reads from the ``Shop`` (a mixin)."""

    definitions: dict[str, ResourceDef]
    tables: dict[str, Table]
    default_language: int
    combination_labels: dict[int, str]
    _order_context: tuple[int, OrderContext] | None

    def order_context(self) -> OrderContext:
        """Field positions, row templates and state flags the order builder uses (cached)."""
        version = self.tables["order_states"].version
        if self._order_context is None or self._order_context[0] != version:

            def positions(resource: str) -> dict[str, int]:
                return {f.name: f.pos for f in self.definitions[resource].fields}

            flags = {}
            state_def = self.definitions["order_states"]
            for state_id, row in self.tables["order_states"].rows.items():
                flags[state_id] = {
                    name: row[state_def.by_name[name].pos] == "1"
                    for name in ("logable", "invoice", "delivery", "shipped", "paid")
                }
            templates = {
                name: self.new_row(name)
                for name in ("orders", "order_details", "order_carriers", "order_histories", "order_payments")
            }
            context = OrderContext(
                order_pos=positions("orders"),
                detail_pos=positions("order_details"),
                carrier_pos=positions("order_carriers"),
                history_pos=positions("order_histories"),
                payment_pos=positions("order_payments"),
                templates=templates,
                state_flags=flags,
                currency_rate_pos=self.definitions["currencies"].by_name["conversion_rate"].pos,
            )
            self._order_context = (version, context)
        return self._order_context[1]

    def catalog_line(self, product_id: int, combination_id: int) -> tuple[str, str, float, str, str, float]:
        """(product reference, product name, price, combination reference, combination label, price impact)."""
        product = self.tables["products"].rows[product_id]
        p = self.definitions["products"].by_name
        name = product[p["name"].pos].get(self.default_language, "")
        combo_ref, label, impact = "", "", 0.0
        if combination_id:
            combination = self.tables["combinations"].rows[combination_id]
            c = self.definitions["combinations"].by_name
            combo_ref = combination[c["reference"].pos]
            impact = float(combination[c["price"].pos] or 0)
            label = self.combination_labels.get(combination_id, "")
        return product[p["reference"].pos], name, float(product[p["price"].pos]), combo_ref, label, impact

    def customer_secure_key(self, customer_id: int) -> str:
        customer = self.tables["customers"].rows.get(customer_id)
        return "" if customer is None else customer[self.definitions["customers"].by_name["secure_key"].pos]


def _addresses_of(shop: Shop, customer_id: int) -> list[tuple[int, str]]:
    """Addresses of a customer created through the API (not in the seed's lookup table)."""
    a = shop.definitions["addresses"].by_name
    isos = {
        cid: row[shop.definitions["countries"].by_name["iso_code"].pos]
        for cid, row in shop.tables["countries"].rows.items()
    }
    found = [
        (address_id, isos.get(int(row[a["id_country"].pos]), "FR"))
        for address_id, row in sorted(shop.tables["addresses"].rows.items())
        if row[a["id_customer"].pos] == str(customer_id) and row[a["deleted"].pos] != "1"
    ]
    return found or [(0, "FR")]


def _money(value: float) -> str:
    return f"{value:.6f}"


def build_order(
    shop: Shop,
    customer_id: int,
    lines: list[tuple[int, int, int]],
    currency_id: int,
    placed: datetime,
    history: list[tuple[int, float]] | None,
    rnd: random.Random | None = None,
    payment: tuple[str, str, int] | None = None,
    id_shop: int | None = None,
) -> int:
    """Create one order with its lines, carrier row, histories and payment.

    ``history`` is the list of (state id, unix time) the order went through (seeding); None means a
    fresh checkout (the payment module's first state, stock decremented). The order is placed in
    ``id_shop``, by default the customer's shop (customers are not shared between the shops), and a
    checkout takes the stock off that shop's rows.
    """
    rnd = rnd or shop.rng
    if id_shop is None:
        id_shop = shop.customer_shop(customer_id)
    ctx = shop.order_context()
    addresses = shop.customer_addresses.get(customer_id) or _addresses_of(shop, customer_id)
    address_id, iso = addresses[0]
    tax_rate = TAX_RATE.get(iso, 0.2)
    currency = shop.tables["currencies"].rows[currency_id]
    rate = float(currency[ctx.currency_rate_pos])
    rate_text = currency[ctx.currency_rate_pos]
    if payment is None:
        payment = rnd.choices(PAYMENTS_17, [p[3] for p in PAYMENTS_17])[0][:3]
    module, label, first_state = payment
    if shop.profile == "1.6":
        module = MODULES_16.get(module, module)
    carrier_id, _n, _d, cost, _u = CARRIERS[1 + (rnd.random() < 0.3)]
    zone = shop.clock.zone
    placed_text = placed.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    order_id = shop.tables["orders"].next_id
    reference = "".join(rnd.choices(string.ascii_uppercase, k=9))

    total_excl = total_incl = 0.0
    detail_template = ctx.templates["order_details"]
    p = ctx.detail_pos
    # Order lines repeat the same few values (prices, names, small ids): share one string object each,
    # which keeps 50,000 seeded orders in a sane amount of memory.
    same = ctx.strings.setdefault
    order_text = str(order_id)
    taxes = {"taxes": [("1",)]} if tax_rate else {}
    for product_id, combination_id, quantity in lines:
        product_ref, product_name, base_price, combo_ref, combo_label, impact = shop.catalog_line(
            product_id, combination_id
        )
        unit_excl = (base_price + impact) * rate
        unit_incl = unit_excl * (1 + tax_rate)
        total_excl += unit_excl * quantity
        total_incl += unit_incl * quantity
        unit_excl_text = same(_money(unit_excl), _money(unit_excl))
        row = list(detail_template)
        row[0] = 0
        row[p["id_order"]] = order_text
        row[p["product_id"]] = same(str(product_id), str(product_id))
        row[p["product_attribute_id"]] = same(str(combination_id), str(combination_id))
        name = f"{product_name} - {combo_label}" if combo_label else product_name
        row[p["product_name"]] = same(name, name)
        row[p["product_quantity"]] = row[p["product_quantity_in_stock"]] = same(str(quantity), str(quantity))
        row[p["product_price"]] = row[p["unit_price_tax_excl"]] = row[p["original_product_price"]] = (
            unit_excl_text
        )
        row[p["product_reference"]] = combo_ref or product_ref
        row[p["unit_price_tax_incl"]] = same(_money(unit_incl), _money(unit_incl))
        row[p["total_price_tax_incl"]] = same(_money(unit_incl * quantity), _money(unit_incl * quantity))
        row[p["total_price_tax_excl"]] = same(_money(unit_excl * quantity), _money(unit_excl * quantity))
        row[p["id_tax_rules_group"]] = "1" if tax_rate else "0"
        row[shop.definitions["order_details"].assoc_pos] = taxes
        shop.insert("order_details", row)
        if history is None:
            shop.decrement_stock(product_id, combination_id, quantity, id_shop)

    shipping_excl = float(cost) * rate
    shipping_incl = shipping_excl * (1 + tax_rate)
    o = ctx.order_pos
    order = list(ctx.templates["orders"])
    order[0] = order_id
    order[o["id_address_delivery"]] = order[o["id_address_invoice"]] = str(address_id)
    order[o["id_cart"]] = str(order_id)
    order[o["id_currency"]] = str(currency_id)
    order[o["id_lang"]] = "1"
    order[o["id_customer"]] = str(customer_id)
    order[o["id_carrier"]] = str(carrier_id)
    order[o["module"]] = module
    order[o["payment"]] = label
    order[o["date_add"]] = order[o["date_upd"]] = placed_text
    shop_text, group_text = str(id_shop), str(shop.shop_group_of(id_shop))
    order[o["id_shop"]], order[o["id_shop_group"]] = same(shop_text, shop_text), same(group_text, group_text)
    order[o["secure_key"]] = shop.customer_secure_key(customer_id)
    paid_incl = total_incl + shipping_incl
    order[o["total_paid"]] = order[o["total_paid_tax_incl"]] = _money(paid_incl)
    order[o["total_paid_tax_excl"]] = _money(total_excl + shipping_excl)
    order[o["total_products"]] = _money(total_excl)
    order[o["total_products_wt"]] = _money(total_incl)
    order[o["total_shipping"]] = order[o["total_shipping_tax_incl"]] = _money(shipping_incl)
    order[o["total_shipping_tax_excl"]] = _money(shipping_excl)
    order[o["carrier_tax_rate"]] = f"{tax_rate * 100:.3f}"
    order[o["round_mode"]] = order[o["round_type"]] = "2"
    order[o["conversion_rate"]] = rate_text
    order[o["reference"]] = reference
    shop.insert("orders", order)

    carrier = list(ctx.templates["order_carriers"])
    c = ctx.carrier_pos
    carrier[0] = 0
    carrier[c["id_order"]] = str(order_id)
    carrier[c["id_carrier"]] = str(carrier_id)
    carrier[c["weight"]] = _money(0.3 * sum(q for _, _, q in lines))
    carrier[c["shipping_cost_tax_excl"]] = _money(shipping_excl)
    carrier[c["shipping_cost_tax_incl"]] = _money(shipping_incl)
    carrier[c["date_add"]] = placed_text
    shop.insert("order_carriers", carrier)

    if history is None:
        shop.change_order_state(order_id, first_state)
        return order_id

    states = history or [(first_state, placed.timestamp())]
    _apply_history(shop, ctx, order, carrier, states, rnd, tracking_prefix=iso)
    return order_id


def _apply_history(
    shop: Shop,
    ctx: Any,
    order: Row,
    carrier: Row,
    states: list[tuple[int, float]],
    rnd: random.Random,
    tracking_prefix: str,
) -> None:
    """Seed-time equivalent of change_order_state for a whole path, without events or row copies."""
    zone = shop.clock.zone
    o = ctx.order_pos
    h = ctx.history_pos
    order_text = str(order[0])
    history_template = ctx.templates["order_histories"]
    for state_id, ts in states:
        when = datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M:%S")
        row = list(history_template)
        row[0] = 0
        row[h["id_order"]] = order_text
        row[h["id_order_state"]] = ctx.strings.setdefault(str(state_id), str(state_id))
        row[h["date_add"]] = when
        shop.insert("order_histories", row)
        flags = ctx.state_flags[state_id]
        order[o["current_state"]] = str(state_id)
        order[o["valid"]] = "1" if flags["logable"] else "0"
        order[o["date_upd"]] = when
        if flags["invoice"] and order[o["invoice_number"]] == "0":
            order[o["invoice_number"]] = str(shop._next_number("invoice_number"))
            order[o["invoice_date"]] = when
        if flags["delivery"] and order[o["delivery_number"]] == "0":
            order[o["delivery_number"]] = str(shop._next_number("delivery_number"))
            order[o["delivery_date"]] = when
        if flags["shipped"] and not order[o["shipping_number"]]:
            tracking = f"{'CC' if tracking_prefix == 'FR' else 'JD'}{rnd.randint(10**9, 10**10 - 1)}{tracking_prefix}"
            order[o["shipping_number"]] = tracking
            carrier[ctx.carrier_pos["tracking_number"]] = tracking
        if flags["paid"] and order[o["total_paid_real"]] == "0.000000":
            order[o["total_paid_real"]] = order[o["total_paid_tax_incl"]]
            payment = list(ctx.templates["order_payments"])
            q = ctx.payment_pos
            payment[0] = 0
            payment[q["order_reference"]] = order[o["reference"]]
            payment[q["id_currency"]] = order[o["id_currency"]]
            payment[q["amount"]] = order[o["total_paid_tax_incl"]]
            payment[q["payment_method"]] = order[o["payment"]]
            payment[q["conversion_rate"]] = order[o["conversion_rate"]]
            payment[q["transaction_id"]] = (
                f"ch_{rnd.getrandbits(64):016x}" if order[o["module"]] == "ps_checkout" else ""
            )
            payment[q["date_add"]] = when
            shop.insert("order_payments", payment)

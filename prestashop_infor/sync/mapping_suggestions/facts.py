"""What the suggestions are drawn from: the shop's and M3's facts, read through their clients
(:func:`read_shop`, :func:`read_m3`). Reading changes nothing in either system."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prestashop_infor.infor.client import M3Client, M3Error
from prestashop_infor.prestashop.client import PrestashopClient

Progress = Callable[[str], None]

ORDERS_READ = 5000  # the most recent orders whose carriers and payment modules are looked at
CUSTOMERS_READ = 500  # M3 customers whose currency (CUCD) tells the ERP currency

DELIVERY_METHODS = ("CRS070MI", "LstDelyMethod")  # the contract's list of M3 delivery methods (MODL)


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

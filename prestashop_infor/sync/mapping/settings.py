"""The ``erp``, ``orders``, ``stock`` and ``notifications`` sections: the rest of what the sync units
need (company and currency, customer order numbers, warehouses, e-mails)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from prestashop_infor.sync.mapping.section import Section


class ErpSettings(Section):
    company: int | None = None  # cono; None: the API user's default
    division: str | None = Field(default=None, max_length=3)  # divi
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    customer_template: str = Field(default="WEBTMPL", min_length=1, max_length=10)  # CUTM
    customer_number_prefix: str = Field(default="PS", pattern=r"^[A-Z0-9]{0,4}$")
    customer_language: str | None = Field(default=None, max_length=2)  # LNCD


class OrderSettings(Section):
    customer_order_prefix: str = Field(default="PS", max_length=10)  # CUOR = prefix + order id
    address_type: int = Field(default=1, ge=1, le=4)  # ADRT of the delivery address
    price: Literal["unit_price_tax_excl", "unit_price_tax_incl", "none"] = "unit_price_tax_excl"
    bulk_size: int = Field(default=100, ge=1, le=500)  # transactions per M3 bulk request


QuantityField = Literal["AV01", "AV02", "STQT"]


class WarehouseRule(Section):
    """A warehouse's own stock rules, over the section's (``stock.per_warehouse``)."""

    quantity_field: QuantityField | None = None
    reserve: int | None = Field(default=None, ge=0)


class StockSettings(Section):
    """Which M3 warehouses stock the shop and how: per warehouse, the quantity field (``AV01``
    allocatable, ``AV02``, ``STQT`` on hand) less ``reserve`` units kept back, as whole units never
    below 0 (``per_warehouse`` overrides either for one warehouse); the warehouses then ``combine``:
    ``sum`` (the shop sells what all of them hold) or ``first_available`` (the quantity of the first
    warehouse in ``warehouses`` order that has any: what one warehouse can ship in one parcel)."""

    warehouses: tuple[str, ...] = ("100",)
    quantity_field: QuantityField = "AV01"
    reserve: int = Field(default=0, ge=0)
    combine: Literal["sum", "first_available"] = "sum"
    per_warehouse: dict[str, WarehouseRule] = Field(default_factory=dict)

    @field_validator("warehouses")
    @classmethod
    def _some(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(not w or len(w) > 3 for w in value):
            raise ValueError("list one or more M3 warehouses (WHLO, at most 3 characters)")
        if len(set(value)) != len(value):
            raise ValueError("list each warehouse once")
        return value

    @model_validator(mode="after")
    def _known_warehouses(self) -> StockSettings:
        unknown = sorted(set(self.per_warehouse) - set(self.warehouses))
        if unknown:
            raise ValueError(
                f"per_warehouse names {', '.join(unknown)}, not in warehouses {list(self.warehouses)}"
            )
        return self

    def field_of(self, whlo: str) -> str:
        rule = self.per_warehouse.get(whlo)
        return rule.quantity_field if rule and rule.quantity_field else self.quantity_field

    def reserve_of(self, whlo: str) -> int:
        rule = self.per_warehouse.get(whlo)
        return rule.reserve if rule and rule.reserve is not None else self.reserve

    def on_hand_warehouses(self) -> tuple[str, ...]:
        """The warehouses whose quantity is ``STQT`` (read apart by ``infor_inventory``)."""
        return tuple(w for w in self.warehouses if self.field_of(w) == "STQT")

    def combined(self, per_warehouse: dict[str, int]) -> int:
        """The shop quantity from each warehouse's whole units (``combine``)."""
        if self.combine == "first_available":
            return next((per_warehouse[w] for w in self.warehouses if per_warehouse.get(w, 0) > 0), 0)
        return sum(per_warehouse.values())


class Notifications(Section):
    status_email: bool = True  # sendemail=1 on order_histories
    tracking_email: bool = False  # sendemail=1 on order_carriers (the "Shipped" state mail has the link)


def customer_order_number(order_id: int, prefix: str = "PS") -> str:
    """The M3 customer order number (``CUOR``, 20 characters) of a PrestaShop order: the
    idempotency key looked up before an order is created."""
    if int(order_id) <= 0:
        raise ValueError(f"a PrestaShop order id is positive, got {order_id!r}")
    cuor = f"{prefix}{int(order_id)}"
    if len(cuor) > 20:
        raise ValueError(f"customer order number {cuor!r} is longer than M3's 20 characters")
    return cuor

"""The ``erp``, ``orders``, ``stock`` and ``notifications`` sections: the rest of what the sync units
need (company and currency, customer order numbers, warehouses, e-mails)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

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


class StockSettings(Section):
    warehouses: tuple[str, ...] = ("100",)
    quantity_field: Literal["AV01", "AV02", "STQT"] = "AV01"

    @field_validator("warehouses")
    @classmethod
    def _some(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(not w or len(w) > 3 for w in value):
            raise ValueError("list one or more M3 warehouses (WHLO, at most 3 characters)")
        return value


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

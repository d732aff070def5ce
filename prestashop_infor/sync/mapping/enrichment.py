"""The ``enrichment`` section: order type, warehouse, facility, project, cost centre, delivery
method... from rules on shop, carrier, country, payment module (first match wins) over defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator, model_validator

from prestashop_infor.sync.mapping.section import Section

#: ``warehouse: stock``: the order goes to the first of ``stock.warehouses`` that holds every line.
WAREHOUSE_WITH_STOCK = "stock"


class OrderFields(Section):
    """M3 order-head values; null means "not sent" (M3 takes the customer's or the template's)."""

    order_type: str | None = Field(default=None, max_length=3)  # ORTP
    # WHLO; "stock": the first of stock.warehouses that holds every line (sync.m3_order_request)
    warehouse: str | None = Field(default=None, max_length=5)
    facility: str | None = Field(default=None, max_length=3)  # FACI
    project: str | None = Field(default=None, max_length=7)  # PROJ
    project_element: str | None = Field(default=None, max_length=8)  # ELNO
    delivery_method: str | None = Field(default=None, max_length=3)  # MODL
    delivery_terms: str | None = Field(default=None, max_length=3)  # TEDL
    payment_terms: str | None = Field(default=None, max_length=3)  # TEPY
    payment_method: str | None = Field(default=None, max_length=3)  # PYCD
    cost_center: str | None = Field(default=None, max_length=10)  # an AIT dimension value
    cost_center_dimension: Literal["AIT1", "AIT2", "AIT3", "AIT4", "AIT5", "AIT6", "AIT7"] | None = None

    @field_validator("warehouse")
    @classmethod
    def _warehouse(cls, value: str | None) -> str | None:
        if value is not None and value != WAREHOUSE_WITH_STOCK and len(value) > 3:
            raise ValueError(f"an M3 warehouse (WHLO, at most 3 characters) or {WAREHOUSE_WITH_STOCK!r}")
        return value

    def head_fields(self) -> dict[str, str]:
        """The fields sent on ``AddBatchHead``. The cost centre is not among them: M3 order
        transactions take no accounting dimension (contract §12); it is kept in the id map."""
        names = {"order_type": "ORTP", "warehouse": "WHLO", "facility": "FACI", "project": "PROJ",
                 "project_element": "ELNO", "delivery_method": "MODL", "delivery_terms": "TEDL",
                 "payment_terms": "TEPY", "payment_method": "PYCD"}  # fmt: skip
        return {m3: getattr(self, name) for name, m3 in names.items() if getattr(self, name)}


class RuleMatch(Section):
    """Conditions of a rule; every given condition must hold (lists: any of the values)."""

    shop: tuple[int, ...] | None = None
    carrier: tuple[int, ...] | None = None
    country: tuple[str, ...] | None = None
    payment_module: tuple[str, ...] | None = None
    currency: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> RuleMatch:
        if all(
            v is None for v in (self.shop, self.carrier, self.country, self.payment_module, self.currency)
        ):
            raise ValueError(
                "a rule needs at least one condition (shop, carrier, country, payment_module, currency)"
            )
        return self

    def matches(self, context: OrderContext) -> bool:
        checks = (
            (self.shop, context.shop_id),
            (self.carrier, context.carrier_id),
            (self.country, context.country_iso),
            (self.payment_module, context.payment_module),
            (self.currency, context.currency),
        )
        return all(allowed is None or value in allowed for allowed, value in checks)


class Rule(Section):
    when: RuleMatch
    set: OrderFields


@dataclass(frozen=True)
class OrderContext:
    """What enrichment rules can look at."""

    shop_id: int
    carrier_id: int
    country_iso: str
    payment_module: str
    currency: str


class Enrichment(Section):
    """Order-head values: ``defaults``, overridden field by field by the first matching rule."""

    defaults: OrderFields = Field(default_factory=OrderFields)
    rules: tuple[Rule, ...] = ()

    def for_order(self, context: OrderContext) -> OrderFields:
        for rule in self.rules:
            if rule.when.matches(context):
                chosen = rule.set.model_dump(exclude_none=True)
                return self.defaults.model_copy(update=chosen)
        return self.defaults

"""The ``currency`` section: order amounts converted to the ERP currency (the order's
``conversion_rate`` or a rates table, a rounding rule), the original amounts kept next to the
converted ones; and the numbers of PrestaShop records read as decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from prestashop_infor.sync.errors import MappingFailure, ValidationError
from prestashop_infor.sync.mapping.section import Section

if TYPE_CHECKING:
    pass


class CurrencyRules(Section):
    """Order amounts go to M3 in the ERP currency.

    ``source: conversion_rate`` divides by the order's ``conversion_rate`` (PrestaShop's rate of the
    order currency against the shop's default currency, which must then be the ERP currency);
    ``source: rates`` multiplies by ``rates[ISO]`` = ERP currency units per unit of that currency.
    Results are rounded to ``decimals`` with ``rounding``. The original currency and amounts stay in
    the id map's data next to what was sent.
    """

    source: Literal["conversion_rate", "rates"] = "conversion_rate"
    rates: dict[str, Decimal] = Field(default_factory=dict)
    decimals: int = Field(default=2, ge=0, le=6)
    rounding: Literal["half_up", "half_even"] = "half_up"

    @field_validator("rates")
    @classmethod
    def _positive(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for iso, rate in value.items():
            if len(iso) != 3 or not iso.isalpha() or not iso.isupper():
                raise ValueError(f"{iso!r}: currencies are ISO 4217 codes such as 'USD'")
            if rate <= 0:
                raise ValueError(f"{iso}: a rate must be positive, got {rate}")
        return value

    def to_erp(
        self, amount: Decimal, currency: str, erp_currency: str, conversion_rate: Decimal | None
    ) -> Decimal:
        """``amount`` in ``currency`` expressed in the ERP currency, rounded."""
        converted = self._convert(amount, currency, erp_currency, conversion_rate, to_erp=True)
        return converted.quantize(Decimal(1).scaleb(-self.decimals), rounding=self._mode())

    def from_erp(
        self, amount: Decimal, currency: str, erp_currency: str, conversion_rate: Decimal | None
    ) -> Decimal:
        """``amount`` in the ERP currency expressed in ``currency`` (an order's): :meth:`to_erp` the
        other way round, rounded to cents."""
        converted = self._convert(amount, currency, erp_currency, conversion_rate, to_erp=False)
        return converted.quantize(Decimal("0.01"), rounding=self._mode())

    def _convert(
        self,
        amount: Decimal,
        currency: str,
        erp_currency: str,
        conversion_rate: Decimal | None,
        *,
        to_erp: bool,
    ) -> Decimal:
        """The one conversion rule, either way: ``rates[ISO]`` ERP units per unit, or the order's
        ``conversion_rate`` units per ERP unit."""
        if currency == erp_currency:
            return amount
        if self.source == "rates":
            rate = self.rates.get(currency)
            if rate is None:
                raise MappingFailure(
                    "unknown_currency_rate",
                    "id_currency",
                    f"no rate for {currency} in currency.rates (mapping.yaml)",
                )
            return amount * rate if to_erp else amount / rate
        if conversion_rate is None or conversion_rate <= 0:
            source, target = (currency, erp_currency) if to_erp else (erp_currency, currency)
            raise MappingFailure(
                "invalid_conversion_rate",
                "conversion_rate",
                f"the order's conversion_rate {conversion_rate} cannot convert {source} to {target}",
            )
        return amount / conversion_rate if to_erp else amount * conversion_rate

    def _mode(self) -> str:
        return ROUND_HALF_UP if self.rounding == "half_up" else ROUND_HALF_EVEN


def parse_decimal(value: Any, field: str) -> Decimal:
    """A number from a PrestaShop record; text where a number belongs is a validation error that
    names the field (the type-mismatch case of issue §3)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise ValidationError("not_a_number", field, f"expected a number, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError("not_a_number", field, f"expected a number, got {value!r}") from None
    if not number.is_finite():
        raise ValidationError("not_a_number", field, f"expected a finite number, got {value!r}")
    return number

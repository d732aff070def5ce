"""The ``items`` section: PrestaShop product + combination -> M3 item number (explicit table,
combination reference, product reference; no match is an error, never a guess)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from prestashop_infor.sync.errors import MappingFailure
from prestashop_infor.sync.mapping.section import Section

ITEM_NUMBER_LENGTH = 15  # ITNO (contract §11)


class ItemRules(Section):
    """PrestaShop product + combination -> M3 item number (``ITNO``, 15 characters).

    ``strategies`` are tried in order: ``table`` (explicit ``"<product_id>:<combination_id>"`` or
    ``"<product_id>"`` keys), ``combination_reference`` (lines with a combination only),
    ``product_reference`` (lines without a combination, unless
    ``product_reference_for_combinations``: the style item stands for every variant). No answer is
    an error naming the field — never a guess.

    ``description_language``: the shop language (id) whose product name and short description
    describe the M3 item (``ITDS``, ``FUDS``, see ``sync.master_data``); null: the shop's default
    language, read as PrestaShop gives it (the one language of a single-language shop, else the
    lowest language id, the installation language).
    """

    strategies: tuple[Literal["table", "combination_reference", "product_reference"], ...] = (
        "table",
        "combination_reference",
        "product_reference",
    )
    table: dict[str, str] = Field(default_factory=dict)
    uppercase: bool = False
    product_reference_for_combinations: bool = False
    description_language: int | None = Field(default=None, ge=1)

    @field_validator("table")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key, itno in value.items():
            if not re.fullmatch(r"\d+(:\d+)?", str(key)):
                raise ValueError(f"{key!r}: keys are '<product_id>' or '<product_id>:<combination_id>'")
            if not itno or len(itno) > ITEM_NUMBER_LENGTH:
                raise ValueError(
                    f"{key}: {itno!r} is not an M3 item number (1-{ITEM_NUMBER_LENGTH} characters)"
                )
        return {str(k): v for k, v in value.items()}

    def resolve(
        self,
        product_id: int,
        combination_id: int,
        product_reference: str | None,
        combination_reference: str | None,
    ) -> str:
        """The M3 item number of a product (``combination_id`` 0) or one of its combinations."""
        for strategy in self.strategies:
            candidate: str | None = None
            field = strategy
            if strategy == "table":
                key = f"{product_id}:{combination_id}" if combination_id else str(product_id)
                candidate = self.table.get(key)
                if candidate is None and combination_id:
                    candidate = self.table.get(str(product_id))
                field = f"items.table[{key}]"
            elif strategy == "combination_reference" and combination_id:
                candidate = (combination_reference or "").strip()
            elif strategy == "product_reference" and (
                not combination_id or self.product_reference_for_combinations
            ):
                candidate = (product_reference or "").strip()
            if not candidate:
                continue
            if self.uppercase:
                candidate = candidate.upper()
            if len(candidate) > ITEM_NUMBER_LENGTH:
                raise MappingFailure(
                    "item_number_too_long",
                    field,
                    f"{candidate!r} (product {product_id}, combination {combination_id}) is longer "
                    f"than M3's {ITEM_NUMBER_LENGTH} characters",
                )
            return candidate
        field = "combination_reference" if combination_id else "product_reference"
        raise MappingFailure(
            "unresolved_item",
            field,
            f"no M3 item for product {product_id}"
            + (f" combination {combination_id}" if combination_id else "")
            + f": empty {field} and no items.table entry",
        )

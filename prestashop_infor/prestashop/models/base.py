"""What every PrestaShop model shares: the field types that read the Webservice's values (ids and
counters, money, flags, shop-local dates, multilingual text), ``pick_language``, and ``Record``."""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from prestashop_infor.prestashop.models.shop_time import to_utc

SINGLE_LANGUAGE = 0
"""Key under which a multilingual field rendered as a plain string (one language in play) is stored."""

ZERO_DATES = {"", "0000-00-00", "0000-00-00 00:00:00"}
_SHOP_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)  # what the Webservice sends


# --- value converters -------------------------------------------------------------------------------


def _to_int(value: Any) -> Any:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _to_optional_int(value: Any) -> Any:
    return None if value is None else _to_int(value)


def _to_decimal(value: Any) -> Any:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise ValueError(f"expected a decimal number, got {value!r}")
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, int | str):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"expected a decimal number, got {value!r}") from None
    return value


def _to_bool(value: Any) -> Any:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1"):
        return bool(int(value))
    raise ValueError(f"expected a flag 0/1, got {value!r}")


def _to_text(value: Any) -> Any:
    # Getter fields break the "everything is a string" rule: manufacturer_name can be false (§7.2).
    if value is None or value is False:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return value


def _to_datetime(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() in ZERO_DATES):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.strptime(text, "%Y-%m-%d")
            if _SHOP_DATETIME.fullmatch(text):  # the usual shape: parsed in C, nine times faster
                return datetime.fromisoformat(text)
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise ValueError(f"expected 'YYYY-MM-DD HH:MM:SS' shop-local time, got {value!r}") from None
    return value


def _to_date(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() in ZERO_DATES):
        return None
    if isinstance(value, str):
        text = value.strip()[:10]
        try:
            return datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            raise ValueError(f"expected 'YYYY-MM-DD', got {value!r}") from None
    return value


def _to_translations(value: Any) -> Any:
    if value is None or value is False:
        return {}
    if isinstance(value, str):
        return {SINGLE_LANGUAGE: value}
    if isinstance(value, dict):
        return {int(k): ("" if v is None else str(v)) for k, v in value.items()}
    if isinstance(value, list):
        translations = {}
        for item in value:
            if not isinstance(item, dict) or "id" not in item:
                raise ValueError(f"expected multilingual items {{'id', 'value'}}, got {item!r}")
            translations[int(item["id"])] = "" if item.get("value") is None else str(item["value"])
        return translations
    raise ValueError(f"expected a string or a list of languages, got {value!r}")


Int = Annotated[int, BeforeValidator(_to_int)]
OptionalInt = Annotated[int | None, BeforeValidator(_to_optional_int)]
Money = Annotated[Decimal, BeforeValidator(_to_decimal)]
Flag = Annotated[bool, BeforeValidator(_to_bool)]
Text = Annotated[str, BeforeValidator(_to_text)]
LocalDateTime = Annotated[datetime | None, BeforeValidator(_to_datetime)]
LocalDate = Annotated[date | None, BeforeValidator(_to_date)]
Multilingual = Annotated[dict[int, str], BeforeValidator(_to_translations)]


# --- helpers ----------------------------------------------------------------------------------------


def pick_language(translations: dict[int, str], language_id: int | None = None) -> str:
    """One language of a multilingual field: ``language_id`` if present, else the single-language
    value, else the lowest language id; ``""`` when there is nothing."""
    if language_id is not None and language_id in translations:
        return translations[language_id]
    if SINGLE_LANGUAGE in translations:
        return translations[SINGLE_LANGUAGE]
    if translations:
        return translations[min(translations)]
    return ""


# --- the base model ---------------------------------------------------------------------------------


class Record(BaseModel):
    """Common base: an ``id`` and tolerance for fields this model does not list."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: Int

    def local_time(self, field: str) -> datetime | None:
        value = getattr(self, field)
        return value if isinstance(value, datetime) or value is None else None

    def utc(self, field: str, time_zone: str | tzinfo) -> datetime | None:
        """A date field of this record converted from shop-local time to UTC."""
        value = getattr(self, field)
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        return to_utc(value, time_zone)


class IdRef(BaseModel):
    """An association entry that only carries an id (``{"id": "2"}``)."""

    model_config = ConfigDict(extra="allow")
    id: Int

r"""The filter grammar of ``filter[FIELD]`` (contract §5.2) and the row predicates it compiles to.

``parse_filter`` splits a value as PrestaShop's SQLUtils does (greedy ``^(.*)\[(.*)\](.*)$``), and
``compile_condition`` turns the condition into a predicate on stored rows with MySQL's semantics:
numbers compare as numbers, text ignoring case, unknown operators mean no condition at all. A
predicate also tells the query planner its bounds, so a filter on the first sort field narrows a
sorted view instead of scanning the table. ``sort_key`` orders rows the way MySQL sorts a column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prestashop_infor.sandbox.prestashop.models.casts import is_number, mysql_number
from prestashop_infor.sandbox.prestashop.models.records import Row
from prestashop_infor.sandbox.prestashop.resources import FieldDef

_FILTER_SPLIT = re.compile(r"^(.*)\[(.*)\](.*)$", re.S)
_RANGE = re.compile(r"^([\d\.:\-\s]+),([\d\.:\-\s]+)$")


@dataclass
class Condition:
    """One parsed filter value (§5.2)."""

    op: str  # "eq", "between", "gt", "lt", "ne", "like"
    values: list[str]
    like: str = ""


def parse_filter(value: str) -> Condition | None:
    """PrestaShop's SQLUtils grammar; None means "no condition" (unknown prefixes are ignored)."""
    match = _FILTER_SPLIT.match(value)
    if match is None:
        return Condition("eq", [value])
    prefix, inner, suffix = match.groups()
    if prefix == "%" or suffix == "%":
        pattern = ("%" if prefix == "%" else "") + inner + ("%" if suffix == "%" else "")
        return Condition("like", [inner], pattern)
    if prefix == "" and suffix == "":
        if inner.find("|") > 0:
            return Condition("eq", inner.split("|"))
        range_match = _RANGE.match(inner)
        if range_match:
            low, high = range_match.group(1), range_match.group(2)
            if is_number(low) and is_number(high):
                low, high = sorted([low, high], key=float)
            else:
                low, high = sorted([low, high])
            return Condition("between", [low, high])
        return Condition("eq", [inner])
    if prefix == ">":
        return Condition("gt", [inner])
    if prefix == "<":
        return Condition("lt", [inner])
    if prefix == "!":
        return Condition("ne", inner.split("|"))
    return None


def like_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.I | re.S)


def sort_key(f: FieldDef, lang: int) -> Callable[[Row], Any]:
    pos = f.pos
    if f.name == "id":
        return lambda row: row[0]
    if f.i18n:
        return lambda row: (row[pos] or {}).get(lang, "").lower()
    if f.type.numeric:
        if f.nullable:
            return lambda row: (0, 0) if row[pos] is None else (1, mysql_number(row[pos]))
        return lambda row: mysql_number(row[pos])
    if f.type.name in ("date", "datetime"):
        return lambda row: row[pos] or ""
    if f.nullable:
        return lambda row: (0, "") if row[pos] is None else (1, row[pos].lower())
    return lambda row: (row[pos] or "").lower()


def compile_condition(f: FieldDef, condition: Condition, languages: list[int]) -> Predicate:
    """A row predicate with MySQL semantics: numbers compare as numbers, text case-insensitively."""
    pos = f.pos
    numeric = bool(f.type.numeric) or f.name == "id"
    is_date = f.type.name in ("date", "datetime")

    def convert(text: str) -> Any:
        if numeric:
            return mysql_number(text)
        return text if is_date else text.lower()

    if f.name == "id":

        def values_of(row: Row) -> list[Any]:
            return [row[0]]
    elif f.i18n:

        def values_of(row: Row) -> list[Any]:
            texts = row[pos] or {}
            return [convert(texts.get(lang, "")) for lang in languages]
    else:

        def values_of(row: Row) -> list[Any]:
            value = row[pos]
            return [] if value is None else [convert(value)]

    op = condition.op
    bounds = None
    values = None
    if op == "eq":
        wanted = {convert(v) for v in condition.values}
        predicate = lambda row: any(v in wanted for v in values_of(row))  # noqa: E731
        if len(wanted) == 1:
            only = next(iter(wanted))
            bounds = (only, True, only, True)
        elif not f.i18n:
            values = sorted(wanted)  # [A|B|C]: each value found in a sorted view (MySQL's IN on an index)
    elif op == "between":
        low, high = convert(condition.values[0]), convert(condition.values[1])
        predicate = lambda row: any(low <= v <= high for v in values_of(row))  # noqa: E731
        bounds = (low, True, high, True)
    elif op == "gt":
        limit = convert(condition.values[0])
        predicate = lambda row: any(v > limit for v in values_of(row))  # noqa: E731
        bounds = (limit, False, None, False)
    elif op == "lt":
        limit = convert(condition.values[0])
        predicate = lambda row: any(v < limit for v in values_of(row))  # noqa: E731
        bounds = (None, False, limit, False)
    elif op == "ne":
        excluded = {convert(v) for v in condition.values}
        predicate = lambda row: (lambda vs: bool(vs) and all(v not in excluded for v in vs))(values_of(row))  # noqa: E731
    else:  # like
        regex = like_regex(condition.like)

        def predicate(row: Row) -> bool:
            if f.name == "id":
                texts = [str(row[0])]
            elif f.i18n:
                texts = [(row[pos] or {}).get(lang, "") for lang in languages]
            else:
                texts = [] if row[pos] is None else [str(row[pos])]
            return any(regex.fullmatch(t) for t in texts)

    return Predicate(predicate, f, bounds, values)


class Predicate:
    """A filter predicate that also tells the query planner its bounds on its field, or the values
    it takes (``[A|B|C]``)."""

    __slots__ = ("_test", "field", "bounds", "values")

    def __init__(self, test: Callable[[Row], bool], field_def: FieldDef, bounds, values=None):
        self._test = test
        self.field = field_def
        self.bounds = bounds
        self.values = values

    def __call__(self, row: Row) -> bool:
        return self._test(row)

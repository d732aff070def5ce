"""Reads: a GET (or HEAD) on a list or a record with the parameters of contract §5.

``display`` picks fields and association sub-fields, ``filter[...]`` (see filters.py) and ``sort``
with the ``date=1`` gate on dates, ``limit`` as offset-only paging without any default or maximum,
``language``, ``id_shop``/``id_group_shop`` and ``schema``. The answer is a ``QueryResult`` that
``responses.py`` renders as XML or JSON; every refusal is a ``WebserviceError`` with the contract's
code (32–39, 78–81, 999).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prestashop_infor.sandbox.prestashop.models.casts import php_int
from prestashop_infor.sandbox.prestashop.models.errors import (
    RecordNotFound,
    WebserviceError,
    did_you_mean,
    quoted,
)
from prestashop_infor.sandbox.prestashop.models.filters import (
    Predicate,
    compile_condition,
    parse_filter,
    sort_key,
)
from prestashop_infor.sandbox.prestashop.models.records import Row, Table
from prestashop_infor.sandbox.prestashop.resources import AssociationDef, FieldDef, ResourceDef


@dataclass
class Selection:
    """What to render of each record."""

    ids_only: bool
    fields: list[FieldDef]
    associations: list[tuple[AssociationDef, list[str]]]


@dataclass
class QueryResult:
    kind: str  # "list", "record", "ids_record" (display on /{id}), "schema_blank", "schema_synopsis"
    definition: ResourceDef
    rows: list[Row]
    selection: Selection
    languages: list[int]


def full_selection(definition: ResourceDef) -> Selection:
    """Every field and every association: ``display=full`` and single records."""
    return Selection(False, list(definition.fields), [(a, list(a.fields)) for a in definition.associations])


class Queries:
    """The read rules of the ``Shop`` (a mixin; the state lives on the shop)."""

    definitions: dict[str, ResourceDef]
    tables: dict[str, Table]
    default_language: int

    def query(self, resource: str, record_id: str | None, params: Sequence[tuple[str, str]]) -> QueryResult:
        """A GET (or HEAD) on a list or a record, applying the parameters of §5."""
        definition = self.definitions[resource]
        table = self.tables[resource]
        single = {k: v for k, v in params}
        self._check_shop(single)
        languages = self._languages(single.get("language"))
        if "schema" in single:
            schema = single["schema"]
            if schema not in ("blank", "synopsis"):
                raise WebserviceError(
                    400,
                    28,
                    "Please select a schema of type 'synopsis' to get the whole schema informations (which fields are required, which kind of content...) or 'blank' to get an empty schema to fill before using POST request",
                )
            return QueryResult(f"schema_{schema}", definition, [], full_selection(definition), languages)
        date_unlocked = single.get("date", "") not in ("", "0")

        if record_id is not None:
            if not record_id.isdigit():
                raise RecordNotFound()
            row = table.rows.get(int(record_id))
            if row is None:
                raise RecordNotFound()
            if "display" in single:
                return QueryResult("ids_record", definition, [row], Selection(True, [], []), languages)
            return QueryResult("record", definition, [row], full_selection(definition), languages)

        selection = self._selection(definition, single.get("display"))
        filters = [
            (key[7:-1], value) for key, value in params if key.startswith("filter[") and key.endswith("]")
        ]
        predicates = [
            self._predicate(definition, name, value, date_unlocked, languages) for name, value in filters
        ]
        sort_spec = self._sort_spec(definition, single.get("sort"), date_unlocked)
        offset, count = self._limit(single.get("limit"))
        ids = self._ordered_ids(table, sort_spec, predicates)
        rows_by_id = table.rows
        selected: list[Row] = []
        active = [p for p in predicates if p is not None]
        needed = None if count is None else offset + count
        for record_id_ in ids:
            row = rows_by_id[record_id_]
            if all(predicate(row) for predicate in active):
                selected.append(row)
                if needed is not None and len(selected) >= needed:
                    break
        selected = selected[offset:] if count is None else selected[offset : offset + count]
        return QueryResult("list", definition, selected, selection, languages)

    def _languages(self, value: str | None) -> list[int]:
        installed = self.language_ids()
        if value is None:
            return installed
        wanted: list[int] = []
        if value.isdigit():
            wanted = [int(value)]
        elif value.startswith("[") and value.endswith("]"):
            inner = value[1:-1]
            if "|" in inner:
                for part in inner.split("|"):
                    if not part.isdigit():
                        raise WebserviceError(400, 80, f'Language ID must be numeric ("{part}" given)')
                    wanted.append(int(part))
            elif "," in inner:
                bounds = inner.split(",")
                if len(bounds) != 2:
                    raise WebserviceError(
                        400, 78, 'The "language" value range is not valid: use [first,last]'
                    )
                for part in bounds:
                    if not part.isdigit():
                        raise WebserviceError(400, 80, f'Language ID must be numeric ("{part}" given)')
                low, high = sorted(int(b) for b in bounds)
                wanted = list(range(low, high + 1))
            elif inner.isdigit():
                wanted = [int(inner)]
        else:
            raise WebserviceError(
                400, 79, 'The "language" value is not valid: use an id, [id1|id2] or [first,last]'
            )
        result = [lang for lang in installed if lang in wanted]
        if not result:
            raise WebserviceError(400, 81, f'Language ID(s) not valid: "{value}"')
        return result

    def _selection(self, definition: ResourceDef, display: str | None) -> Selection:
        if display is None or display == "minimum":
            return Selection(True, [], [])
        if display == "full":
            return full_selection(definition)
        if not (display.startswith("[") and display.endswith("]")):
            raise WebserviceError(
                400,
                36,
                f'The "display" syntax is wrong. You can set "full" or "[field_1,field_2,field_3,...]". These are available: {quoted(self._displayable(definition))}',
            )
        wanted_fields: set[str] = set()
        wanted_assocs: dict[str, list[str] | None] = {}
        for part in _split_top_level(display[1:-1]):
            part = part.strip()
            if not part:
                continue
            name, bracket, rest = part.partition("[")
            if bracket:
                if not rest.endswith("]") or name not in definition.assoc_by_name:
                    raise WebserviceError(
                        400, 35 if rest.endswith("]") else 36, self._display_error(definition, name)
                    )
                association = definition.assoc_by_name[name]
                subfields = [s.strip() for s in rest[:-1].split(",") if s.strip()]
                for sub in subfields:
                    if sub not in association.fields:
                        raise WebserviceError(400, 35, self._display_error(definition, f"{name}[{sub}]"))
                wanted_assocs[name] = subfields
            elif name in definition.by_name:
                wanted_fields.add(name)
            elif name in definition.assoc_by_name:
                wanted_assocs[name] = None
            else:
                raise WebserviceError(400, 35, self._display_error(definition, name))
        fields = [f for f in definition.fields if f.name in wanted_fields]
        associations = [
            (a, [s for s in a.fields if wanted_assocs[a.name] is None or s in wanted_assocs[a.name]])
            for a in definition.associations
            if a.name in wanted_assocs
        ]
        return Selection(False, fields, associations)

    def _displayable(self, definition: ResourceDef) -> list[str]:
        return [f.name for f in definition.fields] + [a.name for a in definition.associations]

    def _display_error(self, definition: ResourceDef, name: str) -> str:
        return f'Unable to display this field "{name}". However, these are available: {quoted(self._displayable(definition))}'

    def _filterable(self, definition: ResourceDef, date_unlocked: bool) -> list[str]:
        return [
            f.name for f in definition.fields if not f.not_filterable and (date_unlocked or not f.is_date)
        ]

    def _predicate(
        self, definition: ResourceDef, name: str, value: str, date_unlocked: bool, languages: list[int]
    ) -> Predicate | None:
        f = definition.by_name.get(name)
        if f is None or (f.is_date and not date_unlocked):
            available = self._filterable(definition, date_unlocked)
            raise WebserviceError(
                400,
                32,
                f"This filter does not exist. Did you mean: {did_you_mean(name, available)}? The full list is: {quoted(available)}",
            )
        if f.not_filterable:
            raise WebserviceError(
                400,
                34,
                f'The field "{name}" is dynamic. It is not possible to filter GET query with this field.',
            )
        if value == "":
            raise WebserviceError(400, 33, f'The filter "{name}" is malformed.')
        condition = parse_filter(value)
        if condition is None:
            return None
        return compile_condition(f, condition, languages)

    def _sort_spec(
        self, definition: ResourceDef, sort: str | None, date_unlocked: bool
    ) -> list[tuple[FieldDef, bool]]:
        if sort is None:
            return []
        inner = sort[1:-1] if sort.startswith("[") and sort.endswith("]") else sort
        spec = []
        sortable = [
            f.name for f in definition.fields if not f.not_filterable and (date_unlocked or not f.is_date)
        ]
        for part in inner.split(","):
            name, underscore, direction = part.strip().rpartition("_")
            if not underscore or not name or direction.upper() not in ("ASC", "DESC"):
                raise WebserviceError(
                    400,
                    37,
                    f'The "sort" value has to be formed as this example: "field_ASC" or \'[field_1_DESC,field_2_ASC,field_3_ASC,...]\' ("{part}" given)',
                )
            if name not in sortable:
                raise WebserviceError(
                    400,
                    38,
                    f'Unable to filter by this field "{name}". However, these are available: {quoted(sortable)}',
                )
            spec.append((definition.by_name[name], direction.upper() == "DESC"))
        return spec

    def _limit(self, limit: str | None) -> tuple[int, int | None]:
        if limit is None:
            return 0, None
        parts = limit.split(",")
        if len(parts) > 2:
            raise WebserviceError(
                400, 39, 'The "limit" value has to be formed as this example: "5,25" or "10"'
            )
        if len(parts) == 1:
            return 0, max(php_int(parts[0]), 0)
        return max(php_int(parts[0]), 0), max(php_int(parts[1]), 0)

    def _ordered_ids(
        self, table: Table, sort_spec: list[tuple[FieldDef, bool]], predicates: list[Predicate | None]
    ) -> list[int]:
        if not sort_spec:
            return self._narrowed(table, table.database_order(), predicates, None)

        def build() -> tuple[list[int], list[Any] | None]:
            ids = sorted(table.rows, key=table.database_key)
            lang = self.default_language
            for f, descending in reversed(sort_spec):
                key = sort_key(f, lang)
                ids.sort(key=lambda i, key=key: key(table.rows[i]), reverse=descending)
            first_key = sort_key(sort_spec[0][0], lang)
            return ids, [first_key(table.rows[i]) for i in ids]

        spec_key = tuple((f.name, d) for f, d in sort_spec)
        ids, keys = table.cached(spec_key, build)
        first, descending = sort_spec[0]
        if descending or first.nullable or first.i18n or keys is None:
            return self._narrowed(table, ids, predicates, (spec_key, ids))
        # Narrow to the window the filters on the first sort field allow (a sorted view, no full scan).
        low, high = 0, len(ids)
        for predicate in predicates:
            bounds = getattr(predicate, "bounds", None)
            if predicate is None or bounds is None or predicate.field is not first:
                continue
            lower, lower_inclusive, upper, upper_inclusive = bounds
            if lower is not None:
                cut = bisect.bisect_left(keys, lower) if lower_inclusive else bisect.bisect_right(keys, lower)
                low = max(low, cut)
            if upper is not None:
                cut = bisect.bisect_right(keys, upper) if upper_inclusive else bisect.bisect_left(keys, upper)
                high = min(high, cut)
        window = ids if (low, high) == (0, len(ids)) else ids[low:high]
        others = [p for p in predicates if p is not None and p.field is not first]
        return self._narrowed(table, window, others, (spec_key, ids))

    def _narrowed(
        self,
        table: Table,
        ids: list[int],
        predicates: list[Predicate | None],
        ordering: tuple[Any, list[int]] | None,
    ) -> list[int]:
        """``ids`` cut down to the rows a range filter on another field can hold (``date_add``
        between two dates, sorted by id: a day of a year of orders), or the rows of a filter's values
        (``[A|B|C]``, the payments of a page of orders), found in a sorted view of that field and put
        back in the order of ``ids`` (the cached ``ordering``, or the database order
        when None). Only ever fewer candidates: the caller still tests every filter on every row."""
        best: list[int] | None = None
        for predicate in predicates:
            bounds, values = getattr(predicate, "bounds", None), getattr(predicate, "values", None)
            if predicate is None or (bounds is None and not values):
                continue
            f = predicate.field
            if f.nullable or f.i18n:
                continue
            lang = self.default_language
            key = sort_key(f, lang)

            def build(key=key) -> tuple[list[int], list[Any] | None]:
                by_field = sorted(table.rows, key=lambda i: key(table.rows[i]))
                return by_field, [key(table.rows[i]) for i in by_field]

            view, keys = table.cached(("view", f.name), build)
            assert keys is not None
            if values:  # each value's run in the sorted view
                candidates = [
                    i
                    for v in values
                    for i in view[bisect.bisect_left(keys, v) : bisect.bisect_right(keys, v)]
                ]
            else:
                lower, lower_inclusive, upper, upper_inclusive = bounds
                low, high = 0, len(view)
                if lower is not None:
                    low = (
                        bisect.bisect_left(keys, lower)
                        if lower_inclusive
                        else bisect.bisect_right(keys, lower)
                    )
                if upper is not None:
                    high = (
                        bisect.bisect_right(keys, upper)
                        if upper_inclusive
                        else bisect.bisect_left(keys, upper)
                    )
                candidates = view[low:high]
            if best is None or len(candidates) < len(best):
                best = candidates
        if best is None or len(best) >= len(ids):
            return ids
        if ordering is None:
            return sorted(best, key=table.database_key)
        return sorted(best, key=table.ranks(*ordering).__getitem__)


def _split_top_level(text: str) -> list[str]:
    """Split ``a,b[c,d],e`` on the commas outside brackets."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts

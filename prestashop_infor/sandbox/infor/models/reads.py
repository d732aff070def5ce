"""The generic read engine: any ``Get``/``Lst``/``Sel`` transaction served from a record family,
driven by the transaction's spec (LocalStack style: only behaviour is written by hand).

A program module says which family each of its read transactions reads (a ``ReadRule``); the spec
says the rest. Each input of the transaction is, in spec order:

- a **role** when its name says so and the family has the field it acts on: ``LMTS`` changed since,
  ``NFTR`` number of leading key fields that must match exactly, ``From``/``To`` pairs (``FWHL``/
  ``TWHL`` warehouse, ``FRIT``/``TOIT`` item, ``FLMD``/``TLMD`` change date, ...), ``ORSL``/``ORST``
  lowest status from / highest status to, ``AAC0``/``OOIN`` only open (receivable not paid),
  ``CSDS`` changed in the last N days;
- a **key** when the family has a field of that name;
- otherwise a parameter the answer does not depend on (language, UTC mode, ...). A *required* input
  that is neither role nor key must be declared a parameter in the rule, so no ``Get`` silently
  ignores part of its key.

A ``Get`` answers the first record (in the family's key order) whose keys equal every key input
given, or fails like M3 naming the field whose value does not exist. A ``Lst``/``Sel`` answers
every matching record in its *key order*, on the first page and when positioned alike: the index
the transaction reads (its key inputs in spec order, unless the rule names another, as for
``OIS175MI/LstHeadByDate``), then the family's key, compared as M3 compares fields (numeric ones as
numbers, alphanumeric ones as blank-padded text, so ``PS10`` comes before ``PS2``). Required keys
filter, and so do key inputs outside the index; optional keys *position* (records from the given
values onward, the index compared as a whole from its first field given, one not given counting as
blank: the stricter reading of contract §9, so a client that does not check keys fails in tests);
``NFTR`` turns leading keys into filters, and the rule may say that a required key positions
(``LstItmByItm``) or that an optional key not given is blank and filters (``OIS017MI``'s ``CUNO``: a
price list for any customer is the one whose customer is blank). A client that pages as against M3,
restarting from the last key it got, so sees every record once. Nothing matching is an empty list,
never an error. Every record is projected onto the transaction's own output fields; the tenant
renders the values as strings within the spec's lengths.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from prestashop_infor.sandbox.infor.models.families import FAMILIES, Family, Row
from prestashop_infor.sandbox.infor.models.values import MSG_NOT_FOUND, M3Failure, mandatory
from prestashop_infor.sandbox.infor.specs import TransactionSpec, load_specs

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant

#: From/To input pairs: input -> (field it bounds, +1 from / -1 to).
RANGES: dict[str, tuple[str, int]] = {
    "FWHL": ("WHLO", 1), "TWHL": ("WHLO", -1), "FRIT": ("ITNO", 1), "TOIT": ("ITNO", -1),
    "FITN": ("ITNO", 1), "TITN": ("ITNO", -1), "FLMD": ("LMDT", 1), "TLMD": ("LMDT", -1),
    "FDIV": ("DIVI", 1), "TDIV": ("DIVI", -1), "FRCO": ("CUNO", 1), "TOCO": ("CUNO", -1),
    "FCSH": ("CSTH", 1), "TCSH": ("CSTH", -1), "FCSL": ("CSTL", 1), "TCSL": ("CSTL", -1),
    "FPIS": ("PISS", 1), "TPIS": ("PISS", -1), "1DDT": ("DSDT", 1), "2DDT": ("DSDT", -1),
    "FRST": ("STAT", 1), "TOST": ("STAT", -1), "SLFR": ("STAT", 1), "SLTO": ("STAT", -1),
    "FLNC": ("LNCD", 1), "TLNC": ("LNCD", -1), "FORC": ("RORC", 1), "TORC": ("RORC", -1),
    "ORSL": ("ORSL", 1), "ORST": ("ORST", -1),  # status range of order heads; status up to for lines
    "FDAT": ("EPDT", 1), "TDAT": ("EPDT", -1),  # return dates of customer return lines
}  # fmt: skip
SINCE = "LMTS"
FILTER_COUNT = "NFTR"
OPEN_ONLY = frozenset({"AAC0", "OOIN"})
CHANGED_DAYS = "CSDS"
PAID = "9"


@dataclass(frozen=True)
class ReadRule:
    """Which record family a read transaction reads, and what the spec alone cannot say."""

    family: str
    position: tuple[str, ...] = ()  # required key inputs M3 positions on instead of filtering by
    params: tuple[str, ...] = ()  # required inputs that are parameters of the answer, not keys
    index: tuple[str, ...] = ()  # the fields a list reads by, where not its key inputs in spec order
    # optional key inputs that are part of the record's identity: not given, they are read as blank
    # and filter like a required key (a price list's customer blank is the list for any customer)
    blank: tuple[str, ...] = ()


def read_table(**families: Iterable[str]) -> dict[str, ReadRule]:
    """``family=("Transaction", ...)`` -> ``{"Transaction": ReadRule(family)}``."""
    return {name: ReadRule(family) for family, names in families.items() for name in names}


@dataclass(frozen=True)
class Input:
    name: str
    kind: str  # key | range | since | filter_count | open_only | changed_days | param
    required: bool
    numeric: bool
    target: str = ""  # the field a role acts on
    direction: int = 0  # ranges: +1 from, -1 to


@dataclass(frozen=True)
class ReadPlan:
    """A read transaction compiled against its family: how each input is used."""

    spec: TransactionSpec
    rule: ReadRule
    family: Family
    inputs: tuple[Input, ...]
    order: tuple[tuple[str, bool], ...]  # a list's key order: (field, compared as a number), in turn

    @property
    def is_get(self) -> bool:
        return self.spec.transaction.startswith("Get")


def family_fields(family: Family) -> frozenset[str]:
    """Every field of a family: its own and the inputs of the writes it echoes."""
    specs = load_specs()
    echoed = {name for program, transaction in family.echo for name in specs[program][transaction].inputs}
    return family.fields | echoed


def compile_read(spec: TransactionSpec, rule: ReadRule) -> ReadPlan:
    """Classify the transaction's inputs; raise ValueError when a required input has no meaning."""
    family = FAMILIES[rule.family]
    fields = family_fields(family)
    inputs = []
    for f in spec.inputs.values():
        kind, target, direction = "param", "", 0
        if not family.kept:
            kind = "key"
        elif f.name in RANGES and RANGES[f.name][0] in fields:
            kind, (target, direction) = "range", RANGES[f.name]
        elif f.name == SINCE and SINCE in fields:
            kind, target = "since", SINCE
        elif f.name == FILTER_COUNT:
            kind = "filter_count"
        elif f.name in OPEN_ONLY and "RECO" in fields:
            kind, target = "open_only", "RECO"
        elif f.name == CHANGED_DAYS and "LMDT" in fields:
            kind, target = "changed_days", "LMDT"
        elif f.name in fields:
            kind, target = "key", f.name
        elif f.required and f.name not in rule.params:
            raise ValueError(
                f"{spec.program}/{spec.transaction}: required input {f.name} is no field of family {family.name}"
            )
        inputs.append(Input(f.name, kind, f.required, f.numeric, target, direction))
    odd = [name for name in rule.blank if not any(i.name == name and i.kind == "key" for i in inputs)]
    if odd:
        raise ValueError(
            f"{spec.program}/{spec.transaction}: blank inputs {odd} are no keys of family {family.name}"
        )
    return ReadPlan(spec, rule, family, tuple(inputs), key_order(spec, rule, family, inputs))


def key_order(
    spec: TransactionSpec, rule: ReadRule, family: Family, inputs: list[Input]
) -> tuple[tuple[str, bool], ...]:
    """The order a list answers in: the index the transaction reads (its key inputs in spec order,
    or the rule's ``index``), then the family's key so no two records tie. A field compares as a
    number when the transaction's spec says so (``norm`` also takes stored numbers as numbers)."""
    if not set(rule.index) <= family_fields(family):
        raise ValueError(
            f"{spec.program}/{spec.transaction}: index {rule.index} is no field of family {family.name}"
        )
    keys = {i.target: i.numeric for i in inputs if i.kind == "key" and i.target}
    fields = dict.fromkeys([*(rule.index or keys), *family.key])
    return tuple((name, keys.get(name, False)) for name in fields)


# -- comparing M3 values ---------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def norm(value: Any, numeric: bool = False) -> tuple[int, Any]:
    """A comparable form of a record value or an input: numbers as numbers (so ``01`` = ``1``), dates
    as YYYYMMDD, text right-trimmed (so it compares as M3's blank-padded fields do). The leading tag
    keeps numbers and text apart when sorting."""
    if isinstance(value, date):
        value = value.strftime("%Y%m%d")
    if value is None:
        value = ""
    if numeric or _is_number(value):
        try:
            return (0, Decimal(str(value).strip() or "0"))
        except InvalidOperation:
            return (1, str(value).rstrip())
    return (1, str(value).rstrip())


def _matches(row: Row, name: str, value: str, numeric: bool) -> bool:
    current = row.get(name)
    as_number = numeric or _is_number(current)
    return norm(current, as_number) == norm(value, as_number)


def _key_order(family: Family, row: Row) -> tuple:
    return tuple(norm(row.get(name)) for name in family.key)


def _in_key_order(plan: ReadPlan, row: Row) -> tuple:
    """Where a record stands in a list of the transaction: every list is sorted by this alone."""
    return tuple(norm(row.get(name), numeric) for name, numeric in plan.order)


def _from_position(plan: ReadPlan, row: Row, position: Mapping[str, str]) -> bool:
    """Whether a record lies at or after the position given, as M3 positions on a key: from the
    first field given on, the fields of the key order compared as a whole, one not given as blank
    (so a client restarting on a record's values, blanks left out, starts at that record). Fields
    before the first one given are not compared: the stricter reading of §9."""
    fields = [name for name, _ in plan.order]
    first = next((n for n, name in enumerate(fields) if name in position), len(fields))
    here, start = [], []
    for name, numeric in plan.order[first:]:
        current = row.get(name)
        as_number = numeric or _is_number(current)
        here.append(norm(current, as_number))
        start.append(norm(position.get(name, ""), as_number))
    return tuple(here) >= tuple(start)


# -- the engine ------------------------------------------------------------------------------------


class ReadEngine:
    """Serves compiled read plans from one tenant's records."""

    def __init__(self, m3: M3Tenant):
        self.m3 = m3

    def _candidates(self, family: Family, exact: list[tuple[Input, str]]) -> Iterable[Any]:
        """The objects a read looks through: by the first of the family's indexes (most selective
        first) whose key the call gives, else all; every key still filters them after."""
        given = {spec_input.target: value for spec_input, value in exact}
        for target, lookup in family.index.items():
            if target in given:
                return lookup(self.m3, given[target])
        return family.objects(self.m3)

    def _rows(self, family: Family, objects: Iterable[Any]) -> list[Row]:
        return [family.row(self.m3, obj) for obj in objects]

    def read(self, plan: ReadPlan, fields: Mapping[str, str]) -> Iterator[Row]:
        """The records of one call, projected onto the transaction's outputs (lazily, so the caller
        can stop at ``maxrecs``)."""
        family = plan.family
        blank = plan.rule.blank
        given = [(i, fields.get(i.name, "")) for i in plan.inputs if i.name in fields or i.name in blank]
        if not family.kept:
            return self._not_kept(plan, given)
        keys = [(i, v) for i, v in given if i.kind == "key"]
        if plan.is_get:
            exact = keys
            if not keys:
                identity = [i for i in plan.inputs if i.kind == "key" and i.target in family.key]
                if identity:
                    description = plan.spec.inputs[identity[0].name].description
                    raise mandatory(identity[0].name, description)
        else:
            count = next((int(Decimal(v)) for i, v in given if i.kind == "filter_count"), 0)
            leading = {i.name for i, _ in keys[:count]}
            listed_by = {name for name, _ in plan.order}
            exact = [
                (i, v)
                for i, v in keys
                if (i.required and i.name not in plan.rule.position)
                or i.name in blank
                or i.name in leading
                or i.target not in listed_by
            ]
        position = {i.target: v for i, v in keys if (i, v) not in exact}
        by = next(iter(position)) if len(position) == 1 and not exact else None
        if by in family.ordered and [name for name, _ in plan.order] == [by, *family.key]:
            # a list read by a field the family keeps in order, positioned on it: read on from
            # there, lazily, so the caller's maxrecs bounds the work (the same records, in the same
            # order, as below)
            objects = family.ordered[by](self.m3, norm(position[by])[1])
            rows_on = (family.row(self.m3, obj) for obj in objects)
            return self._project(plan, (r for r in rows_on if self._roles_hold(r, given)))
        rows = self._rows(family, self._candidates(family, exact))
        if family.division_bound == "every read" or (
            family.division_bound == "read by division" and "DIVI" in plan.spec.inputs
        ):
            division = fields.get("DIVI") or self.m3.call_division
            rows = [r for r in rows if r["DIVI"] == division]
        rows = [r for r in rows if all(_matches(r, i.target, v, i.numeric) for i, v in exact)]
        rows = [r for r in rows if self._roles_hold(r, given)]
        if plan.is_get:
            if not rows:
                raise self._missing(plan, exact)
            rows.sort(key=lambda r: _key_order(family, r))
            return self._project(plan, rows[:1])
        rows = [r for r in rows if _from_position(plan, r, position)]
        rows.sort(key=lambda r: _in_key_order(plan, r))  # the one order of every list
        return self._project(plan, rows)

    def _roles_hold(self, row: Row, given: list[tuple[Input, str]]) -> bool:
        for i, value in given:
            if i.kind == "range":
                current = row.get(i.target)
                numeric = i.numeric or _is_number(current)
                compared = norm(current, numeric)
                bound = norm(value, numeric)
                if (i.direction > 0 and compared < bound) or (i.direction < 0 and compared > bound):
                    return False
            elif i.kind == "since":
                if norm(row.get(SINCE), True) < norm(value, True):
                    return False
            elif i.kind == "open_only":
                if value.strip() == "1" and str(row.get(i.target, "")) == PAID:
                    return False
            elif i.kind == "changed_days":
                since = self.m3.today() - timedelta(days=int(Decimal(value)))
                if norm(row.get(i.target)) < norm(since):
                    return False
        return True

    @staticmethod
    def _project(plan: ReadPlan, rows: Iterable[Row]) -> Iterator[Row]:
        outputs = plan.spec.outputs
        for row in rows:
            yield {name: row[name] for name in outputs if name in row}

    def _missing(self, plan: ReadPlan, exact: list[tuple[Input, str]]) -> M3Failure:
        """Name the first key (in spec order) whose value leaves no record, as M3 names the field
        it could not find: ``ORNO`` for an unknown order, ``PONR`` for an unknown line of it."""
        family = plan.family
        if not exact:
            return M3Failure(MSG_NOT_FOUND, "Record does not exist")
        exact = self._walk_order(plan, exact)
        rows = self._rows(family, self._candidates(family, exact[:1]))
        failing = exact[-1]
        for i, value in exact:
            rows = [r for r in rows if _matches(r, i.target, value, i.numeric)]
            if not rows:
                failing = (i, value)
                break
        i, value = failing
        label = family.labels.get(i.name) or plan.spec.inputs[i.name].description
        return M3Failure(MSG_NOT_FOUND, f"{label} {value or '(blank)'} does not exist", i.name)

    @staticmethod
    def _walk_order(plan: ReadPlan, exact: list[tuple[Input, str]]) -> list[tuple[Input, str]]:
        """The keys in the order ``_missing`` checks them: spec order, but a key read as blank when
        not given (``ReadRule.blank``) belongs to what the record hangs off, so it comes before the
        last field of the family's key (a price list line: the list's customer before the item)."""
        blank = [(i, v) for i, v in exact if i.name in plan.rule.blank]
        if not blank:
            return exact
        rest = [(i, v) for i, v in exact if i.name not in plan.rule.blank]
        at = next((n for n, (i, _) in enumerate(rest) if i.target == plan.family.key[-1]), len(rest))
        return rest[:at] + blank + rest[at:]

    @staticmethod
    def _not_kept(plan: ReadPlan, given: list[tuple[Input, str]]) -> Iterator[Row]:
        if not plan.is_get:
            return iter(())
        if given:
            i, value = given[0]
            description = plan.spec.inputs[i.name].description
            raise M3Failure(MSG_NOT_FOUND, f"{description} {value} does not exist", i.name)
        raise M3Failure(MSG_NOT_FOUND, "Record does not exist")


__all__ = ["ReadEngine", "ReadPlan", "ReadRule", "compile_read", "family_fields", "read_table"]

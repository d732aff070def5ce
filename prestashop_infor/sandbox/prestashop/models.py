"""The emulated shop: its state and every Webservice rule (moto style; responses.py only does HTTP).

A ``Shop`` holds one table per resource (rows are plain lists, one slot per field, so 50,000 orders
stay small), a shop clock in an IANA time zone, an outbox of customer emails and a fault injector.
``Shop.query`` implements the read grammar of contract §5 (display, filter, date=1, sort, limit,
language, id_shop, schema); ``Shop.write`` the write rules of §6; both raise ``WebserviceError`` with
the contract's codes. Version differences (§11) follow ``Shop.profile`` ("1.6", "1.7" or "8").
"""

from __future__ import annotations

import bisect
import difflib
import random
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from prestashop_infor.prestashop import xml_codec
from prestashop_infor.sandbox.prestashop.resources import (
    AssociationDef,
    FieldDef,
    ResourceDef,
    resource_definitions,
)
from prestashop_infor.settings import SANDBOX_API_KEY

DEFAULT_API_KEY = SANDBOX_API_KEY
ZERO_DATETIME = "0000-00-00 00:00:00"
Row = list  # one stored record: [id, field1, field2, ..., associations-dict?]


class WebserviceError(Exception):
    """A Webservice error document: HTTP status and one or more ``(code, message)`` pairs."""

    def __init__(self, status: int, code: int, message: str, *more: tuple[int, str]):
        super().__init__(f"{status} [{code}] {message}")
        self.status = status
        self.errors = [(code, message), *more]


class RecordNotFound(Exception):
    """GET /{id} of an unknown record: 404 with an empty body (§4)."""


def profile_of(version: str) -> str:
    """The version profile ("1.6", "1.7", "8") of a PrestaShop version string."""
    if version.startswith("1.6"):
        return "1.6"
    if version.startswith("1.7"):
        return "1.7"
    if version.split(".")[0] in ("8", "9"):
        return "8"
    raise ValueError(f"unsupported PrestaShop version {version!r}: use 1.6.x, 1.7.x, 8.x or 9.x")


# --------------------------------------------------------------------------------------------- clock


class ShopClock:
    """The shop's wall clock (PS_TIMEZONE). Runs with real time unless frozen; can jump for DST tests."""

    def __init__(self, time_zone: str = "Europe/Paris", now: datetime | None = None):
        self.zone = ZoneInfo(time_zone)
        self.time_zone = time_zone
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        if now is not None:
            self.freeze(now)

    def now(self) -> datetime:
        """Aware datetime in the shop's zone."""
        if self._frozen is not None:
            return self._frozen.astimezone(self.zone)
        return (datetime.now(self.zone) + self._offset).astimezone(self.zone)

    def freeze(self, moment: datetime | None = None) -> None:
        """Stop the clock at ``moment`` (aware) or at the current shop time."""
        self._frozen = _aware(moment) if moment is not None else self.now()

    def unfreeze(self) -> None:
        if self._frozen is not None:
            self._offset = self._frozen - datetime.now(self.zone)
            self._frozen = None

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (aware); a frozen clock stays frozen, a running one keeps running."""
        moment = _aware(moment)
        if self._frozen is not None:
            self._frozen = moment
        else:
            self._offset = moment - datetime.now(self.zone)

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen = self._frozen + delta
        else:
            self._offset += delta

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def local_text(self, moment: datetime | None = None) -> str:
        """``YYYY-MM-DD HH:MM:SS`` wall-clock text as PrestaShop writes dates (§7.3)."""
        moment = self.now() if moment is None else moment.astimezone(self.zone)
        return moment.strftime("%Y-%m-%d %H:%M:%S")


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the shop clock needs an aware datetime (with tzinfo)")
    return moment


# --------------------------------------------------------------------------------------------- faults


@dataclass
class FaultDecision:
    error: bool = False
    timeout: bool = False
    php_warning: bool = False
    html_error: bool = False
    error_code: int = 5
    error_message: str = ""


_PHP_NOTICES = [
    (
        3,
        '[PHP Warning #2] Undefined array key "id_lang" (/var/www/html/modules/ps_facetedsearch/src/Hook/ProductSearch.php, line 61)',
    ),
    (
        5,
        "[PHP Notice #8] Undefined index: id_order_state (/var/www/html/classes/order/OrderHistory.php, line 114)",
    ),
    (
        5,
        "[PHP Notice #8] Trying to access array offset on value of type null (/var/www/html/classes/Product.php, line 4181)",
    ),
    (
        15,
        "[PHP Deprecated #8192] Creation of dynamic property Order::$webserviceParameters is deprecated (/var/www/html/classes/order/Order.php, line 241)",
    ),
    (
        11,
        "[PHP User Warning #512] Module mymodule: cannot reach remote API (/var/www/html/modules/mymodule/mymodule.php, line 88)",
    ),
]


FAULT_SETTINGS = (
    "error_rate",
    "latency",
    "timeout_rate",
    "timeout_seconds",
    "php_warning_rate",
    "html_error_rate",
    "revoke_key",
    "disabled",
    "seed",
)
"""The fault settings the sandbox accepts by name (``POST /_sandbox/faults``)."""


class Faults:
    """Faults injected on demand. Draws come from a seeded generator so tests are deterministic."""

    def __init__(self, seed: int = 0):
        self.error_rate = 0.0  # share of requests answered 500 with a PHP-notice error document
        self.latency = 0.0  # seconds added to every answer
        self.timeout_rate = 0.0  # share of requests that hang for timeout_seconds
        self.timeout_seconds = 30.0
        self.php_warning_rate = 0.0  # share of answers with PHP warning text before the document
        self.html_error_rate = 0.0  # share of requests answered by a plain-HTML 500 (PHP fatal)
        self.revoke_key = False  # every key is treated as unknown: 401 codes 20 + 21
        self.disabled = False  # webservice switched off: 503 code 22
        self._lock = threading.Lock()
        self.seed = seed

    @property
    def seed(self) -> int:
        return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        self._seed = value
        self._random = random.Random(value)

    def update(self, settings: Mapping[str, Any]) -> None:
        """Apply settings by name (the /_sandbox/faults body); unknown names are an error."""
        unknown = set(settings) - set(FAULT_SETTINGS)
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}; known: {sorted(FAULT_SETTINGS)}")
        for name, value in settings.items():
            if name in ("revoke_key", "disabled"):
                value = bool(value)
            elif name == "seed":
                value = int(value)
            else:
                value = float(value)
                if name.endswith("_rate") and not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name} must be between 0 and 1, got {value}")
                if value < 0:
                    raise ValueError(f"{name} must not be negative, got {value}")
            setattr(self, name, value)

    def draw(self) -> FaultDecision:
        """Decide the faults of one request."""
        with self._lock:
            rnd = self._random
            decision = FaultDecision()
            if self.timeout_rate and rnd.random() < self.timeout_rate:
                decision.timeout = True
            if self.html_error_rate and rnd.random() < self.html_error_rate:
                decision.html_error = True
            elif self.error_rate and rnd.random() < self.error_rate:
                decision.error = True
                decision.error_code, decision.error_message = rnd.choice(_PHP_NOTICES)
            if self.php_warning_rate and rnd.random() < self.php_warning_rate:
                decision.php_warning = True
            return decision


# --------------------------------------------------------------------------------------------- keys


@dataclass
class ApiKey:
    """A Webservice key. ``permissions`` maps resource → allowed methods; None means everything."""

    key: str
    active: bool = True
    permissions: dict[str, set[str]] | None = None
    shops: set[int] | None = None  # None: every shop


# --------------------------------------------------------------------------------------------- tables


class Table:
    """Rows of one resource by id, with cached orderings (invalidated by ``version``)."""

    def __init__(self, definition: ResourceDef):
        self.definition = definition
        self.rows: dict[int, Row] = {}
        self.next_id = 1
        self.version = 0
        self._orders: dict[Any, tuple[int, list[int], list[Any] | None]] = {}

    def touch(self) -> None:
        self.version += 1

    def insert(self, row: Row) -> int:
        record_id = row[0]
        if not record_id:
            record_id = row[0] = self.next_id
        self.next_id = max(self.next_id, record_id + 1)
        self.rows[record_id] = row
        self.version += 1
        return record_id

    def cached(self, key: Any, build: Callable[[], tuple[list[int], list[Any] | None]]):
        hit = self._orders.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1], hit[2]
        ids, keys = build()
        self._orders[key] = (self.version, ids, keys)
        return ids, keys


def _scramble(record_id: int, salt: int) -> int:
    # "Database order": stable but not by id, like the recordings (§5.4).
    return ((record_id * 2654435761) ^ salt) & 0xFFFFFFFF


# --------------------------------------------------------------------------------------------- query


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


_FILTER_SPLIT = re.compile(r"^(.*)\[(.*)\](.*)$", re.S)
_RANGE = re.compile(r"^([\d\.:\-\s]+),([\d\.:\-\s]+)$")
_LEADING_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _number(text: Any) -> float | int:
    """MySQL's cast of a string to a number: the leading number, 0 when there is none."""
    if isinstance(text, (int, float)):
        return text
    try:
        return int(text)
    except (TypeError, ValueError):
        pass
    try:
        return float(text)
    except (TypeError, ValueError):
        match = _LEADING_NUMBER.match(text or "")
        return float(match.group(0)) if match else 0


def _php_int(text: str) -> int:
    match = re.match(r"^\s*[-+]?\d+", text)
    return int(match.group(0)) if match else 0


def _did_you_mean(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.0)
    return f'"{close[0]}"' if close else '""'


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


# --------------------------------------------------------------------------------------------- shop


@dataclass
class Email:
    to: str
    template: str
    subject: str
    id_order: int
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "template": self.template,
            "subject": self.subject,
            "id_order": self.id_order,
            "data": self.data,
        }


class Shop:
    """One emulated PrestaShop shop."""

    def __init__(
        self,
        *,
        version: str = "1.7.8.0",
        time_zone: str = "Europe/Paris",
        api_key: str = DEFAULT_API_KEY,
        now: datetime | None = None,
        shop_name: str = "PrestaShop Sandbox",
        empty_list_as_object: bool = False,
    ):
        self.version = version
        self.profile = profile_of(version)
        self.shop_name = shop_name
        self.clock = ShopClock(time_zone, now)
        self.faults = Faults()
        self.keys: dict[str, ApiKey] = {api_key: ApiKey(api_key)}
        self.outbox: list[Email] = []
        self.events: list[dict[str, Any]] = []
        self.subscribers: list[Callable[[dict[str, Any]], None]] = []
        self.empty_list_as_object = empty_list_as_object  # JSON {"orders": []} instead of [] (§7.2 switch)
        self.lock = threading.RLock()
        self.definitions = resource_definitions(self.profile)
        self.tables = {name: Table(definition) for name, definition in self.definitions.items()}
        self.default_language = 1
        self.default_currency = 1
        self.record_events = True
        self.counters: dict[str, int] = {}  # last invoice_number / delivery_number issued
        self.rng = random.Random(0)  # choices made by the shop itself (references, keys); seeded by seed_shop
        # catalog facts the order builder needs: (product id, reference, name, price, [(combination id, label, impact)])
        self.catalog: list[tuple[int, str, str, str, list[tuple[int, str, str]]]] = []
        self.combination_labels: dict[int, str] = {}  # "Color : Black, Size : S"
        self.customer_addresses: dict[
            int, list[tuple[int, str]]
        ] = {}  # customer -> [(address id, country iso)]
        self._order_context: tuple[int, OrderContext] | None = None
        # indexes kept in step with writes
        self._details_by_order: dict[int, list[int]] = {}
        self._stock_by_product: dict[tuple[int, int], int] = {}
        self._salt = {name: (hash(name) & 0xFFFF) * 40503 for name in self.definitions}

    # ------------------------------------------------------------------ stored records

    def table(self, resource: str) -> Table:
        return self.tables[resource]

    def records(self, resource: str) -> list[dict[str, Any]]:
        """The stored records of a resource in id order, as dicts (computed fields filled in)."""
        with self.lock:
            definition = self.definitions[resource]
            return [self.as_dict(definition, row) for _, row in sorted(self.tables[resource].rows.items())]

    def record(self, resource: str, record_id: int) -> dict[str, Any] | None:
        with self.lock:
            row = self.tables[resource].rows.get(record_id)
            return None if row is None else self.as_dict(self.definitions[resource], row)

    def as_dict(self, definition: ResourceDef, row: Row) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for f in definition.fields:
            result[f.name] = self.value(definition, row, f)
        if definition.associations:
            result["associations"] = {
                a.name: [
                    dict(zip(a.fields, item, strict=False))
                    for item in self.association_items(definition, row, a)
                ]
                for a in definition.associations
            }
        return result

    def new_row(self, resource: str, **values: Any) -> Row:
        """A row with every field at its default, then ``values`` (strings, or dicts for i18n fields)."""
        definition = self.definitions[resource]
        row: Row = [0]
        for f in definition.fields[1:]:
            if f.i18n:
                row.append({lang: "" for lang in self.language_ids()})
            else:
                row.append(f.default)
        if definition.associations:
            row.append({})
        for name, value in values.items():
            if name == "id":
                row[0] = int(value)
            elif name == "associations":
                row[definition.assoc_pos] = value
            else:
                f = definition.by_name[name]
                if f.i18n and isinstance(value, str):
                    value = {lang: value for lang in self.language_ids()}
                row[f.pos] = value
        return row

    def insert(self, resource: str, row: Row) -> int:
        """Store a row (assigning an id when row[0] is 0) and keep the indexes in step."""
        record_id = self.tables[resource].insert(row)
        if resource == "order_details":
            self._details_by_order.setdefault(
                int(row[self.definitions[resource].by_name["id_order"].pos]), []
            ).append(record_id)
        elif resource == "stock_availables":
            d = self.definitions[resource]
            key = (int(row[d.by_name["id_product"].pos]), int(row[d.by_name["id_product_attribute"].pos]))
            self._stock_by_product[key] = record_id
        return record_id

    def language_ids(self) -> list[int]:
        table = self.tables["languages"]
        return sorted(table.rows) or [1]

    # ------------------------------------------------------------------ computed values

    def value(self, definition: ResourceDef, row: Row, f: FieldDef) -> Any:
        """The value of one field, getters included (§10: NF fields are computed)."""
        name = definition.name
        if name == "products":
            if f.name == "quantity":
                return str(self.stock_quantity(row[0], 0))
            if f.name == "id_default_combination":
                return self._default_combination(row)
        elif name == "combinations" and f.name == "quantity":
            product_id = int(row[definition.by_name["id_product"].pos])
            return self.stock_quantity(product_id, row[0])
        elif name == "categories" and f.name == "nb_products_recursive":
            return "0"
        value = row[f.pos]
        if f.name == "id":
            return value
        return value

    def stock_quantity(self, product_id: int, combination_id: int) -> int:
        stock_id = self._stock_by_product.get((product_id, combination_id))
        if stock_id is None:
            return 0
        d = self.definitions["stock_availables"]
        return int(self.tables["stock_availables"].rows[stock_id][d.by_name["quantity"].pos])

    def _default_combination(self, row: Row) -> str:
        associations = row[self.definitions["products"].assoc_pos] or {}
        combos = associations.get("combinations") or []
        comb_def = self.definitions["combinations"]
        default_pos = comb_def.by_name["default_on"].pos
        table = self.tables["combinations"].rows
        for (combination_id,) in combos:
            combination = table.get(int(combination_id))
            if combination is not None and combination[default_pos] == "1":
                return str(combination_id)
        return "0"

    def association_items(
        self, definition: ResourceDef, row: Row, association: AssociationDef
    ) -> list[tuple]:
        """Items of one association as tuples in ``association.fields`` order."""
        if definition.name == "orders" and association.name == "order_rows":
            details = self.tables["order_details"].rows
            d = self.definitions["order_details"]
            positions = [0 if name == "id" else d.by_name[name].pos for name in association.fields]
            items = []
            for detail_id in self._details_by_order.get(row[0], ()):
                detail = details.get(detail_id)
                if detail is not None:
                    items.append(tuple(str(detail[p]) if p == 0 else detail[p] for p in positions))
            return items
        if definition.name == "products" and association.name == "stock_availables":
            stock_ids = [(sid, attr) for (pid, attr), sid in self._stock_by_product.items() if pid == row[0]]
            return [(str(sid), str(attr)) for sid, attr in sorted(stock_ids, key=lambda item: item[1])]
        associations = row[definition.assoc_pos] or {}
        return associations.get(association.name) or []

    # ------------------------------------------------------------------ auth

    def authenticate(self, key: str) -> ApiKey:
        """Check a presented key (§2); raises the 401 error documents."""
        if key == "":
            raise WebserviceError(401, 17, "Authentication key is empty")
        if len(key) != 32:
            raise WebserviceError(401, 18, "Invalid authentication key format")
        api_key = self.keys.get(key)
        if api_key is None or not api_key.active or self.faults.revoke_key:
            raise WebserviceError(
                401,
                20,
                "Authentification key is not active",
                (21, "No permission for this authentication key"),
            )
        if api_key.permissions is not None and not api_key.permissions:
            raise WebserviceError(401, 21, "No permission for this authentication key")
        return api_key

    def check_access(self, api_key: ApiKey, resource: str, method: str) -> None:
        """Resource and method checks (§2, §4) once the key is known."""
        if resource not in self.definitions:
            raise WebserviceError(
                400,
                27,
                f'Resource of type "{resource}" does not exists. Did you mean: {_did_you_mean(resource, sorted(self.definitions))}? '
                f"The full list is: {_quoted(sorted(self.definitions))}",
            )
        if api_key.permissions is not None:
            allowed = api_key.permissions.get(resource)
            if allowed is None:
                raise WebserviceError(
                    401, 26, f'Resource of type "{resource}" is not allowed with this authentication key'
                )
            if method not in allowed and not (method == "HEAD" and "GET" in allowed):
                raise WebserviceError(
                    405,
                    25,
                    f'This method is not allowed with this authentication key ("{method}" on "{resource}")',
                )
        if method in self.definitions[resource].refused_methods:
            raise WebserviceError(
                405, 101, f"This method ({method}) is not allowed for this resource ({resource})"
            )

    def check_shop_right(self, api_key: ApiKey, params: Mapping[str, str]) -> None:
        """A key limited to some shops may not act on others (403 code 132)."""
        if api_key.shops is None:
            return
        wanted = params.get("id_shop", "1")
        if wanted == "all" or (wanted.isdigit() and int(wanted) not in api_key.shops):
            raise WebserviceError(403, 132, f"No permission for this key on shop {wanted}")

    def allowed_methods(self) -> tuple[str, ...]:
        methods = ("GET", "POST", "PUT", "DELETE", "HEAD")
        return (*methods, "PATCH") if self.profile == "8" else methods

    # ------------------------------------------------------------------ reads

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
            return QueryResult(
                f"schema_{schema}", definition, [], self._full_selection(definition), languages
            )
        date_unlocked = single.get("date", "") not in ("", "0")

        if record_id is not None:
            if not record_id.isdigit():
                raise RecordNotFound()
            row = table.rows.get(int(record_id))
            if row is None:
                raise RecordNotFound()
            if "display" in single:
                return QueryResult("ids_record", definition, [row], Selection(True, [], []), languages)
            return QueryResult("record", definition, [row], self._full_selection(definition), languages)

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

    def _check_shop(self, params: Mapping[str, str]) -> None:
        if "id_shop" in params:
            value = params["id_shop"]
            if value != "all" and (not value.isdigit() or int(value) not in self.tables["shops"].rows):
                raise WebserviceError(404, 999, "This shop id does not exist")
        if "id_group_shop" in params:
            value = params["id_group_shop"]
            if not value.isdigit() or int(value) not in self.tables["shop_groups"].rows:
                raise WebserviceError(404, 999, "This shop group doesn't exist")
            shop_group_pos = self.definitions["shops"].by_name["id_shop_group"].pos
            if not any(row[shop_group_pos] == value for row in self.tables["shops"].rows.values()):
                raise WebserviceError(500, 999, "There are no shops associated to this shop group")

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

    def _full_selection(self, definition: ResourceDef) -> Selection:
        return Selection(
            False, list(definition.fields), [(a, list(a.fields)) for a in definition.associations]
        )

    def _selection(self, definition: ResourceDef, display: str | None) -> Selection:
        if display is None or display == "minimum":
            return Selection(True, [], [])
        if display == "full":
            return self._full_selection(definition)
        if not (display.startswith("[") and display.endswith("]")):
            raise WebserviceError(
                400,
                36,
                f'The "display" syntax is wrong. You can set "full" or "[field_1,field_2,field_3,...]". These are available: {_quoted(self._displayable(definition))}',
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
        return f'Unable to display this field "{name}". However, these are available: {_quoted(self._displayable(definition))}'

    def _filterable(self, definition: ResourceDef, date_unlocked: bool) -> list[str]:
        return [
            f.name for f in definition.fields if not f.not_filterable and (date_unlocked or not f.is_date)
        ]

    def _predicate(
        self, definition: ResourceDef, name: str, value: str, date_unlocked: bool, languages: list[int]
    ) -> Callable[[Row], bool] | None:
        f = definition.by_name.get(name)
        if f is None or (f.is_date and not date_unlocked):
            available = self._filterable(definition, date_unlocked)
            raise WebserviceError(
                400,
                32,
                f"This filter does not exist. Did you mean: {_did_you_mean(name, available)}? The full list is: {_quoted(available)}",
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
        return _compile_condition(f, condition, languages)

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
                    f'Unable to filter by this field "{name}". However, these are available: {_quoted(sortable)}',
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
            return 0, max(_php_int(parts[0]), 0)
        return max(_php_int(parts[0]), 0), max(_php_int(parts[1]), 0)

    def _ordered_ids(self, table: Table, sort_spec: list[tuple[FieldDef, bool]], predicates) -> list[int]:
        definition = table.definition
        if not sort_spec:
            salt = self._salt[definition.name]
            ids, _ = table.cached("db", lambda: (sorted(table.rows, key=lambda i: _scramble(i, salt)), None))
            return ids

        def build() -> tuple[list[int], list[Any]]:
            ids = sorted(table.rows, key=lambda i: _scramble(i, self._salt[definition.name]))
            lang = self.default_language
            for f, descending in reversed(sort_spec):
                key = _sort_key(f, lang)
                ids.sort(key=lambda i, key=key: key(table.rows[i]), reverse=descending)
            first_key = _sort_key(sort_spec[0][0], lang)
            return ids, [first_key(table.rows[i]) for i in ids]

        ids, keys = table.cached(tuple((f.name, d) for f, d in sort_spec), build)
        first, descending = sort_spec[0]
        if descending or first.nullable or first.i18n or keys is None:
            return ids
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
        return ids if (low, high) == (0, len(ids)) else ids[low:high]

    # ------------------------------------------------------------------ writes

    def write(
        self, method: str, resource: str, url_id: str | None, body: bytes, params: Sequence[tuple[str, str]]
    ) -> tuple[int, QueryResult | None]:
        """A POST/PUT/PATCH/DELETE (§6). Returns the HTTP status and the record to render (None: empty)."""
        definition = self.definitions[resource]
        single = {k: v for k, v in params}
        self._check_shop(single)
        if method == "DELETE":
            return self._delete(definition, url_id, single.get("id")), None
        entities = self._parse_body(body)
        if not entities:
            raise WebserviceError(400, 40, "Invalid XML: the body holds no entity")
        send_email = single.get("sendemail") == "1"
        languages = self.language_ids()
        if method == "POST":
            rows = [self._create(definition, values, send_email) for _, values in entities]
            return 201, QueryResult(
                "record", definition, rows[-1:], self._full_selection(definition), languages
            )
        ids_in_body = []
        for _, values in entities:
            raw_id = values.get("id")
            if raw_id in (None, ""):
                raise WebserviceError(400, 90, "id is required when modifying a resource")
            if raw_id in ids_in_body:
                raise WebserviceError(400, 89, f"id is duplicate in request ({raw_id})")
            ids_in_body.append(raw_id)
        rows = [self._update(definition, values, method == "PATCH", send_email) for _, values in entities]
        return 200, QueryResult("record", definition, rows[-1:], self._full_selection(definition), languages)

    def _parse_body(self, body: bytes) -> list[tuple[str, dict[str, Any]]]:
        text = body.decode("utf-8", errors="replace")
        if text.startswith("xml="):
            text = text[4:]
        try:
            return xml_codec.parse_entities(text.encode())
        except xml_codec.MalformedDocument as exc:
            raise WebserviceError(500, 127, f"XML error : {exc}\n{text}") from None

    def _delete(self, definition: ResourceDef, url_id: str | None, ids_param: str | None) -> int:
        if url_id is not None:
            wanted = [url_id]
        elif ids_param and ids_param.startswith("[") and ids_param.endswith("]"):
            wanted = [part for part in ids_param[1:-1].split(",") if part]
        else:
            raise WebserviceError(400, 87, "You have to set an id, or ids with the parameter id=[1,2,3]")
        table = self.tables[definition.name]
        missing = [w for w in wanted if not w.isdigit() or int(w) not in table.rows]
        if missing:
            raise WebserviceError(404, 87, f"Id(s) not exists: {', '.join(missing)}")
        for w in wanted:
            row = table.rows.pop(int(w))
            if definition.name == "order_details":
                order_id = int(row[definition.by_name["id_order"].pos])
                self._details_by_order.get(order_id, []).remove(int(w))
            elif definition.name == "stock_availables":
                self._stock_by_product = {k: v for k, v in self._stock_by_product.items() if v != int(w)}
            self._emit_object_event(definition.name, "deleted", int(w), row)
        table.touch()
        return 200

    def _check_values(self, definition: ResourceDef, values: Mapping[str, Any]) -> None:
        class_name = _class_name(definition.name)
        for name, value in values.items():
            if name in ("id", "associations"):
                continue
            f = definition.by_name.get(name)
            if f is None:
                continue  # unknown elements are ignored (§6.1)
            if f.not_writable:
                raise WebserviceError(
                    400, 93, f'parameter "{name}" not writable. Please remove this attribute of this XML'
                )
            if f.i18n:
                texts = [item.get("value", "") for item in value] if isinstance(value, list) else [value]
                for text in texts:
                    if f.max_size is not None and len(text) > f.max_size:
                        raise WebserviceError(
                            400,
                            84,
                            f'Validation error: "Property {class_name}->{name} length ({len(text)}) must be lower than {f.max_size}"',
                        )
                continue
            if isinstance(value, list):
                raise WebserviceError(
                    400, 85, f'Validation error: "Property {class_name}->{name} is not valid"'
                )
            if value == "":
                continue
            pattern = f.type.pattern
            if pattern is not None and not pattern.fullmatch(value):
                raise WebserviceError(
                    400, 85, f'Validation error: "Property {class_name}->{name} is not valid"'
                )
            if f.max_size is not None and len(value) > f.max_size:
                raise WebserviceError(
                    400,
                    85,
                    f'Validation error: "Property {class_name}->{name} length ({len(value)}) must be lower than {f.max_size}"',
                )

    def _normalise(self, f: FieldDef, value: Any) -> Any:
        if f.i18n:
            current = {lang: "" for lang in self.language_ids()}
            if isinstance(value, list):
                for item in value:
                    if str(item.get("id", "")).isdigit() and int(item["id"]) in current:
                        current[int(item["id"])] = item.get("value", "")
            else:
                current = {lang: value for lang in current}
            return current
        if value == "":
            return f.default if f.type.numeric or f.type.name in ("date", "datetime") else ""
        if f.type.name == "bool":
            return "1" if value in ("1", "true") else "0"
        if f.type.decimals is not None:
            try:
                return f"{Decimal(value):.{f.type.decimals}f}"
            except InvalidOperation:
                return value
        if f.type.numeric == "int":
            return str(int(value))
        return value

    def _apply(self, definition: ResourceDef, row: Row, values: Mapping[str, Any], partial: bool) -> None:
        for f in definition.fields[1:]:
            if f.name in values:
                if f.read_only:
                    continue
                row[f.pos] = self._normalise(f, values[f.name])
            elif (
                not partial
                and not f.read_only
                and not f.not_filterable
                and f.name not in ("date_add", "date_upd")
            ):
                # PUT is a full replace: absent optional fields are reset (§6.3).
                row[f.pos] = {lang: "" for lang in self.language_ids()} if f.i18n else f.default
        associations = values.get("associations")
        if associations and definition.associations:
            stored = dict(row[definition.assoc_pos] or {})
            for name, items in associations.items():
                association = definition.assoc_by_name.get(name)
                if association is None:
                    raise WebserviceError(400, 86, f'The association "{name}" does not exists')
                if association.virtual:
                    continue  # order_rows has no setter: ignored in a PUT (§6.5)
                stored[name] = [tuple(str(item.get(s, "")) for s in association.fields) for item in items]
            row[definition.assoc_pos] = stored

    def _require(self, definition: ResourceDef, values: Mapping[str, Any]) -> None:
        for f in definition.fields[1:]:
            if f.required and not f.read_only:
                value = values.get(f.name)
                empty = value in (None, "") or (
                    isinstance(value, list) and not any(item.get("value") for item in value)
                )
                if empty:
                    raise WebserviceError(400, 41, f'parameter "{f.name}" required')

    def _create(self, definition: ResourceDef, values: dict[str, Any], send_email: bool) -> Row:
        if values.get("id") not in (None, ""):
            raise WebserviceError(400, 91, "id is forbidden when adding a new resource")
        self._check_values(definition, values)
        self._require(definition, values)
        row = self.new_row(definition.name)
        self._apply(definition, row, values, partial=True)
        now = self.clock.local_text()
        for date_field in ("date_add", "date_upd"):
            f = definition.by_name.get(date_field)
            if f is not None and (date_field == "date_upd" or row[f.pos] == f.default):
                row[f.pos] = now
        hook = getattr(self, f"_before_create_{definition.name}", None)
        if hook is not None:
            hook(row)
        self.insert(definition.name, row)
        after = getattr(self, f"_after_create_{definition.name}", None)
        if after is not None:
            after(row, send_email)
        else:
            self._emit_object_event(definition.name, "created", row[0], row)
        return row

    def _update(
        self, definition: ResourceDef, values: dict[str, Any], partial: bool, send_email: bool
    ) -> Row:
        raw_id = values["id"]
        table = self.tables[definition.name]
        if not str(raw_id).isdigit() or int(raw_id) not in table.rows:
            raise WebserviceError(404, 92, f"Invalid ID ({raw_id})")
        self._check_values(definition, values)
        if not partial:
            self._require(definition, values)
        old = table.rows[int(raw_id)]
        row = list(old)
        if definition.associations:
            row[definition.assoc_pos] = dict(old[definition.assoc_pos] or {})
        self._apply(definition, row, values, partial)
        date_upd = definition.by_name.get("date_upd")
        if date_upd is not None:
            row[date_upd.pos] = self.clock.local_text()
        check = getattr(self, f"_before_update_{definition.name}", None)
        if check is not None:
            check(old, row)
        table.rows[row[0]] = row
        table.touch()
        after = getattr(self, f"_after_update_{definition.name}", None)
        if after is not None:
            after(old, row, send_email)
        else:
            self._emit_object_event(definition.name, "updated", row[0], row)
        return row

    # ------------------------------------------------------------------ resource rules

    def _field(self, resource: str, row: Row, name: str) -> Any:
        return row[self.definitions[resource].by_name[name].pos]

    def _set(self, resource: str, row: Row, name: str, value: Any) -> None:
        row[self.definitions[resource].by_name[name].pos] = value

    def _before_create_order_histories(self, row: Row) -> None:
        order_id = self._field("order_histories", row, "id_order")
        state_id = self._field("order_histories", row, "id_order_state")
        if int(order_id) not in self.tables["orders"].rows:
            raise WebserviceError(400, 85, 'Validation error: "Property OrderHistory->id_order is not valid"')
        if int(state_id) not in self.tables["order_states"].rows:
            raise WebserviceError(
                400, 85, 'Validation error: "Property OrderHistory->id_order_state is not valid"'
            )

    def _after_create_order_histories(self, row: Row, send_email: bool) -> None:
        order_id = int(self._field("order_histories", row, "id_order"))
        state_id = int(self._field("order_histories", row, "id_order_state"))
        self.change_order_state(order_id, state_id, send_email=send_email, history=row)

    def change_order_state(
        self, order_id: int, state_id: int, *, send_email: bool = False, history: Row | None = None
    ) -> None:
        """Move an order to a state as OrderHistory::changeIdOrderState + add do (§6.6)."""
        orders = self.tables["orders"]
        old_order = orders.rows[order_id]
        order = list(old_order)
        state = self.tables["order_states"].rows[state_id]
        flag = lambda name: self._field("order_states", state, name) == "1"  # noqa: E731
        old_state = int(self._field("orders", order, "current_state"))
        now = self.clock.local_text()
        if history is None:
            history = self.new_row(
                "order_histories", id_order=str(order_id), id_order_state=str(state_id), date_add=now
            )
            self.insert("order_histories", history)
        self._set("orders", order, "current_state", str(state_id))
        self._set("orders", order, "valid", "1" if flag("logable") else "0")
        self._set("orders", order, "date_upd", now)
        if flag("invoice") and self._field("orders", order, "invoice_number") == "0":
            self._set("orders", order, "invoice_number", str(self._next_number("invoice_number")))
            self._set("orders", order, "invoice_date", now)
        if flag("delivery") and self._field("orders", order, "delivery_number") == "0":
            self._set("orders", order, "delivery_number", str(self._next_number("delivery_number")))
            self._set("orders", order, "delivery_date", now)
        if flag("paid") and self._field("orders", order, "total_paid_real") == "0.000000":
            self._set("orders", order, "total_paid_real", self._field("orders", order, "total_paid_tax_incl"))
            reference = self._field("orders", order, "reference")
            ref_pos = self.definitions["order_payments"].by_name["order_reference"].pos
            if not any(p[ref_pos] == reference for p in self.tables["order_payments"].rows.values()):
                self.insert(
                    "order_payments",
                    self.new_row(
                        "order_payments",
                        order_reference=reference,
                        id_currency=self._field("orders", order, "id_currency"),
                        amount=self._field("orders", order, "total_paid_tax_incl"),
                        payment_method=self._field("orders", order, "payment"),
                        conversion_rate=self._field("orders", order, "conversion_rate"),
                        date_add=now,
                    ),
                )
        orders.rows[order_id] = order
        orders.touch()
        if send_email and flag("send_email"):
            template = self._field("order_states", state, "template").get(self.default_language, "")
            if template:
                self._send_order_email(
                    order, template, self._field("order_states", state, "name").get(self.default_language, "")
                )
        self._emit(
            "order.status_changed",
            "actionOrderStatusPostUpdate",
            "orders",
            order_id,
            {"id_order": order_id, "old_state": old_state, "new_state": state_id, "date_upd": now},
        )
        if flag("paid") and not self._state_flag(old_state, "paid"):
            self._emit(
                "order.payment_confirmed",
                "actionPaymentConfirmation",
                "orders",
                order_id,
                {"id_order": order_id},
            )

    def _state_flag(self, state_id: int, name: str) -> bool:
        state = self.tables["order_states"].rows.get(state_id)
        return state is not None and self._field("order_states", state, name) == "1"

    def _next_number(self, name: str) -> int:
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]

    def _send_order_email(self, order: Row, template: str, subject: str, **data: Any) -> None:
        customer = self.tables["customers"].rows.get(int(self._field("orders", order, "id_customer")))
        to = self._field("customers", customer, "email") if customer is not None else ""
        self.outbox.append(
            Email(
                to,
                template,
                subject,
                order[0],
                {"reference": self._field("orders", order, "reference"), **data},
            )
        )

    def _before_update_order_carriers(self, old: Row, row: Row) -> None:
        tracking = self._field("order_carriers", row, "tracking_number")
        if tracking and not self.definitions["order_carriers"].by_name[
            "tracking_number"
        ].type.pattern.fullmatch(tracking):
            raise WebserviceError(
                400, 85, 'Validation error: "Property OrderCarrier->tracking_number is not valid"'
            )

    def _after_update_order_carriers(self, old: Row, row: Row, send_email: bool) -> None:
        order_id = int(self._field("order_carriers", row, "id_order"))
        tracking = self._field("order_carriers", row, "tracking_number")
        order = self.tables["orders"].rows.get(order_id)
        if order is not None:
            updated = list(order)
            self._set("orders", updated, "shipping_number", tracking)
            self.tables["orders"].rows[order_id] = updated
            self.tables["orders"].touch()
            if send_email and tracking:
                self._send_order_email(updated, "in_transit", "Package in transit", tracking_number=tracking)
        self._emit(
            "order.tracking_updated",
            "actionObjectOrderCarrierUpdateAfter",
            "order_carriers",
            row[0],
            {"id_order": order_id, "id_order_carrier": row[0], "tracking_number": tracking},
        )

    def _after_update_stock_availables(self, old: Row, row: Row, send_email: bool) -> None:
        # Stock edits do not move the product's date_upd (Pitfall 9).
        self._emit_stock(row)

    def _emit_stock(self, row: Row) -> None:
        self._emit(
            "stock.updated",
            "actionUpdateQuantity",
            "stock_availables",
            row[0],
            {
                "id_product": int(self._field("stock_availables", row, "id_product")),
                "id_product_attribute": int(self._field("stock_availables", row, "id_product_attribute")),
                "id_shop": int(self._field("stock_availables", row, "id_shop") or 0),
                "quantity": int(self._field("stock_availables", row, "quantity")),
            },
        )

    # ------------------------------------------------------------------ events

    def _emit_object_event(self, resource: str, action: str, record_id: int, row: Row) -> None:
        singular = {
            "orders": "order",
            "customers": "customer",
            "addresses": "address",
            "products": "product",
            "combinations": "combination",
        }.get(resource)
        if singular is None:
            return
        hook = f"actionObject{_class_name(resource)}{action[:-1].capitalize() if action != 'created' else 'Add'}After"
        data: dict[str, Any] = {
            f"id_{singular}" if singular != "combination" else "id_product_attribute": record_id
        }
        definition = self.definitions[resource]
        if "date_upd" in definition.by_name:
            data["date_upd"] = row[definition.by_name["date_upd"].pos]
        self._emit(f"{singular}.{action}", hook, resource, record_id, data)

    def _emit(
        self, event: str, hook: str, resource: str, record_id: int | None, data: dict[str, Any]
    ) -> None:
        """Record a webhook-worthy event (contract webhooks.md §6) and tell subscribers."""
        if not self.record_events:
            return
        payload = {
            "event": event,
            "source_hook": hook,
            "resource": {"type": resource, "id": record_id},
            "data": data,
        }
        self.events.append(payload)
        for subscriber in list(self.subscribers):
            subscriber(payload)

    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call ``callback(event)`` for every event (the webhook sender plugs in here)."""
        self.subscribers.append(callback)

    # ------------------------------------------------------------------ orders placed in the shop

    def order_context(self) -> OrderContext:
        """Field positions, row templates and state flags the order builder uses (cached)."""
        version = self.tables["order_states"].version
        if self._order_context is None or self._order_context[0] != version:

            def positions(resource: str) -> dict[str, int]:
                return {f.name: f.pos for f in self.definitions[resource].fields}

            flags = {}
            state_def = self.definitions["order_states"]
            for state_id, row in self.tables["order_states"].rows.items():
                flags[state_id] = {
                    name: row[state_def.by_name[name].pos] == "1"
                    for name in ("logable", "invoice", "delivery", "shipped", "paid")
                }
            templates = {
                name: self.new_row(name)
                for name in ("orders", "order_details", "order_carriers", "order_histories", "order_payments")
            }
            context = OrderContext(
                order_pos=positions("orders"),
                detail_pos=positions("order_details"),
                carrier_pos=positions("order_carriers"),
                history_pos=positions("order_histories"),
                payment_pos=positions("order_payments"),
                templates=templates,
                state_flags=flags,
                currency_rate_pos=self.definitions["currencies"].by_name["conversion_rate"].pos,
            )
            self._order_context = (version, context)
        return self._order_context[1]

    def catalog_line(self, product_id: int, combination_id: int) -> tuple[str, str, float, str, str, float]:
        """(product reference, product name, price, combination reference, combination label, price impact)."""
        product = self.tables["products"].rows[product_id]
        p = self.definitions["products"].by_name
        name = product[p["name"].pos].get(self.default_language, "")
        combo_ref, label, impact = "", "", 0.0
        if combination_id:
            combination = self.tables["combinations"].rows[combination_id]
            c = self.definitions["combinations"].by_name
            combo_ref = combination[c["reference"].pos]
            impact = float(combination[c["price"].pos] or 0)
            label = self.combination_labels.get(combination_id, "")
        return product[p["reference"].pos], name, float(product[p["price"].pos]), combo_ref, label, impact

    def customer_secure_key(self, customer_id: int) -> str:
        customer = self.tables["customers"].rows.get(customer_id)
        return "" if customer is None else customer[self.definitions["customers"].by_name["secure_key"].pos]

    def place_order(
        self, customer_id: int, lines: list[tuple[int, int, int]], currency_iso: str = "EUR"
    ) -> int:
        """A checkout: creates the order, its lines, carrier row and first history; decrements stock."""
        from prestashop_infor.sandbox.prestashop.seed import build_order  # the seed shares the order builder

        with self.lock:
            if int(customer_id) not in self.tables["customers"].rows:
                raise ValueError(f"no customer {customer_id} in this shop")
            if not lines:
                raise ValueError("an order needs at least one line")
            for product_id, combination_id, quantity in lines:
                if int(product_id) not in self.tables["products"].rows:
                    raise ValueError(f"no product {product_id} in this shop")
                if combination_id and int(combination_id) not in self.tables["combinations"].rows:
                    raise ValueError(f"no combination {combination_id} in this shop")
                if int(quantity) <= 0:
                    raise ValueError(f"quantity must be positive, got {quantity}")
            currency_id = self.currency_id(currency_iso)
            order_id = build_order(
                self,
                int(customer_id),
                [(int(p), int(c), int(q)) for p, c, q in lines],
                currency_id,
                self.clock.now(),
                history=None,
            )
            order = self.tables["orders"].rows[order_id]
            self._emit(
                "order.created",
                "actionValidateOrder",
                "orders",
                order_id,
                {
                    "id_order": order_id,
                    "reference": self._field("orders", order, "reference"),
                    "id_customer": int(customer_id),
                    "current_state": int(self._field("orders", order, "current_state")),
                    "date_add": self._field("orders", order, "date_add"),
                    "date_upd": self._field("orders", order, "date_upd"),
                },
            )
            return order_id

    def currency_id(self, iso_code: str) -> int:
        pos = self.definitions["currencies"].by_name["iso_code"].pos
        for currency_id, row in self.tables["currencies"].rows.items():
            if row[pos].upper() == iso_code.upper():
                return currency_id
        raise ValueError(f"no currency {iso_code!r} in this shop")

    def decrement_stock(self, product_id: int, combination_id: int, quantity: int) -> None:
        """Take ``quantity`` off the combination row and the product total row (attribute 0)."""
        table = self.tables["stock_availables"]
        pos = self.definitions["stock_availables"].by_name["quantity"].pos
        targets = {(product_id, combination_id), (product_id, 0)}
        for key in targets:
            stock_id = self._stock_by_product.get(key)
            if stock_id is not None:
                row = list(table.rows[stock_id])
                row[pos] = str(int(row[pos]) - quantity)
                table.rows[stock_id] = row
                self._emit_stock(row)
        table.touch()


# --------------------------------------------------------------------------------------------- helpers


@dataclass
class OrderContext:
    order_pos: dict[str, int]
    detail_pos: dict[str, int]
    carrier_pos: dict[str, int]
    history_pos: dict[str, int]
    payment_pos: dict[str, int]
    templates: dict[str, Row]
    state_flags: dict[int, dict[str, bool]]
    currency_rate_pos: int
    strings: dict[str, str] = field(default_factory=dict)  # shared copies of repeated values


def _class_name(resource: str) -> str:
    names = {
        "order_histories": "OrderHistory",
        "order_details": "OrderDetail",
        "addresses": "Address",
        "categories": "Category",
        "countries": "Country",
        "currencies": "Currency",
        "taxes": "Tax",
        "order_discounts": "OrderCartRule",
        "stock_availables": "StockAvailable",
    }
    if resource in names:
        return names[resource]
    return "".join(part.capitalize() for part in resource[:-1].split("_"))


def _split_top_level(text: str) -> list[str]:
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
            if _is_number(low) and _is_number(high):
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


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _like_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.I | re.S)


def _sort_key(f: FieldDef, lang: int) -> Callable[[Row], Any]:
    pos = f.pos
    if f.name == "id":
        return lambda row: row[0]
    if f.i18n:
        return lambda row: (row[pos] or {}).get(lang, "").lower()
    if f.type.numeric:
        if f.nullable:
            return lambda row: (0, 0) if row[pos] is None else (1, _number(row[pos]))
        return lambda row: _number(row[pos])
    if f.type.name in ("date", "datetime"):
        return lambda row: row[pos] or ""
    if f.nullable:
        return lambda row: (0, "") if row[pos] is None else (1, row[pos].lower())
    return lambda row: (row[pos] or "").lower()


def _compile_condition(f: FieldDef, condition: Condition, languages: list[int]) -> Callable[[Row], bool]:
    """A row predicate with MySQL semantics: numbers compare as numbers, text case-insensitively."""
    pos = f.pos
    numeric = bool(f.type.numeric) or f.name == "id"
    is_date = f.type.name in ("date", "datetime")

    def convert(text: str) -> Any:
        if numeric:
            return _number(text)
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
    if op == "eq":
        wanted = {convert(v) for v in condition.values}
        predicate = lambda row: any(v in wanted for v in values_of(row))  # noqa: E731
        if len(wanted) == 1:
            only = next(iter(wanted))
            bounds = (only, True, only, True)
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
        regex = _like_regex(condition.like)

        def predicate(row: Row) -> bool:
            if f.name == "id":
                texts = [str(row[0])]
            elif f.i18n:
                texts = [(row[pos] or {}).get(lang, "") for lang in languages]
            else:
                texts = [] if row[pos] is None else [str(row[pos])]
            return any(regex.fullmatch(t) for t in texts)

    return _Predicate(predicate, f, bounds)


class _Predicate:
    """A filter predicate that also tells the query planner its bounds on its field."""

    __slots__ = ("_test", "field", "bounds")

    def __init__(self, test: Callable[[Row], bool], field_def: FieldDef, bounds):
        self._test = test
        self.field = field_def
        self.bounds = bounds

    def __call__(self, row: Row) -> bool:
        return self._test(row)

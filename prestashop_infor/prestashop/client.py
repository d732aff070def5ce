"""Client for the PrestaShop Webservice (contract: shared/contracts/prestashop-webservice.md).

Reads are JSON by default (``Output-Format: JSON``) or XML on request; writes are XML (§3). Every
record comes back as a plain dict in the JSON shape of §7.2 whichever format was used, so
``models.Order.model_validate(record)`` works on both. What the client takes care of:

- one ``httpx.Client`` per client (connection reuse); Basic auth with the key as user name, or the
  ``ws_key`` query parameter as a fallback (§2); the key never appears in an error or a log line;
- paging always with an explicit sort and page size (§5.4, §5.5): ``iter_all`` pages by key on
  ``id``; ``changed_since`` is the incremental read of §5.10 (key paging on ``date_upd``);
- both empty-list shapes, a root element that differs from the URL name, ids-only and partial lists;
- retries with exponential backoff and jitter (tenacity) on connection errors, timeouts, 5xx, 429
  and unparsable bodies; no retry on other 4xx; typed errors (``PrestashopError`` and subclasses);
- the shop's time zone: filter values are built in shop-local time, watermarks are UTC.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx

from prestashop_infor.hedging import Hedge
from prestashop_infor.prestashop import xml_codec
from prestashop_infor.prestashop.models import earliest_local_since, latest_local_until, to_utc
from prestashop_infor.retry import RetryPolicy, Transient, retry_after_seconds

Format = Literal["json", "xml"]

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
EPOCH_LOCAL = "1970-01-01 00:00:00"

# Resources without date_upd cannot be read incrementally (§5.10): full scans or webhooks instead.
NO_DATE_UPD = frozenset({"stock_availables", "order_carriers", "order_payments", "order_histories"})

# Fields a PUT must not carry (§6.5): code 93 for the first ones, read-only in the synopsis for the
# others, and computed getters whose echo would be rejected or would have side effects.
READ_ONLY_FIELDS: dict[str, frozenset[str]] = {
    "products": frozenset(
        {
            "manufacturer_name",
            "quantity",
            "id_default_image",
            "id_default_combination",
            "position_in_category",
            "type",
        }
    ),
    "combinations": frozenset({"quantity"}),
    "customers": frozenset({"secure_key", "last_passwd_gen"}),
    "orders": frozenset({"shipping_number"}),
}
# Associations PrestaShop ignores or refuses in a PUT (order lines have no setter, §6.5).
READ_ONLY_ASSOCIATIONS: dict[str, frozenset[str]] = {"orders": frozenset({"order_rows"})}


# --- errors -----------------------------------------------------------------------------------------


IDS_PER_REQUEST = 100  # ids per filter[id]=[a|b|c] list read: keeps the URL short


class PrestashopError(Exception):
    """Base of every error the client raises. Carries the redacted URL, the resource and the status."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        resource: str | None = None,
        status: int | None = None,
        errors: list[tuple[int | None, str]] | None = None,
    ):
        super().__init__(message)
        self.url = url
        self.resource = resource
        self.status = status
        self.errors = errors or []

    @property
    def codes(self) -> list[int | None]:
        return [code for code, _ in self.errors]


class PrestashopAuthError(PrestashopError):
    """401/403: the shop rejected the key (or the key may not use this resource/shop). Not retried."""


class PrestashopUnavailable(PrestashopError):
    """The shop could not be reached, timed out, or kept answering 5xx/429 after every retry."""


class PrestashopResponseError(PrestashopError):
    """The shop answered 2xx with a body that is not a Webservice document (truncated, HTML, PHP
    warning before the XML...), on every attempt."""


class PrestashopRequestError(PrestashopError):
    """A 4xx other than 401/403: the request is wrong (unknown filter, validation error, ...).
    ``errors`` holds the shop's ``(code, message)`` pairs."""


class PrestashopNotFound(PrestashopError):
    """A record a write helper needs does not exist (no stock row, no order carrier...)."""


# --- pages ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a paged read.

    ``watermark`` (``changed_since`` only) is the highest ``date_upd``, as aware UTC, of all records
    delivered so far in this run, this page included. Store it durably *after* processing the page:
    a failure on a later page then never moves the cursor past unprocessed records.
    """

    resource: str
    records: list[dict[str, Any]]
    watermark: datetime | None
    number: int
    params: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.records)


# --- the client -------------------------------------------------------------------------------------


class PrestashopClient:
    """A PrestaShop Webservice client for one shop and one key."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        time_zone: str = "UTC",
        page_size: int = 100,
        timeout: float = 30.0,
        read_timeout: float = 15.0,
        max_attempts: int = 5,
        use_ws_key: bool = False,
        http_client: httpx.Client | None = None,
        fmt: Format = "json",
        backoff: float = 0.5,
        backoff_max: float = 30.0,
    ):
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if fmt not in ("json", "xml"):
            raise ValueError(f"fmt must be 'json' or 'xml', got {fmt!r}")
        # the shop's base URL, whether given as https://shop.example or https://shop.example/api/; a key
        # written into it (https://KEY@shop.example/api/) is dropped: it would show in every error
        # message, and the key is sent from ``api_key``
        self.base_url = _without_userinfo(base_url).rstrip("/").removesuffix("/api").rstrip("/")
        self.time_zone = ZoneInfo(time_zone)
        self.page_size = page_size
        self.max_attempts = max_attempts
        self.fmt: Format = fmt
        self._retry = RetryPolicy(max_attempts=max_attempts, backoff=backoff, backoff_max=backoff_max)
        # a read that hangs is asked again beside it rather than waited out (``hedging``)
        self._hedge = Hedge(give_up_after=read_timeout)
        self.shop_version: str | None = None  # from the PSWS-Version header of the last answer
        self._api_key = api_key
        self._use_ws_key = use_ws_key
        if use_ws_key:  # httpx logs every request's URL (INFO "HTTP Request: GET ..."): not the key's
            _redact_httpx_log()
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)
        # a read (GET, HEAD) that has not answered within ``read_timeout`` is asked again (it changes
        # nothing); a write gets the whole ``timeout``, since repeating it is not always safe
        self._read_timeout = min(read_timeout, timeout)

    def __repr__(self) -> str:  # never show the key
        return f"PrestashopClient({self.base_url!r}, time_zone={self.time_zone.key!r})"

    # -- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        self._hedge.close()
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> PrestashopClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- reads -------------------------------------------------------------------------------------

    def ping(self) -> str | None:
        """``HEAD /api/``: raises ``PrestashopAuthError`` if the key is rejected; returns the shop version."""
        self._request("HEAD", "", resource="api", expect_body=False)
        return self.shop_version

    def list(
        self,
        resource: str,
        *,
        display: str | None = "full",
        filters: Mapping[str, str] | None = None,
        sort: str | None = "[id_ASC]",
        limit: int | None = None,
        offset: int = 0,
        date: bool = False,
        language: int | str | None = None,
        fmt: Format | None = None,
        params: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """One list request. ``date=1`` is added by itself whenever a filter or the sort names a date field."""
        query = self._list_params(resource, display, filters, sort, limit, offset, date, language, params)
        return self._fetch_list(resource, query, fmt or self.fmt, offset=offset)

    def list_by_ids(
        self,
        resource: str,
        ids: Iterable[int],
        *,
        key: str = "id",
        display: str | None = "full",
        filters: Mapping[str, str] | None = None,
        chunk: int = IDS_PER_REQUEST,
    ) -> list[dict[str, Any]]:
        """The records whose ``key`` is one of ``ids``: ``filter[key]=[a|b|c]`` list reads of
        ``chunk`` ids each (keeps URLs short), sorted by id; absent ids are simply not returned."""
        wanted = sorted({int(i) for i in ids})
        rows: list[dict[str, Any]] = []
        for start in range(0, len(wanted), chunk):
            part = wanted[start : start + chunk]
            rows += self.list(
                resource,
                display=display,
                filters={**(filters or {}), key: "[" + "|".join(map(str, part)) + "]"},
            )
        return rows

    def get(self, resource: str, id: int, *, fmt: Format | None = None) -> dict[str, Any] | None:
        """One full record, ``None`` if absent. Uses the list form ``filter[id]=[id]`` because 8.x drops
        falsy fields from single-record JSON (§7.2)."""
        records = self.list(resource, filters={"id": f"[{int(id)}]"}, sort=None, fmt=fmt)
        return records[0] if records else None

    def iter_pages(
        self,
        resource: str,
        *,
        display: str | None = "full",
        filters: Mapping[str, str] | None = None,
        page_size: int | None = None,
        fmt: Format | None = None,
    ) -> Iterator[Page]:
        """A full scan in id order, one page at a time.

        Pages by key (``filter[id]=>[last id]``, ``sort=[id_ASC]``): records created or deleted while
        the scan runs never shift the pages, so nothing is skipped or repeated. When the caller
        filters on ``id`` itself or asks for a display without ``id``, offsets are used instead.
        """
        size = page_size or self.page_size
        filters = dict(filters or {})
        by_key = "id" not in filters and _display_has_id(display)
        last_id: int | None = None
        offset = 0
        seen: set[int] = set()  # only needed when paging by offset; key paging is monotonic in id
        for number in range(1, 10**9):
            page_filters = dict(filters)
            if by_key and last_id is not None:
                page_filters["id"] = f">[{last_id}]"
            query = self._list_params(
                resource, display, page_filters, "[id_ASC]", size, 0 if by_key else offset, False, None, None
            )
            rows = self._fetch_list(resource, query, fmt or self.fmt, offset=offset)
            fresh = []
            for row in rows:
                row_id = row.get("id")
                if isinstance(row_id, int):
                    if by_key:
                        if last_id is not None and row_id <= last_id:
                            continue
                        last_id = row_id
                    elif row_id in seen:
                        continue
                    else:
                        seen.add(row_id)
                fresh.append(row)
            if fresh:
                yield Page(resource, fresh, None, number, query)
            offset += len(rows)
            if len(rows) < size or (by_key and not fresh):
                return

    def iter_all(
        self,
        resource: str,
        *,
        display: str | None = "full",
        filters: Mapping[str, str] | None = None,
        page_size: int | None = None,
        fmt: Format | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record of a resource, in id order, streamed page by page (see :meth:`iter_pages`)."""
        for page in self.iter_pages(resource, display=display, filters=filters, page_size=page_size, fmt=fmt):
            yield from page.records

    def changed_since(
        self,
        resource: str,
        since: datetime | None,
        *,
        until: datetime | None = None,
        overlap: timedelta = timedelta(minutes=10),
        page_size: int | None = None,
        filters: Mapping[str, str] | None = None,
        fmt: Format | None = None,
    ) -> Iterator[Page]:
        """Records whose ``date_upd`` lies in ``[since - overlap, until]``, as pages (§5.10).

        ``since``/``until`` are aware datetimes (naive ones are taken as UTC); ``since=None`` reads
        everything up to ``until``. ``until`` defaults to the shop's clock at the start (the
        ``Access-Time`` header, else this machine's clock) and stays fixed for the run. Pages by key on
        ``date_upd`` (``sort=[date_upd_ASC,id_ASC]``, ``filter[date_upd]=[CURSOR,TO]``), drops ids already
        delivered in this run, and pages by offset inside one second when a whole page shares it.
        Empty pages are not yielded.
        """
        if resource in NO_DATE_UPD:
            raise ValueError(
                f"{resource} has no date_upd and cannot be read incrementally; use iter_all (a full scan)"
            )
        size = page_size or self.page_size
        until_utc = _aware(until) if until is not None else self.shop_time()
        to_local = latest_local_until(until_utc, self.time_zone).strftime(DATE_FORMAT)
        if since is None:
            cursor = EPOCH_LOCAL
        else:
            cursor = earliest_local_since(_aware(since) - overlap, self.time_zone).strftime(DATE_FORMAT)
        seen: set[int] = set()
        watermark: datetime | None = None
        number = 0
        second: str | None = None  # set while paging by offset inside one second
        second_offset = 0
        for _ in range(10**9):
            if second is None and cursor > to_local:
                return
            page_filters = dict(filters or {})
            if second is None:
                page_filters["date_upd"] = f"[{cursor},{to_local}]"
                offset = 0
            else:
                page_filters["date_upd"] = f"[{second},{second}]"
                offset = second_offset
            query = self._list_params(
                resource, "full", page_filters, "[date_upd_ASC,id_ASC]", size, offset, True, None, None
            )
            rows = self._fetch_list(resource, query, fmt or self.fmt, offset=offset)
            fresh = []
            for row in rows:
                row_id = row.get("id")
                if row_id in seen:
                    continue
                seen.add(row_id)
                fresh.append(row)
                stamp = self._date_upd_utc(resource, row)
                if stamp is not None and (watermark is None or stamp > watermark):
                    watermark = stamp
            if fresh:
                number += 1
                yield Page(resource, fresh, watermark, number, query)
            if second is not None:
                if len(rows) < size:
                    cursor = _next_second(second)
                    second = None
                else:
                    second_offset += len(rows)
                continue
            if len(rows) < size:
                return
            last = str(rows[-1].get("date_upd", ""))
            if last > cursor:
                cursor = last
            else:
                # The whole page shares the cursor's second: page through that second by offset.
                second, second_offset = cursor, len(rows)

    def shop_time(self) -> datetime:
        """The shop's clock as aware UTC: the ``Access-Time`` header of a cheap request, else our clock."""
        response = self._request("HEAD", "", resource="api", expect_body=False)
        access_time = response.headers.get("access-time", "")
        if access_time.isdigit():
            return datetime.fromtimestamp(int(access_time), UTC)
        return datetime.now(UTC).replace(microsecond=0)

    # -- convenience reads ---------------------------------------------------------------------------

    def order_states(self) -> list[dict[str, Any]]:
        """All order states, sorted by id (they are data, never hard-coded: §10)."""
        return self.list("order_states", sort="[id_ASC]")

    def order_histories(self, order_id: int) -> list[dict[str, Any]]:
        return self.list("order_histories", filters={"id_order": f"[{int(order_id)}]"}, sort="[id_ASC]")

    def order_details(self, order_id: int) -> list[dict[str, Any]]:
        return self.list("order_details", filters={"id_order": f"[{int(order_id)}]"}, sort="[id_ASC]")

    def order_carriers(self, order_id: int) -> list[dict[str, Any]]:
        return self.list("order_carriers", filters={"id_order": f"[{int(order_id)}]"}, sort="[id_ASC]")

    def order_payments(self, order_reference: str) -> list[dict[str, Any]]:
        return self.list(
            "order_payments", filters={"order_reference": f"[{order_reference}]"}, sort="[id_ASC]"
        )

    def stock_available(
        self, product_id: int, combination_id: int = 0, *, shop_id: int | None = None
    ) -> dict[str, Any] | None:
        """The stock row of a product (``combination_id=0``) or of one of its combinations."""
        filters = {"id_product": f"[{int(product_id)}]", "id_product_attribute": f"[{int(combination_id)}]"}
        if shop_id is not None:
            filters["id_shop"] = f"[{int(shop_id)}]"
        rows = self.list("stock_availables", filters=filters)
        if len(rows) > 1:
            raise PrestashopRequestError(
                f"{len(rows)} stock_availables rows for product {product_id} combination {combination_id} "
                "(multistore): pass shop_id",
                resource="stock_availables",
            )
        return rows[0] if rows else None

    # -- writes --------------------------------------------------------------------------------------

    def create(
        self, resource: str, record: Mapping[str, Any], *, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """POST one record (XML body, §6.2) without its id and read-only fields (§6.5); returns the
        created record as the shop stored it."""
        body = {k: v for k, v in writable_fields(resource, record).items() if k != "id"}
        content = xml_codec.render_entity(xml_codec.singular_of(resource), body)
        response = self._request(
            "POST", resource, resource=resource, params=dict(params or {}), content=content
        )
        return self._parse_record(resource, response)

    def update(
        self, resource: str, record: Mapping[str, Any], *, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """PUT a whole record (§6.3): read-only fields stripped (§6.5), id in the URL and the body.

        Every field left out is reset by the shop, so pass a complete record as read. For a resource
        with multilingual fields, read it with ``fmt="xml"``: XML always gives them in language form,
        while single-language JSON gives a plain string that would not be written back per language.
        """
        if "id" not in record or record["id"] in (None, ""):
            raise ValueError(f"cannot update {resource} without an id")
        record_id = int(record["id"])
        body = writable_fields(resource, record)
        body["id"] = record_id
        content = xml_codec.render_entity(xml_codec.singular_of(resource), body)
        response = self._request(
            "PUT", f"{resource}/{record_id}", resource=resource, params=dict(params or {}), content=content
        )
        return self._parse_record(resource, response)

    def add_order_history(self, order_id: int, state_id: int, *, send_email: bool = False) -> dict[str, Any]:
        """POST ``order_histories`` (§6.6); ``sendemail=1`` when asked. Skipping a no-op change (state
        already current) is the caller's decision: the shop itself would add a duplicate row."""
        params = {"sendemail": "1"} if send_email else {}
        return self.create(
            "order_histories", {"id_order": int(order_id), "id_order_state": int(state_id)}, params=params
        )

    def set_stock(
        self, product_id: int, combination_id: int, quantity: int, *, shop_id: int | None = None
    ) -> dict[str, Any]:
        """Write an absolute quantity: find the ``stock_availables`` row, PUT it back whole (§6.6)."""
        row = self.stock_available(product_id, combination_id, shop_id=shop_id)
        if row is None:
            raise PrestashopNotFound(
                f"no stock_availables row for product {product_id} combination {combination_id}",
                resource="stock_availables",
            )
        return self.set_stock_row(row, quantity)

    def set_stock_row(self, row: Mapping[str, Any], quantity: int) -> dict[str, Any]:
        """PUT a ``stock_availables`` row as read, whole, with a new absolute quantity (§6.6)."""
        return self.update("stock_availables", {**row, "quantity": int(quantity)})

    def set_tracking_number(
        self, order_id: int, tracking_number: str, *, send_email: bool = True
    ) -> dict[str, Any] | None:
        """Set the tracking number on the order's carrier row (the latest one if several) and PUT it
        back whole, with ``sendemail=1`` for the in-transit email (§6.6). None when the row already
        holds that number (nothing written, no second email)."""
        rows = self.order_carriers(order_id)
        if not rows:
            raise PrestashopNotFound(f"order {order_id} has no order_carriers row", resource="order_carriers")
        row = max(rows, key=lambda r: int(r["id"]))
        if (row.get("tracking_number") or "") == tracking_number:
            return None
        params = {"sendemail": "1"} if send_email else {}
        return self.update("order_carriers", {**row, "tracking_number": tracking_number}, params=params)

    def add_order_payment(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """POST ``order_payments`` (keyed by ``order_reference``, there is no ``id_order``)."""
        return self.create("order_payments", record)

    # -- internals -----------------------------------------------------------------------------------

    def _date_upd_utc(self, resource: str, row: Mapping[str, Any]) -> datetime | None:
        text = row.get("date_upd")
        if not text or str(text).startswith("0000"):
            return None
        try:
            local = datetime.strptime(str(text), DATE_FORMAT)
        except ValueError:
            raise PrestashopResponseError(
                f"{resource} {row.get('id')} has an unreadable date_upd {text!r}", resource=resource
            ) from None
        return to_utc(local, self.time_zone)

    def _list_params(
        self,
        resource: str,
        display: str | None,
        filters: Mapping[str, str] | None,
        sort: str | None,
        limit: int | None,
        offset: int,
        date: bool,
        language: int | str | None,
        extra: Mapping[str, str] | None,
    ) -> dict[str, str]:
        query: dict[str, str] = {}
        if display:
            query["display"] = display
        for name, value in (filters or {}).items():
            if value == "":
                raise ValueError(
                    f"empty filter value for {resource}.{name} (the shop would answer 400 code 33)"
                )
            query[f"filter[{name}]"] = str(value)
        if sort:
            query["sort"] = sort
        if limit is not None:
            query["limit"] = f"{offset},{limit}" if offset else str(limit)
        elif offset:
            raise ValueError("offset needs a limit")
        names = " ".join([*(filters or {}).keys(), sort or ""])
        if date or "date_add" in names or "date_upd" in names:
            query["date"] = "1"
        if language is not None:
            query["language"] = str(language)
        query.update(extra or {})
        return query

    def _fetch_list(
        self, resource: str, query: dict[str, str], fmt: Format, *, offset: int
    ) -> list[dict[str, Any]]:
        def parse(response: httpx.Response) -> list[dict[str, Any]]:
            return _parse_list_body(response.content, fmt)

        return self._request(
            "GET", resource, resource=resource, params=query, fmt=fmt, parse=parse, offset=offset
        )

    def _parse_record(self, resource: str, response: httpx.Response) -> dict[str, Any]:
        try:
            _, record = xml_codec.parse_record(response.content)
        except xml_codec.MalformedDocument as exc:
            raise PrestashopResponseError(
                f"the shop's answer to a write on {resource} is not a record ({exc}) at {_redact(response.request.url)}",
                url=_redact(response.request.url),
                resource=resource,
                status=response.status_code,
            ) from None
        return record

    def _request(
        self,
        method: str,
        path: str,
        *,
        resource: str,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        fmt: Format = "xml",
        parse: Any = None,
        offset: int | None = None,
        expect_body: bool = True,
    ) -> Any:
        """One call with retries. Returns ``parse(response)`` when given, else the response.

        A POST is not idempotent (a retried order history would be added twice), so it is retried only
        when it certainly did not reach the shop or was refused before processing (connect errors,
        429, 503); everything else is retried whenever it is transient.
        """
        idempotent = method != "POST"
        params = dict(params or {})
        headers = {}
        if fmt == "json":
            headers["Output-Format"] = "JSON"
        if content is not None:
            headers["Content-Type"] = "text/xml; charset=utf-8"
        auth: tuple[str, str] | None = (self._api_key, "")
        if self._use_ws_key:
            params["ws_key"] = self._api_key
            auth = None
        url = f"{self.base_url}/api/{path}"

        read = method in ("GET", "HEAD")

        def send() -> httpx.Response:
            return self._http.request(
                method,
                url,
                params=params,
                headers=headers,
                content=content,
                auth=auth,
                timeout=self._read_timeout if read else httpx.USE_CLIENT_DEFAULT,
            )

        def attempt() -> Any:
            try:
                response = self._hedge.call(send) if read else send()
            except httpx.TransportError as exc:
                shown = _redact(httpx.URL(url, params=params))
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "is unreachable"
                error = PrestashopUnavailable(
                    f"the shop at {shown} {kind} ({type(exc).__name__}) during {method} {resource}",
                    url=shown,
                    resource=resource,
                )
                if idempotent or isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                    raise Transient(error) from None
                error.args = (f"{error.args[0]}; the write may or may not have been applied",)
                raise error from None
            # httpx's response stream refers back to the response: a reference cycle that would keep
            # each page's body alive until the cyclic GC runs, so peak memory would grow with the
            # number of pages. The body is already read; cut the cycle.
            response.stream = httpx.ByteStream(b"")
            try:
                return self._check(response, resource, offset, parse, expect_body)
            except Transient as exc:
                if idempotent or exc.final.status in (429, 503):
                    raise
                raise exc.final from None

        return self._retry.call(attempt)

    def _check(
        self, response: httpx.Response, resource: str, offset: int | None, parse: Any, expect_body: bool
    ) -> Any:
        status = response.status_code
        shown = _redact(response.request.url)
        version = response.headers.get("psws-version")
        if version:
            self.shop_version = version
        where = f"{resource} at {shown}" + (f" (offset {offset})" if offset else "")
        if status in (401, 403):
            raise PrestashopAuthError(
                f"the shop rejected the API key (HTTP {status}) for {where}: check the key, its permissions "
                f"and that the server passes the Authorization header{_describe(response)}",
                url=shown,
                resource=resource,
                status=status,
                errors=_errors_of(response),
            )
        if status == 429 or status >= 500:
            retry_after = response.headers.get("retry-after", "")
            raise Transient(
                PrestashopUnavailable(
                    f"the shop answered HTTP {status} for {where}{_describe(response)}",
                    url=shown,
                    resource=resource,
                    status=status,
                    errors=_errors_of(response),
                ),
                retry_after=retry_after_seconds(retry_after),
                rate_limited=status == 429,
            )
        if status >= 400:
            raise PrestashopRequestError(
                f"the shop refused the request (HTTP {status}) for {where}{_describe(response)}",
                url=shown,
                resource=resource,
                status=status,
                errors=_errors_of(response),
            )
        if parse is None:
            if expect_body and not response.content:
                raise Transient(
                    PrestashopResponseError(
                        f"empty body from the shop for {where}", url=shown, resource=resource, status=status
                    )
                )
            return response
        try:
            return parse(response)
        except (ValueError, xml_codec.MalformedDocument) as exc:
            raise Transient(
                PrestashopResponseError(
                    f"unreadable answer from the shop for {where}: {exc}; body starts {response.content[:80]!r}",
                    url=shown,
                    resource=resource,
                    status=status,
                )
            ) from None


# --- body parsing -----------------------------------------------------------------------------------


def _parse_list_body(body: bytes, fmt: Format) -> list[dict[str, Any]]:
    """A list answer in either format, as records. Raises ``ValueError`` when it is not one."""
    if fmt == "xml":
        _, records = xml_codec.parse_list(body)
        return records
    document = json.loads(body)  # JSONDecodeError is a ValueError
    if document == []:
        return []  # the bare empty list of §7.2 / pitfall 1
    if not isinstance(document, dict) or len(document) != 1:
        raise ValueError(f"expected one top-level key, got {type(document).__name__}")
    ((name, value),) = document.items()
    if name == "errors":
        raise ValueError("an error document where a list was expected")
    if isinstance(value, dict):
        return [value]  # a single record where a list was expected: still a record
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError(f"'{name}' is not a list of records")
    return value


def _errors_of(response: httpx.Response) -> list[tuple[int | None, str]]:
    body = response.content
    if not body:
        return []
    stripped = body.lstrip()
    if stripped.startswith(b"{"):
        try:
            document = json.loads(body)
        except ValueError:
            return []
        errors = document.get("errors") if isinstance(document, dict) else None
        if not isinstance(errors, list):
            return []
        result = []
        for item in errors:
            if isinstance(item, dict):
                code = item.get("code")
                result.append((int(code) if str(code).isdigit() else None, str(item.get("message", ""))))
        return result
    return xml_codec.parse_errors(body)


def _describe(response: httpx.Response) -> str:
    errors = _errors_of(response)
    if errors:
        return ": " + "; ".join(f"[{code}] {message}" for code, message in errors)
    return ""


def _redact(url: httpx.URL) -> str:
    if "ws_key" in url.params:
        url = url.copy_set_param("ws_key", "REDACTED")
    if url.userinfo:
        url = url.copy_with(userinfo=b"")
    return str(url)


def _without_userinfo(url: str) -> str:
    parsed = httpx.URL(url)
    return str(parsed.copy_with(userinfo=b"")) if parsed.userinfo else url


class _RedactedUrls(logging.Filter):
    """Shows the URLs of httpx's request log lines as the client's errors do (``ws_key=REDACTED``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(arg, httpx.URL) for arg in record.args):
            record.args = tuple(_redact(arg) if isinstance(arg, httpx.URL) else arg for arg in record.args)
        return True


def _redact_httpx_log() -> None:
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactedUrls) for f in httpx_log.filters):
        httpx_log.addFilter(_RedactedUrls())


def writable_fields(resource: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` without the fields a PUT/POST must not carry for this resource (§6.5)."""
    skip = READ_ONLY_FIELDS.get(resource, frozenset())
    body = {name: value for name, value in record.items() if name not in skip}
    skip_associations = READ_ONLY_ASSOCIATIONS.get(resource, frozenset())
    if "associations" in body and skip_associations:
        kept = {k: v for k, v in body["associations"].items() if k not in skip_associations}
        if kept:
            body["associations"] = kept
        else:
            del body["associations"]
    return body


def _display_has_id(display: str | None) -> bool:
    if display in (None, "", "full", "minimum"):
        return True
    fields = display.strip("[]").split(",")
    return "id" in (name.split("[")[0].strip() for name in fields)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _next_second(local: str) -> str:
    return (datetime.strptime(local, DATE_FORMAT) + timedelta(seconds=1)).strftime(DATE_FORMAT)

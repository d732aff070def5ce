"""The PrestaShop client's reads: list requests, full scans and incremental reads, as plain dicts.

- every record comes back in the JSON shape of §7.2 whichever format was read (``Output-Format: JSON``
  by default, XML on request), so ``models.Order.model_validate(record)`` works on both;
- paging always with an explicit sort and page size (§5.4, §5.5): ``iter_all`` pages by key on
  ``id``; ``changed_since`` is the incremental read of §5.10 (key paging on ``date_upd``);
- both empty-list shapes, a root element that differs from the URL name, ids-only and partial lists;
- the shop's time zone: filter values are built in shop-local time, watermarks are UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from prestashop_infor.prestashop import xml_codec
from prestashop_infor.prestashop.errors import PrestashopRequestError, PrestashopResponseError
from prestashop_infor.prestashop.models import earliest_local_since, latest_local_until, to_utc
from prestashop_infor.prestashop.transport import Format, Transport

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
EPOCH_LOCAL = "1970-01-01 00:00:00"

# Resources without date_upd cannot be read incrementally (§5.10): full scans or webhooks instead.
NO_DATE_UPD = frozenset({"stock_availables", "order_carriers", "order_payments", "order_histories"})

#: The resources a multistore keeps per shop that an installation restricted to some shops
#: (``PrestashopClient(shops=...)``) reads only for them: ``filter[id_shop]``. Customers are not:
#: a customer registered in one shop may order in another.
SHOP_SCOPED = frozenset({"orders", "stock_availables"})
IDS_PER_REQUEST = 100  # ids per filter[id]=[a|b|c] list read: keeps the URL short


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


class ShopReads(Transport):
    """The reads of ``PrestashopClient``, over its transport."""

    time_zone: ZoneInfo  # the shop's; set by PrestashopClient, like the three below
    page_size: int
    fmt: Format
    shops: tuple[int, ...]  # the shops of a multistore this client works for; empty: all

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
        if self.shops and resource in SHOP_SCOPED and "id_shop" not in (filters or {}):
            query["filter[id_shop]"] = "[" + "|".join(map(str, self.shops)) + "]"
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


# --- helpers ----------------------------------------------------------------------------------------


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


def _display_has_id(display: str | None) -> bool:
    if display in (None, "", "full", "minimum"):
        return True
    fields = display.strip("[]").split(",")
    return "id" in (name.split("[")[0].strip() for name in fields)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _next_second(local: str) -> str:
    return (datetime.strptime(local, DATE_FORMAT) + timedelta(seconds=1)).strftime(DATE_FORMAT)

"""Client for the PrestaShop Webservice (contract: shared/contracts/prestashop-webservice.md).

``PrestashopClient`` is one shop and one key. It is built in layers, each in its own module:

- ``transport``: the HTTP request (auth, retries, hedged reads, timeouts, typed errors, the key
  redacted from every error and log line);
- ``reads``: list requests, full scans and the incremental ``changed_since``, records as plain dicts
  in the JSON shape of §7.2;
- here: the client's construction and its writes, XML bodies (§3) without the fields a write must not
  carry (§6.5): create, update, delete, order histories and payments, stock quantities, tracking numbers (a row per shipment).

The errors (``errors``) and ``Page`` are importable from here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from prestashop_infor.prestashop import xml_codec
from prestashop_infor.prestashop.errors import (
    PrestashopAuthError,
    PrestashopError,
    PrestashopNotFound,
    PrestashopRequestError,
    PrestashopResponseError,
    PrestashopUnavailable,
)
from prestashop_infor.prestashop.reads import (
    DATE_FORMAT,
    EPOCH_LOCAL,
    IDS_PER_REQUEST,
    NO_DATE_UPD,
    Page,
    ShopReads,
)
from prestashop_infor.prestashop.transport import Format, redact

__all__ = [
    "DATE_FORMAT",
    "EPOCH_LOCAL",
    "IDS_PER_REQUEST",
    "NO_DATE_UPD",
    "READ_ONLY_ASSOCIATIONS",
    "READ_ONLY_FIELDS",
    "Format",
    "Page",
    "PrestashopAuthError",
    "PrestashopClient",
    "PrestashopError",
    "PrestashopNotFound",
    "PrestashopRequestError",
    "PrestashopResponseError",
    "PrestashopUnavailable",
    "writable_fields",
]

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


class PrestashopClient(ShopReads):
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
        shops: tuple[int, ...] = (),
    ):
        """``shops``: in a multistore, the shops (``id_shop``) this client works for; its reads of
        orders and stock see only theirs (``reads.SHOP_SCOPED``). Empty: every shop."""
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if fmt not in ("json", "xml"):
            raise ValueError(f"fmt must be 'json' or 'xml', got {fmt!r}")
        self.time_zone = ZoneInfo(time_zone)
        self.page_size = page_size
        self.fmt = fmt
        self.shops = tuple(shops)
        super().__init__(
            base_url,
            api_key,
            timeout=timeout,
            read_timeout=read_timeout,
            max_attempts=max_attempts,
            use_ws_key=use_ws_key,
            http_client=http_client,
            backoff=backoff,
            backoff_max=backoff_max,
        )

    def __repr__(self) -> str:  # never show the key
        return f"PrestashopClient({self.base_url!r}, time_zone={self.time_zone.key!r})"

    # -- lifecycle (``close`` is the transport's) ----------------------------------------------------

    def __enter__(self) -> PrestashopClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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

    def delete(self, resource: str, record_id: int) -> None:
        """DELETE one record (an empty 200). A record already gone raises ``PrestashopRequestError``
        with status 404 (code 87), which a retry after a lost answer also meets: the caller decides
        what gone means."""
        self._request("DELETE", f"{resource}/{int(record_id)}", resource=resource, expect_body=False)

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

    def set_tracking_numbers(
        self, order_id: int, numbers: Sequence[str], *, send_email: bool = True
    ) -> list[str]:
        """One ``order_carriers`` row per tracking number, as the shop keeps one row per shipment
        (contract, order_carriers): a number a row holds already is left alone (also inside a row that
        joined several with ", "); a new one goes on a row without a number (the oldest), else on a
        new row of the order's carrier. Each is PUT whole with ``sendemail=1`` for the customer's
        in-transit email (§6.6). Returns the numbers written, in order (none: nothing written, no
        email). A row added but not filled (a run that stopped between the two) is filled next time."""
        rows = self.order_carriers(order_id)
        if not rows:
            raise PrestashopNotFound(f"order {order_id} has no order_carriers row", resource="order_carriers")
        held = {n.strip() for r in rows for n in str(r.get("tracking_number") or "").split(", ") if n.strip()}
        free = sorted((r for r in rows if not r.get("tracking_number")), key=lambda r: int(r["id"]))
        latest = max(rows, key=lambda r: int(r["id"]))
        params = {"sendemail": "1"} if send_email else {}
        written = []
        for number in numbers:
            if number in held:
                continue
            row = free.pop(0) if free else self.create("order_carriers", {
                "id_order": int(order_id), "id_carrier": latest.get("id_carrier") or 0, "id_order_invoice": 0,
                "weight": 0, "shipping_cost_tax_excl": 0, "shipping_cost_tax_incl": 0, "tracking_number": "",
            })  # fmt: skip
            self.update("order_carriers", {**row, "tracking_number": number}, params=params)
            held.add(number)
            written.append(number)
        return written

    def add_order_payment(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """POST ``order_payments`` (keyed by ``order_reference``, there is no ``id_order``)."""
        return self.create("order_payments", record)

    def _parse_record(self, resource: str, response: httpx.Response) -> dict[str, Any]:
        try:
            _, record = xml_codec.parse_record(response.content)
        except xml_codec.MalformedDocument as exc:
            raise PrestashopResponseError(
                f"the shop's answer to a write on {resource} is not a record ({exc}) at {redact(response.request.url)}",
                url=redact(response.request.url),
                resource=resource,
                status=response.status_code,
            ) from None
        return record


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

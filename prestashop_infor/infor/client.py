"""M3 MI REST client over the ION API gateway: single transactions, bulk requests, retries.

``execute`` sends ``GET {iu}/{ti}/M3/m3api-rest/v2/execute/{PROGRAM}/{TRANSACTION}?FIELD=value`` and
returns the records as dicts of right-trimmed strings; ``bulk`` packs many transactions of one
program into ``POST .../v2/execute`` requests and answers one :class:`BulkResult` per transaction,
partial failure included. M3 errors become :class:`M3TransactionError` (program, transaction, code,
field, message) and are never swallowed.

Transport rules (contract §8): a 401 renews the token and repeats the call, once per issued token; 429 is retried
under the project's one retry policy (``prestashop_infor.retry``: backoff with jitter, honouring
``Retry-After`` in seconds or as a date); 500/502/503/504 and connection failures are retried for
reads (``Get…``/``Lst…``), while writes are not repeated blindly — M3 writes are not idempotent and a
504 may hide a committed write — unless ``retry_writes=True``: the caller gets an
:class:`M3GatewayError` with ``may_have_committed`` and looks before it retries. A 400 is never retried.

The error types live in ``errors.py``; the wire format (values out, records and errors in) in
``wire.py``.
"""

from __future__ import annotations

import copy
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from prestashop_infor.http_clients import new_http_client
from prestashop_infor.infor.errors import M3CompanyError, M3Error, M3GatewayError, M3TransactionError
from prestashop_infor.infor.ionapi import InforAuthError, IonApiCredentials, TokenManager
from prestashop_infor.infor.models import (
    BatchOrderStatus,
    ItemWarehouseBalance,
    OrderHead,
    ServerTime,
)
from prestashop_infor.infor.wire import entry_error, is_read, short_body, trimmed, wire_value
from prestashop_infor.infor.wire import error_in as _error_in
from prestashop_infor.retry import RetryPolicy, Transient, retry_after_seconds

FIRST_KEY = "!"  # the lowest printable key: positioned lists start here to read everything
log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class BulkResult:
    """The outcome of one transaction inside a bulk request."""

    program: str
    transaction: str
    ok: bool
    records: list[dict[str, str]] = field(default_factory=list)
    error: M3Error | None = None
    not_processed: bool = False


class M3Client:
    """A client for one M3 tenant behind the ION API gateway. Thread-safe; use as a context manager
    or call :meth:`close`."""

    def __init__(
        self,
        credentials: IonApiCredentials,
        *,
        tenant_url: str | None = None,
        timeout: float = 30,
        max_attempts: int = 5,
        max_concurrency: int = 4,
        http_client: httpx.Client | None = None,
        client_auth: str = "basic",
        retry_writes: bool = False,
        backoff_base: float = 0.25,
        backoff_max: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
        company: int | None = None,
        division: str | None = None,
    ):
        if max_attempts < 1 or max_concurrency < 1:
            raise ValueError("max_attempts and max_concurrency must be at least 1")
        self.credentials = credentials
        # the context of every call (``cono``, ``divi``); None: the API user's default (contract §4)
        self.company = company
        self.division = division
        self.base_url = (tenant_url or credentials.api_base).rstrip("/") + "/M3/m3api-rest/v2/execute"
        self._owns_http = http_client is None
        self._http = http_client or new_http_client(timeout=timeout)
        self._timeout = timeout
        self.tokens = TokenManager(credentials, self._http, client_auth=client_auth)
        self.max_attempts = max_attempts
        self.max_concurrency = max_concurrency
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._retry_writes = retry_writes
        self.stats = {"requests": 0, "retries": 0, "reauthentications": 0}
        self._stats_lock = threading.Lock()
        self._retry = RetryPolicy(
            max_attempts=max_attempts,
            backoff=backoff_base,
            backoff_max=backoff_max,
            sleep=sleep,
            rng=random.Random(seed),
            on_retry=self._on_retry,
        )

    def __repr__(self) -> str:
        return f"M3Client(tenant={self.credentials.tenant!r}, base_url={self.base_url!r})"

    def in_division(self, division: str | None) -> M3Client:
        """This client with every call in ``division`` (None: this client's own), sharing its
        connection, token, limits and counts: for the records M3 keeps per division (invoices,
        receivables, a customer's financial data) of a shop in a division of its own."""
        if division is None or division == self.division:
            return self
        other = copy.copy(self)
        other.division = division
        other._owns_http = False  # closing it leaves this client's connection open
        return other

    def __enter__(self) -> M3Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- single transactions -------------------------------------------------------------------

    def execute(
        self,
        program: str,
        transaction: str,
        *,
        maxrecs: int | None = None,
        returncols: Sequence[str] | None = None,
        cono: str | int | None = None,
        divi: str | None = None,
        **fields: Any,
    ) -> list[dict[str, str]]:
        """Run one transaction; returns its records (field -> right-trimmed string).

        ``maxrecs`` is sent only when given (0 = unlimited): M3's default when it is omitted is
        not documented, so list calls that need everything should pass ``maxrecs=0``.
        """
        params = {name: wire_value(value) for name, value in fields.items() if value is not None}
        if maxrecs is not None:
            params["maxrecs"] = str(maxrecs)
        if returncols:
            params["returncols"] = ",".join(returncols)
        cono = self.company if cono is None else cono
        divi = self.division if divi is None else divi
        if cono is not None:
            params["cono"] = str(cono)
        if divi is not None:
            params["divi"] = divi
        url = f"{self.base_url}/{program}/{transaction}"
        response = self._send(
            "GET", url, program, transaction, idempotent=is_read(transaction), params=params
        )
        body = self._body(response, program, transaction)
        error = _error_in(body, program, transaction, response.status_code)
        if error is not None:
            _raise_if_company_refused(error, cono)
            log.info(
                "M3 %s/%s error %s field %s: %s", program, transaction, error.code, error.field, error.message
            )
            raise error
        if response.status_code != 200:
            raise M3GatewayError(
                program, transaction, response.status_code, "unexpected answer", may_have_committed=False
            )
        results = body.get("results") or [{}]
        return [trimmed(record) for record in results[0].get("records") or []]

    def list_all(
        self, program: str, transaction: str, key: str, *, page_size: int = 500, **fields: Any
    ) -> list[dict[str, str]]:
        """Read a positioned ``Lst…`` transaction completely: M3 lists start at the key given and
        go on past it, so restart from the last key until a short page (§9)."""
        records: list[dict[str, str]] = []
        start = FIRST_KEY
        for _ in range(100_000):  # bounded: 100,000 pages
            batch = self.execute(program, transaction, maxrecs=page_size, **{key: start}, **fields)
            fresh = [
                r for r in batch if r.get(key, "") > start or (start == FIRST_KEY and r.get(key, "") >= start)
            ]
            records.extend(fresh)
            if len(batch) < page_size or not fresh:
                return records
            start = fresh[-1][key]
        raise RuntimeError(f"{program}/{transaction} did not end after 100,000 pages")

    def execute_one(self, program: str, transaction: str, **options: Any) -> dict[str, str]:
        """Run a ``Get…``-style transaction and return its one record."""
        records = self.execute(program, transaction, **options)
        if not records:
            raise M3TransactionError(program, transaction, message="the transaction returned no record")
        return records[0]

    # -- bulk ----------------------------------------------------------------------------------

    def bulk(
        self,
        calls: Iterable[tuple[str, str, Mapping[str, Any]]],
        *,
        max_per_request: int = 100,
        max_records: int | None = None,
    ) -> list[BulkResult]:
        """Run many independent transactions, packed per program into requests of at most
        ``max_per_request`` and sent with up to ``max_concurrency`` requests in flight.

        Results come back in the order of ``calls``. A failed transaction is a result with
        ``ok=False`` and its :class:`M3TransactionError`; a request the gateway refused after the
        retries marks each of its transactions with an :class:`M3GatewayError`. Authentication
        failures raise. No chaining: an output of one call cannot feed another in the same batch.
        """
        if max_per_request < 1:
            raise ValueError("max_per_request must be at least 1")
        calls = [(program, transaction, dict(fields)) for program, transaction, fields in calls]
        chunks: list[list[int]] = []
        for index, (program, _, _) in enumerate(calls):
            if chunks and calls[chunks[-1][0]][0] == program and len(chunks[-1]) < max_per_request:
                chunks[-1].append(index)
            else:
                chunks.append([index])
        results: list[BulkResult | None] = [None] * len(calls)

        def run(chunk: list[int]) -> None:
            for index, result in zip(
                chunk, self._bulk_request([calls[i] for i in chunk], max_records), strict=True
            ):
                results[index] = result

        if len(chunks) <= 1 or self.max_concurrency == 1:
            for chunk in chunks:
                run(chunk)
        else:
            with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(chunks))) as pool:
                for future in [pool.submit(run, chunk) for chunk in chunks]:
                    future.result()
        return [r for r in results if r is not None]

    def _bulk_request(
        self, calls: list[tuple[str, str, dict[str, Any]]], max_records: int | None
    ) -> list[BulkResult]:
        program = calls[0][0]
        body: dict[str, Any] = {
            "program": program,
            "transactions": [
                {
                    "transaction": transaction,
                    "record": {k: wire_value(v) for k, v in fields.items() if v is not None},
                }
                for _, transaction, fields in calls
            ],
        }
        if max_records is not None:
            body["maxReturnedRecords"] = max_records
        if self.company is not None:
            body["cono"] = self.company
        if self.division is not None:
            body["divi"] = self.division
        label = ",".join(sorted({t for _, t, _ in calls}))
        idempotent = all(is_read(t) for _, t, _ in calls)
        try:
            response = self._send("POST", self.base_url, program, label, idempotent=idempotent, json=body)
            parsed = self._body(response, program, label)
        except M3GatewayError as exc:
            return [BulkResult(program, t, ok=False, error=exc) for _, t, _ in calls]
        entries = parsed.get("results") or []
        if response.status_code != 200 and not entries:
            error = _error_in(parsed, program, label, response.status_code) or M3GatewayError(
                program, label, response.status_code, "bulk request refused", may_have_committed=False
            )
            _raise_if_company_refused(error, self.company)
            return [BulkResult(program, t, ok=False, error=error) for _, t, _ in calls]
        out = []
        for position, (_, transaction, _) in enumerate(calls):
            entry = entries[position] if position < len(entries) else None
            if entry is None or entry.get("notProcessed"):
                error = M3TransactionError(
                    program, transaction, message="not processed (the bulk request was terminated)"
                )
                out.append(BulkResult(program, transaction, ok=False, error=error, not_processed=True))
                continue
            error = entry_error(entry, program, entry.get("transaction") or transaction, response.status_code)
            if error is not None:
                _raise_if_company_refused(error, self.company)
                out.append(BulkResult(program, transaction, ok=False, error=error))
            else:
                out.append(
                    BulkResult(
                        program,
                        transaction,
                        ok=True,
                        records=[trimmed(r) for r in entry.get("records") or []],
                    )
                )
        return out

    # -- typed helpers -------------------------------------------------------------------------

    def server_time(self) -> ServerTime:
        return ServerTime.from_record(self.execute_one("OIS100MI", "GetServerTime"))

    def order_head(self, orno: str) -> OrderHead:
        return OrderHead.from_record(self.execute_one("OIS100MI", "GetHead", ORNO=orno))

    def batch_order_status(self, temporary_orno: str) -> BatchOrderStatus:
        return BatchOrderStatus.from_record(
            self.execute_one("OIS275MI", "GetTmpOrderStat", ORNO=temporary_orno)
        )

    def item_balance(self, warehouse: str, item_number: str) -> ItemWarehouseBalance:
        return ItemWarehouseBalance.from_record(
            self.execute_one("MMS200MI", "GetItmWhsBal", WHLO=warehouse, ITNO=item_number)
        )

    # -- transport -----------------------------------------------------------------------------

    def _count(self, key: str) -> None:
        with self._stats_lock:
            self.stats[key] += 1

    def _on_retry(self, attempt: int, delay: float, error: BaseException) -> None:
        self._count("retries")
        log.info("M3: %s; retry %d in %.2fs", error, attempt, delay)

    def _send(
        self, method: str, url: str, program: str, transaction: str, *, idempotent: bool, **kwargs: Any
    ) -> httpx.Response:
        """One call under the retry policy: 429 always retried, 5xx and transport failures only for
        reads (or ``retry_writes``); a 401 renews the token within the attempt, once per token."""
        retry_any = idempotent or self._retry_writes

        def attempt() -> httpx.Response:
            renewed: str | None = None  # a token this attempt renewed, until it gets an answer
            while True:
                token = self.tokens.access_token()
                headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
                try:
                    with self._slots:
                        self._count("requests")
                        response = self._http.request(method, url, headers=headers, **kwargs)
                except httpx.TransportError as exc:
                    error = M3GatewayError(
                        program, transaction, None, type(exc).__name__, may_have_committed=not idempotent
                    )
                    if retry_any:
                        raise Transient(error) from None
                    raise error from None
                if response.status_code != 401:
                    break
                # one renewal per issued token: a token that expires between retries is renewed
                # again; a token rejected before it was ever accepted means the grant is wrong
                if token == renewed:
                    raise InforAuthError(
                        f"the ION API gateway rejected a freshly issued token for {program}/{transaction} (HTTP 401)",
                        status_code=401,
                    )
                self._count("reauthentications")
                self.tokens.invalidate(token)
                renewed = self.tokens.access_token()
            status = response.status_code
            if status in (200, 400):
                return response
            error = M3GatewayError(
                program,
                transaction,
                status,
                short_body(response),
                may_have_committed=status in RETRYABLE_STATUSES and status != 429 and not idempotent,
            )
            if status == 429 or (status in RETRYABLE_STATUSES and retry_any):
                raise Transient(
                    error,
                    retry_after_seconds(response.headers.get("retry-after")),
                    rate_limited=status == 429,
                )
            raise error

        return self._retry.call(attempt)

    @staticmethod
    def _body(response: httpx.Response, program: str, transaction: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise M3GatewayError(
                program, transaction, response.status_code, "the answer is not JSON", may_have_committed=False
            ) from None
        if not isinstance(body, dict):
            raise M3GatewayError(
                program, transaction, response.status_code, "unexpected JSON", may_have_committed=False
            )
        return body


def _raise_if_company_refused(error: M3Error, company: str | int | None) -> None:
    """``XAU0008`` on ``CONO`` refuses the call's company, whatever the transaction: raised as
    :class:`M3CompanyError` so it stops the caller instead of failing one record after another."""
    if isinstance(error, M3TransactionError) and error.code == "XAU0008" and error.field == "CONO":
        raise M3CompanyError(error, company) from error


# M3Error ... wire_value: defined in errors.py and wire.py, imported from here by the package and
# its callers; _error_in by the tests.
__all__ = [
    "FIRST_KEY",
    "BulkResult",
    "M3Client",
    "M3CompanyError",
    "M3Error",
    "M3GatewayError",
    "M3TransactionError",
    "_error_in",
    "wire_value",
]

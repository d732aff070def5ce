"""The PrestaShop client's transport: one HTTP request to the Webservice, whatever the resource.

- one ``httpx.Client`` per client (connection reuse); Basic auth with the key as user name, or the
  ``ws_key`` query parameter as a fallback (§2); the key never appears in an error or a log line;
- timeouts: a read that hangs is asked again beside it (``hedging``) and gets ``read_timeout``, a
  write the whole ``timeout``;
- retries with exponential backoff and jitter (tenacity) on connection errors, timeouts, 5xx, 429 and
  unparsable bodies; no retry on other 4xx; a POST only when it certainly was not applied;
- the answer checked and classified into the typed errors of ``errors``.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

import httpx

from prestashop_infor.hedging import Hedge
from prestashop_infor.http_clients import new_http_client
from prestashop_infor.prestashop import xml_codec
from prestashop_infor.prestashop.errors import (
    PrestashopAuthError,
    PrestashopRequestError,
    PrestashopResponseError,
    PrestashopUnavailable,
)
from prestashop_infor.retry import RetryPolicy, Transient, retry_after_seconds

Format = Literal["json", "xml"]


class Transport:
    """Requests to one shop's Webservice with one key: retries, hedged reads, timeouts, typed errors."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        read_timeout: float = 15.0,
        max_attempts: int = 5,
        use_ws_key: bool = False,
        http_client: httpx.Client | None = None,
        backoff: float = 0.5,
        backoff_max: float = 30.0,
    ):
        # the shop's base URL, whether given as https://shop.example or https://shop.example/api/; a key
        # written into it (https://KEY@shop.example/api/) is dropped: it would show in every error
        # message, and the key is sent from ``api_key``
        self.base_url = _without_userinfo(base_url).rstrip("/").removesuffix("/api").rstrip("/")
        self.max_attempts = max_attempts
        self._retry = RetryPolicy(max_attempts=max_attempts, backoff=backoff, backoff_max=backoff_max)
        # a read that hangs is asked again beside it rather than waited out (``hedging``)
        self._hedge = Hedge(give_up_after=read_timeout)
        self.shop_version: str | None = None  # from the PSWS-Version header of the last answer
        self._api_key = api_key
        self._use_ws_key = use_ws_key
        if use_ws_key:  # httpx logs every request's URL (INFO "HTTP Request: GET ..."): not the key's
            _redact_httpx_log()
        self._owns_http = http_client is None
        self._http = http_client or new_http_client(timeout=timeout)
        # a read (GET, HEAD) that has not answered within ``read_timeout`` is asked again (it changes
        # nothing); a write gets the whole ``timeout``, since repeating it is not always safe
        self._read_timeout = min(read_timeout, timeout)

    def close(self) -> None:
        self._hedge.close()
        if self._owns_http:
            self._http.close()

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
                shown = redact(httpx.URL(url, params=params))
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
        shown = redact(response.request.url)
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


# --- error documents --------------------------------------------------------------------------------


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


# --- redaction --------------------------------------------------------------------------------------


def redact(url: httpx.URL) -> str:
    """``url`` as shown in errors and logs: ``ws_key=REDACTED``, no user info."""
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
            record.args = tuple(redact(arg) if isinstance(arg, httpx.URL) else arg for arg in record.args)
        return True


def _redact_httpx_log() -> None:
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactedUrls) for f in httpx_log.filters):
        httpx_log.addFilter(_RedactedUrls())

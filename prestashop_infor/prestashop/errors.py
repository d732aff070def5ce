"""The errors the PrestaShop client raises: ``PrestashopError`` and its kinds (rejected key, shop
unavailable, unreadable answer, refused request, missing record)."""

from __future__ import annotations


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

"""The errors of calling M3: a transaction M3 refused (an MI business error) or a gateway failure."""

from __future__ import annotations

from typing import Any


class M3Error(Exception):
    """Base class of every error calling M3."""


class M3TransactionError(M3Error):
    """M3 refused a transaction (an MI business error, HTTP 400 on a single call)."""

    def __init__(
        self,
        program: str,
        transaction: str,
        *,
        code: str = "",
        field: str = "",
        message: str = "",
        error_type: str = "",
        http_status: int | None = None,
    ):
        self.program = program
        self.transaction = transaction
        self.code = code
        self.field = field
        self.message = message
        self.error_type = error_type
        self.http_status = http_status
        where = f" field {field}" if field else ""
        super().__init__(
            f"{program}/{transaction} failed: {code or 'no code'}{where}: {message or 'no message'}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its parts when it crosses a process (pickle), not from the joined text
        fields = {"code": self.code, "field": self.field, "message": self.message,
                  "error_type": self.error_type, "http_status": self.http_status}  # fmt: skip
        return _rebuilt, (type(self), (self.program, self.transaction), fields)


class M3GatewayError(M3Error):
    """The gateway answered with a transport-level failure (403/404/405, or 429/5xx after the retries).

    ``may_have_committed`` is true for a write that got a 5xx or no answer: M3 may have done it.
    """

    def __init__(
        self, program: str, transaction: str, status: int | None, detail: str, *, may_have_committed: bool
    ):
        self.program = program
        self.transaction = transaction
        self.status = status
        self.detail = detail
        self.may_have_committed = may_have_committed
        status_text = f"HTTP {status}" if status is not None else "no response"
        hint = (
            " (the write may have been committed in M3: look before retrying)" if may_have_committed else ""
        )
        super().__init__(f"{program}/{transaction}: gateway {status_text}: {detail}{hint}")

    def __reduce__(self) -> tuple[Any, ...]:
        fields = {"may_have_committed": self.may_have_committed}
        return _rebuilt, (type(self), (self.program, self.transaction, self.status, self.detail), fields)


class M3CompanyError(M3Error):
    """M3 refused the company of the call for this API user (``XAU0008`` on ``CONO``): a setup
    problem of the whole connection, never of one record, so no sync unit treats it as a record's
    failure. ``company`` is the ``cono`` sent (None: the user's default)."""

    def __init__(self, refused: M3TransactionError, company: str | int | None):
        self.refused = refused  # M3's own error
        self.company = company
        asked = f"company {company}" if company is not None else "the API user's default company"
        super().__init__(
            f"M3 refuses {asked} to this API user ({refused.code}: {refused.message}); the company is "
            "the mapping's erp.company (none: the user's default in MNS150), and the user must be "
            "authorized for it in M3"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.refused, self.company)


def _rebuilt(cls: type[M3Error], args: tuple[Any, ...], fields: dict[str, Any]) -> M3Error:
    return cls(*args, **fields)

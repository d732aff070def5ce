"""The ION API gateway in front of the M3 tenant: the authorized app, OAuth 2.0 grants and tokens,
the quota policy and faults injected on demand (§2, §8). M3 itself never sees any of this."""

from __future__ import annotations

import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prestashop_infor.sandbox.infor.models.clock import SimClock


@dataclass
class Fault:
    """An injected gateway fault: ``status`` answered ``count`` times to calls matching ``match``
    (a substring of ``PROGRAM/Transaction``; a bulk request matches ``PROGRAM/`` and
    ``PROGRAM/Transaction`` of every transaction it carries; empty = every M3 call). With ``rate``
    below 1, each matching call draws (from the gateway's seeded generator): only that share of
    them gets the fault, the others pass and use nothing up, so a large ``count`` makes a standing
    error rate (e.g. 20% of calls answered 503)."""

    status: int
    count: int = 1
    match: str = ""
    retry_after: str | None = None
    delay: float = 0.0  # seconds before answering (e.g. a slow 504)
    after_commit: bool = False  # run the transaction first, then answer the fault ("the write committed")
    rate: float = 1.0  # share of matching calls that get the fault
    # seconds the fault lasts from when it is added (then every matching call in that time gets it,
    # whatever ``count``): a burst in time, as a gateway's rate limit is; None: until used up
    seconds: float | None = None
    added_at: float = field(default_factory=time.monotonic)


@dataclass
class _Grant:
    grant_id: str
    client_id: str
    refresh_token: str
    revoked: bool = False


class Gateway:
    """The ION API gateway in front of M3: the authorized app, tokens, quota and injected faults."""

    def __init__(self, tenant: str, clock: SimClock, *, token_lifetime: timedelta = timedelta(hours=2)):
        self.tenant = tenant
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.client_id = f"{tenant}~{secrets.token_urlsafe(12)}"
        self.client_secret = secrets.token_urlsafe(32)
        self.access_key = f"{tenant}#{secrets.token_urlsafe(24)}"
        self.secret_key = secrets.token_urlsafe(32)
        self.issue_refresh_tokens = True
        self._grants: dict[str, _Grant] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> grant id
        self._access: dict[str, tuple[datetime, str]] = {}  # access token -> (expiry, grant id)
        self.faults: list[Fault] = []
        self.fault_random = random.Random(0)  # the draws of faults with a rate: the same every run
        self.quota: tuple[int, timedelta] | None = None  # allow N calls per period, else 429
        self._quota_window: tuple[datetime, int] | None = None
        self.tokens_issued = 0
        self._lock = threading.Lock()

    # -- OAuth 2.0 -----------------------------------------------------------------------------

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> bool:
        return secrets.compare_digest(client_id or "", self.client_id) and secrets.compare_digest(
            client_secret or "", self.client_secret
        )

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        """Handle a token request whose client is already authenticated; raise OAuthError."""
        grant_type = form.get("grant_type", "")
        with self._lock:
            if grant_type == "password":
                ok = secrets.compare_digest(
                    form.get("username", ""), self.access_key
                ) and secrets.compare_digest(form.get("password", ""), self.secret_key)
                if not ok:
                    raise OAuthError(400, "invalid_grant", "The service account credentials are not valid")
                return self._issue(self._new_grant())
            if grant_type == "client_credentials":
                return self._issue(self._new_grant())
            if grant_type == "refresh_token":
                grant_id = self._refresh.get(form.get("refresh_token", ""))
                if grant_id is None or self._grants[grant_id].revoked:
                    raise OAuthError(400, "invalid_grant", "The refresh token is not valid or was revoked")
                return self._issue(self._grants[grant_id])
            raise OAuthError(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    def revoke(self, token: str) -> None:
        """Revoking a refresh token kills its grant and every access token of it (RFC 7009: unknown
        tokens are not an error)."""
        with self._lock:
            grant_id = self._refresh.get(token)
            if grant_id is not None:
                self._grants[grant_id].revoked = True
                for access, (_, owner) in list(self._access.items()):
                    if owner == grant_id:
                        del self._access[access]
            else:
                self._access.pop(token, None)

    def check_bearer(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Bearer "):
            return False
        with self._lock:
            entry = self._access.get(authorization[7:].strip())
            if entry is None:
                return False
            expiry, grant_id = entry
            return self.clock.now() < expiry and not self._grants[grant_id].revoked

    def expire_tokens(self) -> int:
        """Sandbox hook: every access token issued so far is expired from now on."""
        with self._lock:
            now = self.clock.now()
            for token, (_, grant_id) in self._access.items():
                self._access[token] = (now, grant_id)
            return len(self._access)

    def _new_grant(self) -> _Grant:
        grant = _Grant(secrets.token_hex(8), self.client_id, secrets.token_urlsafe(32))
        self._grants[grant.grant_id] = grant
        self._refresh[grant.refresh_token] = grant.grant_id
        return grant

    def _issue(self, grant: _Grant) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        self._access[access] = (self.clock.now() + self.token_lifetime, grant.grant_id)
        self.tokens_issued += 1
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.token_lifetime.total_seconds()),
        }
        if self.issue_refresh_tokens:
            body["refresh_token"] = grant.refresh_token
        return body

    # -- quota and faults ----------------------------------------------------------------------

    def over_quota(self) -> int | None:
        """Seconds until the quota window resets when this call is over quota, else None."""
        if self.quota is None:
            return None
        allow, period = self.quota
        now = self.clock.now()
        with self._lock:
            if self._quota_window is None or now >= self._quota_window[0] + period:
                self._quota_window = (now, 0)
            start, used = self._quota_window
            if used >= allow:
                return max(1, int((start + period - now).total_seconds() + 0.999))
            self._quota_window = (start, used + 1)
            return None

    def take_fault(self, *targets: str) -> Fault | None:
        """The first pending fault matching any of ``targets`` (used up by one call), each fault with
        a ``rate`` below 1 drawn for."""
        with self._lock:
            now = time.monotonic()
            self.faults = [f for f in self.faults if f.seconds is None or now < f.added_at + f.seconds]
            for fault in self.faults:
                if fault.count > 0 and any(fault.match in target for target in targets):
                    if fault.rate < 1.0 and self.fault_random.random() >= fault.rate:
                        continue
                    if fault.seconds is not None:
                        return fault  # lasts its time, however many calls meet it
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def credentials(self, base_url: str) -> dict[str, Any]:
        """The `.ionapi` object pointing at this gateway (extras included so loaders meet them)."""
        base = base_url.rstrip("/")
        return {
            "ti": self.tenant,
            "cn": f"prestashop-infor sandbox ({self.tenant})",
            "dt": "12",
            "ci": self.client_id,
            "cs": self.client_secret,
            "iu": base,
            "pu": f"{base}/{self.tenant}/as/",
            "oa": "authorization.oauth2",
            "ot": "token.oauth2",
            "or": "revoke_token.oauth2",
            "ev": "U000000001",
            "v": "1.0",
            "saak": self.access_key,
            "sask": self.secret_key,
        }


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str):
        self.status = status
        self.error = error
        self.description = description
        super().__init__(f"{error}: {description}")

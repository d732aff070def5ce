"""ION API credentials (the `.ionapi` file) and the OAuth 2.0 token manager in front of Infor M3.

An Infor OS administrator downloads an authorized app's credentials as a `.ionapi` file: one JSON
object with short keys (`ti`, `ci`, `cs`, `iu`, `pu`, `ot`, `or`, `saak`, `sask`, ...).
:class:`IonApiCredentials` reads it (or the same values from environment variables) and
:class:`TokenManager` turns it into bearer tokens: password grant when the file has a service
account (`saak`/`sask`), client-credentials grant otherwise, refresh, revoke. Secrets (`cs`, `sask`,
tokens) never appear in reprs, logs or exception messages.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger(__name__)

#: Keys a `.ionapi` file must have whatever the grant; `saak`/`sask` come as a pair or not at all.
REQUIRED_KEYS = ("ti", "ci", "cs", "iu", "pu", "ot")
#: Environment variable holding the path of a `.ionapi` file.
ENV_FILE = "INFOR_IONAPI_FILE"
#: Prefix of the per-field environment variables (`INFOR_IONAPI_TI`, `INFOR_IONAPI_CS`, ...).
ENV_PREFIX = "INFOR_IONAPI_"
KNOWN_KEYS = ("ti", "cn", "ci", "cs", "iu", "pu", "oa", "ot", "or", "saak", "sask", "dt", "ev", "v")
SECRET_KEYS = ("cs", "sask")


class IonApiFileError(ValueError):
    """A `.ionapi` file (or its environment variables) is missing a key or holds an invalid value."""

    def __init__(self, message: str, *, key: str | None = None, source: str = ".ionapi"):
        self.key = key
        self.source = source
        super().__init__(f"{source}: {message}")


class InforAuthError(Exception):
    """Authentication against the ION API authorization server failed (wrong credentials, revoked
    grant, unreachable token endpoint). The message never contains secrets."""

    def __init__(self, message: str, *, status_code: int | None = None, error: str | None = None):
        self.status_code = status_code
        self.error = error
        super().__init__(message)


@dataclass(frozen=True)
class IonApiCredentials:
    """The contents of a `.ionapi` file, under readable names. Secrets are hidden from ``repr``."""

    tenant: str  # ti
    client_id: str  # ci
    client_secret: str = field(repr=False)  # cs
    ion_api_url: str = ""  # iu: gateway base URL
    auth_url: str = ""  # pu: authorization server base URL, ends in "/"
    token_path: str = "token.oauth2"  # ot
    revoke_path: str = "revoke_token.oauth2"  # or
    authorize_path: str = "authorization.oauth2"  # oa
    client_name: str = ""  # cn
    service_account_access_key: str | None = field(default=None, repr=False)  # saak
    service_account_secret_key: str | None = field(default=None, repr=False)  # sask
    extras: Mapping[str, Any] = field(default_factory=dict, repr=False)  # dt, ev, v, sc, ...

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> IonApiCredentials:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise IonApiFileError(f"cannot read the file ({exc.strerror})", source=source) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IonApiFileError(
                f"not valid JSON (line {exc.lineno}, column {exc.colno})", source=source
            ) from None
        if not isinstance(data, dict):
            raise IonApiFileError("must hold one JSON object", source=source)
        return cls.from_dict(data, source=source)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IonApiCredentials:
        """``INFOR_IONAPI_FILE`` names a file; otherwise ``INFOR_IONAPI_<KEY>`` per field."""
        env = os.environ if environ is None else environ
        if env.get(ENV_FILE):
            return cls.from_file(env[ENV_FILE])
        data = {key: env[ENV_PREFIX + key.upper()] for key in KNOWN_KEYS if env.get(ENV_PREFIX + key.upper())}
        if not data:
            raise IonApiFileError(
                f"neither {ENV_FILE} nor any {ENV_PREFIX}<KEY> variable is set", source="environment"
            )
        return cls.from_dict(data, source="environment", key_label=lambda k: ENV_PREFIX + k.upper())

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        source: str = ".ionapi",
        key_label: Callable[[str], str] = lambda k: k,
    ) -> IonApiCredentials:
        """Validate and convert; unknown keys are kept in ``extras`` and otherwise ignored."""

        def text(key: str, required: bool) -> str | None:
            value = data.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                if required:
                    raise IonApiFileError(f"missing key {key_label(key)!r}", key=key, source=source)
                return None
            if not isinstance(value, str):
                raise IonApiFileError(f"key {key_label(key)!r} must be a string", key=key, source=source)
            return value.strip()

        values = {key: text(key, key in REQUIRED_KEYS) for key in KNOWN_KEYS if key not in ("dt", "ev", "v")}
        for key in ("iu", "pu"):
            url = values[key]
            if httpx.URL(url).scheme not in ("http", "https") or not httpx.URL(url).host:
                raise IonApiFileError(
                    f"key {key_label(key)!r} must be an http(s) URL, got {url!r}", key=key, source=source
                )
        if (values["saak"] is None) != (values["sask"] is None):
            missing = "sask" if values["sask"] is None else "saak"
            raise IonApiFileError(
                f"missing key {key_label(missing)!r} (service-account keys come as a pair)",
                key=missing,
                source=source,
            )
        auth_url = values["pu"] if values["pu"].endswith("/") else values["pu"] + "/"
        extras = {k: v for k, v in data.items() if k not in values}
        return cls(
            tenant=values["ti"],
            client_id=values["ci"],
            client_secret=values["cs"],
            ion_api_url=values["iu"].rstrip("/"),
            auth_url=auth_url,
            token_path=values["ot"],
            revoke_path=values["or"] or "revoke_token.oauth2",
            authorize_path=values["oa"] or "authorization.oauth2",
            client_name=values["cn"] or "",
            service_account_access_key=values["saak"],
            service_account_secret_key=values["sask"],
            extras=extras,
        )

    # -- derived values ------------------------------------------------------------------------

    @property
    def token_url(self) -> str:
        return self.auth_url + self.token_path

    @property
    def revoke_url(self) -> str:
        return self.auth_url + self.revoke_path

    @property
    def api_base(self) -> str:
        """``iu + "/" + ti``: every gateway path hangs off this."""
        return f"{self.ion_api_url}/{self.tenant}"

    @property
    def grant_type(self) -> str:
        return "password" if self.service_account_access_key else "client_credentials"

    def secrets(self) -> tuple[str, ...]:
        """The secret values, so that text shown to people can be scrubbed of them."""
        return tuple(s for s in (self.client_secret, self.service_account_secret_key) if s)

    def to_ionapi(self) -> dict[str, Any]:
        """The `.ionapi` JSON object (secrets included: only for writing a credentials file)."""
        data: dict[str, Any] = {
            "ti": self.tenant,
            "cn": self.client_name,
            "ci": self.client_id,
            "cs": self.client_secret,
            "iu": self.ion_api_url,
            "pu": self.auth_url,
            "oa": self.authorize_path,
            "ot": self.token_path,
            "or": self.revoke_path,
        }
        if self.service_account_access_key:
            data["saak"] = self.service_account_access_key
            data["sask"] = self.service_account_secret_key
        data.update(self.extras)
        return data


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret occurring in ``text`` by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


@dataclass
class _Token:
    access_token: str = field(repr=False)
    expires_at: float  # on the manager's clock
    refresh_token: str | None = field(default=None, repr=False)


class TokenManager:
    """Fetches, caches, refreshes and revokes ION API bearer tokens for one set of credentials.

    Thread-safe. A token is reused until ``refresh_margin`` seconds before it expires; then the
    refresh token is tried first and a full grant is the fallback.
    """

    def __init__(
        self,
        credentials: IonApiCredentials,
        http_client: httpx.Client,
        *,
        client_auth: str = "basic",
        refresh_margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        if client_auth not in ("basic", "form"):
            raise ValueError("client_auth must be 'basic' or 'form'")
        self._credentials = credentials
        self._http = http_client
        self._client_auth = client_auth
        self._refresh_margin = refresh_margin
        self._clock = clock
        self._token: _Token | None = None
        self._lock = threading.Lock()
        self.grants = 0  # full grants performed (password or client credentials)
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"TokenManager(tenant={self._credentials.tenant!r}, grant={self._credentials.grant_type!r})"

    def access_token(self) -> str:
        with self._lock:
            token = self._token
            if token is None or self._clock() >= token.expires_at - self._refresh_margin:
                token = self._renew(token)
            return token.access_token

    def invalidate(self, rejected_token: str | None = None) -> None:
        """Forget the cached access token (after a 401), unless another thread already replaced it."""
        with self._lock:
            if self._token is not None and (
                rejected_token is None or self._token.access_token == rejected_token
            ):
                self._token.expires_at = float("-inf")

    def revoke(self) -> None:
        """Revoke the refresh token (which kills the grant and its access tokens), else the access token."""
        with self._lock:
            token, self._token = self._token, None
        if token is None:
            return
        value, hint = (
            (token.refresh_token, "refresh_token")
            if token.refresh_token
            else (token.access_token, "access_token")
        )
        response = self._post(self._credentials.revoke_url, {"token": value, "token_type_hint": hint})
        if response.status_code >= 400:
            raise self._auth_error("revocation failed", response)

    # -- internals -----------------------------------------------------------------------------

    def _renew(self, current: _Token | None) -> _Token:
        if current is not None and current.refresh_token:
            response = self._post(
                self._credentials.token_url,
                {"grant_type": "refresh_token", "refresh_token": current.refresh_token},
            )
            if response.status_code == 200:
                self.refreshes += 1
                self._token = self._parse(response, fallback_refresh=current.refresh_token)
                return self._token
            log.info("ION API refresh failed (HTTP %s); falling back to a full grant", response.status_code)
        creds = self._credentials
        form = {"grant_type": creds.grant_type}
        if creds.grant_type == "password":
            form["username"] = creds.service_account_access_key or ""
            form["password"] = creds.service_account_secret_key or ""
        response = self._post(creds.token_url, form)
        if response.status_code != 200:
            raise self._auth_error("authentication failed", response)
        self.grants += 1
        self._token = self._parse(response)
        log.info("ION API token obtained for tenant %s (%s grant)", creds.tenant, creds.grant_type)
        return self._token

    def _post(self, url: str, form: dict[str, str]) -> httpx.Response:
        creds = self._credentials
        headers = {"Accept": "application/json"}
        if self._client_auth == "basic":
            pair = f"{creds.client_id}:{creds.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            form = {**form, "client_id": creds.client_id, "client_secret": creds.client_secret}
        try:
            return self._http.post(url, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise InforAuthError(
                f"ION API authorization server unreachable at {url}: {type(exc).__name__}"
            ) from None

    def _parse(self, response: httpx.Response, fallback_refresh: str | None = None) -> _Token:
        try:
            body = response.json()
            access_token = body["access_token"]
            expires_in = float(body.get("expires_in", 7200))
        except (ValueError, KeyError, TypeError):
            raise InforAuthError(
                "authentication failed: the token endpoint answered without an access_token",
                status_code=response.status_code,
            ) from None
        return _Token(
            access_token=access_token,
            expires_at=self._clock() + expires_in,
            refresh_token=body.get("refresh_token") or fallback_refresh,
        )

    def _auth_error(self, what: str, response: httpx.Response) -> InforAuthError:
        error = description = None
        try:
            body = response.json()
            error, description = body.get("error"), body.get("error_description")
        except ValueError:
            pass
        detail = f"{error}: {description}" if description else (error or "no error code")
        detail = scrub(str(detail)[:200], self._credentials.secrets())
        return InforAuthError(
            f"ION API {what} for tenant {self._credentials.tenant} (HTTP {response.status_code}, {detail}); "
            "check the .ionapi credentials",
            status_code=response.status_code,
            error=error,
        )

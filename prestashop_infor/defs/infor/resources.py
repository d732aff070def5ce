"""The Infor ION API / M3 connection as a Dagster resource: a `.ionapi` file or its fields in, an
``M3Client`` out. Secrets come in through ``dg.EnvVar`` and never reach metadata or logs."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.settings import Settings
from prestashop_infor.sync.mapping.settings import ErpSettings


class InforResource(dg.ConfigurableResource):
    """Either ``ionapi_file`` or the individual `.ionapi` fields (``tenant``, ``client_id``, ...);
    with neither, the settings' ``INFOR_IONAPI_FILE`` or ``INFOR_IONAPI_<KEY>`` variables. Give the
    secret fields as ``dg.EnvVar``: the UI shows a resource's configuration, an EnvVar by its name."""

    ionapi_file: str | None = Field(default=None, description="Path of the authorized app's .ionapi file.")
    tenant: str | None = Field(default=None, description="ti: tenant, e.g. ACME_PRD.")
    client_id: str | None = Field(default=None, description="ci: OAuth client id.")
    client_secret: str | None = Field(default=None, description="cs: OAuth client secret (use dg.EnvVar).")
    ion_api_url: str | None = Field(default=None, description="iu: ION API gateway base URL.")
    auth_url: str | None = Field(default=None, description="pu: authorization server base URL (ends in /).")
    token_path: str = Field(default="token.oauth2", description="ot: token endpoint path.")
    revoke_path: str = Field(default="revoke_token.oauth2", description="or: revocation endpoint path.")
    service_account_access_key: str | None = Field(default=None, description="saak (use dg.EnvVar).")
    service_account_secret_key: str | None = Field(default=None, description="sask (use dg.EnvVar).")
    timeout: float = Field(default=30.0, gt=0, description="Seconds per HTTP request.")
    max_attempts: int = Field(default=5, ge=1, description="Tries per call on 429/5xx (reads).")
    max_concurrency: int = Field(default=4, ge=1, description="Requests in flight at most.")
    page_size: int = Field(default=500, gt=0, description="Records per list call (maxrecs).")

    def credentials(self) -> IonApiCredentials:
        if self.ionapi_file:
            return IonApiCredentials.from_file(self.ionapi_file)
        fields = {
            "ti": self.tenant, "ci": self.client_id, "cs": self.client_secret, "iu": self.ion_api_url,
            "pu": self.auth_url, "ot": self.token_path, "or": self.revoke_path,
            "saak": self.service_account_access_key, "sask": self.service_account_secret_key,
        }  # fmt: skip
        if not any(fields[key] for key in ("ti", "ci", "cs", "iu", "pu", "saak", "sask")):
            return Settings.read().ionapi_credentials()
        return IonApiCredentials.from_dict(
            {k: v for k, v in fields.items() if v},
            source="InforResource",
            key_label=lambda k: _FIELD_NAMES[k],
        )

    def get_client(self, erp: ErpSettings) -> M3Client:
        """A client whose every call runs in the mapping's M3 company and division (``erp``)."""
        return M3Client(
            self.credentials(),
            timeout=self.timeout,
            max_attempts=self.max_attempts,
            max_concurrency=self.max_concurrency,
            company=erp.company,
            division=erp.division,
        )


_FIELD_NAMES = {
    "ti": "tenant", "ci": "client_id", "cs": "client_secret", "iu": "ion_api_url", "pu": "auth_url",
    "ot": "token_path", "or": "revoke_path", "saak": "service_account_access_key",
    "sask": "service_account_secret_key", "cn": "cn", "oa": "oa",
}  # fmt: skip

"""Webservice keys and what they may do (contract §2, §4): the key checks, per-resource and
per-method permissions, per-shop rights, the shop context of a request (``id_shop``) and the methods
a version profile knows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prestashop_infor.sandbox.prestashop.models.errors import WebserviceError, did_you_mean, quoted
from prestashop_infor.sandbox.prestashop.models.faults import Faults
from prestashop_infor.sandbox.prestashop.models.records import Table
from prestashop_infor.sandbox.prestashop.resources import ResourceDef
from prestashop_infor.settings import SANDBOX_API_KEY

DEFAULT_API_KEY = SANDBOX_API_KEY


@dataclass
class ApiKey:
    """A Webservice key. ``permissions`` maps resource → allowed methods; None means everything."""

    key: str
    active: bool = True
    permissions: dict[str, set[str]] | None = None
    shops: set[int] | None = None  # None: every shop


class Authentication:
    """The key and access checks of the ``Shop`` (a mixin; the state lives on the shop)."""

    keys: dict[str, ApiKey]
    faults: Faults
    definitions: dict[str, ResourceDef]
    tables: dict[str, Table]
    profile: str

    def authenticate(self, key: str) -> ApiKey:
        """Check a presented key (§2); raises the 401 error documents."""
        if key == "":
            raise WebserviceError(401, 17, "Authentication key is empty")
        if len(key) != 32:
            raise WebserviceError(401, 18, "Invalid authentication key format")
        api_key = self.keys.get(key)
        if api_key is None or not api_key.active or self.faults.revoke_key:
            raise WebserviceError(
                401,
                20,
                "Authentification key is not active",
                (21, "No permission for this authentication key"),
            )
        if api_key.permissions is not None and not api_key.permissions:
            raise WebserviceError(401, 21, "No permission for this authentication key")
        return api_key

    def check_access(self, api_key: ApiKey, resource: str, method: str) -> None:
        """Resource and method checks (§2, §4) once the key is known."""
        if resource not in self.definitions or not self.definitions[resource].served:
            names = sorted(name for name, definition in self.definitions.items() if definition.served)
            raise WebserviceError(
                400,
                27,
                f'Resource of type "{resource}" does not exists. Did you mean: {did_you_mean(resource, names)}? '
                f"The full list is: {quoted(names)}",
            )
        if api_key.permissions is not None:
            allowed = api_key.permissions.get(resource)
            if allowed is None:
                raise WebserviceError(
                    401, 26, f'Resource of type "{resource}" is not allowed with this authentication key'
                )
            if method not in allowed and not (method == "HEAD" and "GET" in allowed):
                raise WebserviceError(
                    405,
                    25,
                    f'This method is not allowed with this authentication key ("{method}" on "{resource}")',
                )
        if method in self.definitions[resource].refused_methods:
            raise WebserviceError(
                405, 101, f"This method ({method}) is not allowed for this resource ({resource})"
            )

    def check_shop_right(self, api_key: ApiKey, params: Mapping[str, str]) -> None:
        """A key limited to some shops may not act on others (403 code 132)."""
        if api_key.shops is None:
            return
        wanted = params.get("id_shop", "1")
        if wanted == "all" or (wanted.isdigit() and int(wanted) not in api_key.shops):
            raise WebserviceError(403, 132, f"No permission for this key on shop {wanted}")

    def _check_shop(self, params: Mapping[str, str]) -> None:
        """The shop context of a request: ``id_shop`` and ``id_group_shop`` must exist (code 999)."""
        if "id_shop" in params:
            value = params["id_shop"]
            if value != "all" and (not value.isdigit() or int(value) not in self.tables["shops"].rows):
                raise WebserviceError(404, 999, "This shop id does not exist")
        if "id_group_shop" in params:
            value = params["id_group_shop"]
            if not value.isdigit() or int(value) not in self.tables["shop_groups"].rows:
                raise WebserviceError(404, 999, "This shop group doesn't exist")
            shop_group_pos = self.definitions["shops"].by_name["id_shop_group"].pos
            if not any(row[shop_group_pos] == value for row in self.tables["shops"].rows.values()):
                raise WebserviceError(500, 999, "There are no shops associated to this shop group")

    def allowed_methods(self) -> tuple[str, ...]:
        """The HTTP methods the Webservice knows; PATCH only from 8.0 (§4)."""
        methods = ("GET", "POST", "PUT", "DELETE", "HEAD")
        return (*methods, "PATCH") if self.profile == "8" else methods

"""Both emulators in process (HTTP over no socket: ``in_process``), their clients, a SQLite store
and the default mapping: the ground the sync tests stand on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.sandbox.infor import LifecycleSettings, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as m3_app
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as shop_app
from prestashop_infor.store import Store
from prestashop_infor.sync.mapping import parse_mapping
from prestashop_infor_tests.in_process import in_process_client

TIME_ZONE = "Europe/Paris"


class TwoSystems:
    """A seeded shop and its M3 tenant (lifecycle by hand), clients on both, a store holding the
    shop's currencies as ``prestashop_reference_data`` stores them, ``mapping`` from ``rules``; with
    ``shops`` a multistore."""

    def __init__(self, tmp_path: Path, rules: dict[str, Any] | None = None, *, shops: int = 1):
        # the shop's clock starts now: what it writes is dated after the bindings a test makes
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.shop = seed_shop(seed=7, orders=3, now=self.now, shops=shops)
        self.tenant = seed_tenant_from_shop(self.shop, lifecycle=LifecycleSettings.manual())
        self.shop_http, self.m3_http = (
            in_process_client(shop_app(self.shop)),
            in_process_client(m3_app(self.tenant)),
        )
        self.ps = PrestashopClient("http://testserver", DEFAULT_API_KEY, http_client=self.shop_http,
                                   time_zone=TIME_ZONE, backoff=0.001)  # fmt: skip
        credentials = IonApiCredentials.from_dict(self.tenant.ionapi("http://testserver"))
        self.m3 = M3Client(credentials, http_client=self.m3_http, sleep=lambda _s: None)
        self.store = Store.from_url(f"sqlite:///{tmp_path}/store.db")
        self.mapping = parse_mapping(rules or {})
        self.states = self.ps.order_states()
        self.store.upsert("ps_currencies", [
            {"id": int(c["id"]), "iso_code": c["iso_code"], "record": json.dumps(c), "loaded_at": self.now}
            for c in self.ps.list("currencies")
        ])  # fmt: skip

    def close(self) -> None:
        self.store.dispose()
        self.shop_http.close()
        self.m3_http.close()

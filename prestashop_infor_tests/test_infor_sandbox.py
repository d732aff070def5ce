"""The Infor sandbox over a real loopback socket: the `.ionapi` it writes works with the client,
orders move on the clock, and its items agree with the PrestaShop sandbox catalog."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx

from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.sandbox.infor import items_from_shop, seed_tenant_from_shop, start_infor_sandbox
from prestashop_infor.sandbox.infor.seed import skipped_references
from prestashop_infor.sandbox.prestashop import seed_shop


def test_the_two_sandbox_halves_agree_on_items():
    shop = seed_shop(seed=42, orders=0)
    references = {
        str(r["reference"]).strip()
        for resource in ("products", "combinations")
        for r in shop.records(resource)
    }
    tenant = seed_tenant_from_shop(shop, seed=42)
    assert set(tenant.items) == references - {r for r in references if not 0 < len(r) <= 15}
    assert not skipped_references(shop)
    assert all((whlo, itno) in tenant.balances for itno in tenant.items for whlo in ("100", "200"))
    # a combination's price is its product's price plus its impact
    products = {str(p["id"]): p for p in shop.records("products")}
    combination = shop.records("combinations")[0]
    expected = round(
        float(products[str(combination["id_product"])]["price"]) + float(combination["price"]), 2
    )
    assert float(tenant.items[combination["reference"]].price) == expected
    assert items_from_shop(shop) == items_from_shop(seed_shop(seed=42, orders=0))  # reproducible


def test_sandbox_over_a_socket(tmp_path: Path):
    shop = seed_shop(seed=42, orders=0)
    ionapi = tmp_path / "sandbox.ionapi"
    with start_infor_sandbox("127.0.0.1", 0, "DEMO_TST", ionapi, shop) as sandbox:
        creds = IonApiCredentials.from_file(ionapi)
        assert creds.tenant == "DEMO_TST" and creds.ion_api_url == sandbox.url
        assert "dt" in creds.extras and "ev" in creds.extras and "v" in creds.extras
        reference = shop.records("products")[0]["reference"]
        with M3Client(creds) as client:
            assert client.execute_one("MMS200MI", "Get", ITNO=reference)["ITNO"] == reference
            orno = client.execute_one("OIS100MI", "AddBatchHead", CUNO="WEB0000001", CUOR="PS-1")["ORNO"]
            client.execute("OIS100MI", "AddBatchLine", ORNO=orno, ITNO=reference, ORQT="1")
            client.execute("OIS100MI", "Confirm", ORNO=orno)
            ornr = client.batch_order_status(orno).order_number
            assert ornr
            # fast-forward the real-time clock through the sandbox hook
            httpx.post(
                f"{sandbox.url}/_sandbox/advance", json={"seconds": timedelta(hours=1).total_seconds()}
            )
            assert client.order_head(ornr).lowest_status in ("66", "77")

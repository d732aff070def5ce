"""Benchmark: create sales orders in the M3 emulator through the client, single calls vs bulk.

Each order is a batch order head, three lines and a confirm (OIS100MI AddBatchHead, AddBatchLine x3,
Confirm), sent over a real loopback socket. "single" sends one HTTP request per transaction;
"bulk" packs the transactions of many orders into POST .../v2/execute requests (heads first, then
all lines, then all confirms: bulk requests cannot chain outputs). Both use the same client settings
and a fresh tenant. Prints orders/s for each and the ratio; the last line is one JSON object.

    .venv/bin/python benchmarks/infor_orders.py [--orders 2000] [--per-request 100]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.sandbox.infor import LifecycleSettings, create_app, seed_tenant
from prestashop_infor.serving import BackgroundServer

ITEMS = [(f"BENCH-{n:03d}", f"Benchmark item {n}", "10.00") for n in range(30)]
LINES_PER_ORDER = 3


def order_lines(n: int) -> list[tuple[str, str]]:
    return [(ITEMS[(n * LINES_PER_ORDER + k) % len(ITEMS)][0], str(1 + k)) for k in range(LINES_PER_ORDER)]


def fresh_tenant():
    tenant = seed_tenant(ITEMS, seed=1, lifecycle=LifecycleSettings.manual(), stock_range=(100000, 100000))
    return tenant


def run_single(client: M3Client, orders: int, concurrency: int) -> None:
    def one(n: int) -> None:
        orno = client.execute_one("OIS100MI", "AddBatchHead", CUNO="WEB0000001", CUOR=f"PS-S{n:06d}")["ORNO"]
        for item, quantity in order_lines(n):
            client.execute("OIS100MI", "AddBatchLine", ORNO=orno, ITNO=item, ORQT=quantity)
        client.execute("OIS100MI", "Confirm", ORNO=orno)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(one, n) for n in range(orders)]:
            future.result()


def run_bulk(client: M3Client, orders: int, per_request: int) -> None:
    heads = client.bulk(
        [("OIS100MI", "AddBatchHead", {"CUNO": "WEB0000001", "CUOR": f"PS-B{n:06d}"}) for n in range(orders)],
        max_per_request=per_request,
    )
    ornos = [r.records[0]["ORNO"] for r in heads if r.ok]
    if len(ornos) != orders:
        raise SystemExit(f"bulk heads failed: {[str(r.error) for r in heads if not r.ok][:3]}")
    lines = [
        ("OIS100MI", "AddBatchLine", {"ORNO": orno, "ITNO": item, "ORQT": quantity})
        for n, orno in enumerate(ornos)
        for item, quantity in order_lines(n)
    ]
    results = client.bulk(lines, max_per_request=per_request)
    results += client.bulk(
        [("OIS100MI", "Confirm", {"ORNO": orno}) for orno in ornos], max_per_request=per_request
    )
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(f"{len(failed)} bulk transactions failed, first: {failed[0].error}")


def measure(mode: str, orders: int, per_request: int, concurrency: int) -> dict:
    tenant = fresh_tenant()
    with BackgroundServer(create_app(tenant)) as server:
        creds = IonApiCredentials.from_dict(tenant.ionapi(server.url))
        with M3Client(creds, max_concurrency=concurrency) as client:
            client.tokens.access_token()  # the token is not part of the measurement
            started = time.perf_counter()
            if mode == "single":
                run_single(client, orders, concurrency)
            else:
                run_bulk(client, orders, per_request)
            elapsed = time.perf_counter() - started
            requests = client.stats["requests"]
        created = sum(1 for order in tenant.orders.values() if len(order.lines) == LINES_PER_ORDER)
    if created != orders:
        raise SystemExit(f"{mode}: {created} of {orders} orders were created")
    return {
        "seconds": round(elapsed, 3),
        "orders_per_second": round(orders / elapsed, 1),
        "requests": requests,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--per-request", type=int, default=100, help="transactions per bulk request")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight (both modes)")
    args = parser.parse_args(argv)
    single = measure("single", args.orders, args.per_request, args.concurrency)
    print(f"single calls: {args.orders} orders in {single['seconds']} s = {single['orders_per_second']} orders/s "
          f"({single['requests']} requests)")  # fmt: skip
    bulk = measure("bulk", args.orders, args.per_request, args.concurrency)
    print(f"bulk requests: {args.orders} orders in {bulk['seconds']} s = {bulk['orders_per_second']} orders/s "
          f"({bulk['requests']} requests of up to {args.per_request} transactions)")  # fmt: skip
    ratio = round(bulk["orders_per_second"] / single["orders_per_second"], 2)
    print(f"bulk / single: {ratio}x (target: at least 5x)")
    print(json.dumps({"benchmark": "infor_orders", "orders": args.orders, "lines_per_order": LINES_PER_ORDER,
                      "single": single, "bulk": bulk, "ratio": ratio, "target_ratio": 5, "meets_target": ratio >= 5}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: extract every order with its lines from a PrestaShop Webservice, our client vs prestapyt.

The emulator is seeded with ``--orders`` orders (default 50,000) and served over loopback by uvicorn
in a separate process (multiprocessing, start method ``spawn``), so the client's CPU time and memory
are measured apart from the server's. Both clients read ``/api/orders`` with ``display=full`` (order
lines included), ``sort=[id_ASC]`` and the same page size; our client reads JSON and pages by key,
prestapyt reads XML (its only format) and pages with ``limit=offset,N``, one request per page.

Printed: orders/s for each client and their ratio, client and server CPU seconds, and our client's
peak Python memory (tracemalloc peak, one fresh trace per run) when extracting 10,000 and all orders;
the extraction streams page by page, so the peak must not grow with the number of orders. The last
line is one JSON object with every figure.

    .venv/bin/python benchmarks/prestashop_extract.py [--orders 50000] [--page-size 1000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prestashop_infor.prestashop import PrestashopClient  # noqa: E402

API_KEY_ENV = "PRESTASHOP_BENCH_KEY"


def serve(orders: int, port: int, ready: multiprocessing.synchronize.Event) -> None:
    """Child process: seed the emulator and serve it on 127.0.0.1:port until terminated."""
    import uvicorn

    from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, create_app, seed_shop

    started = time.perf_counter()
    shop = seed_shop(seed=42, orders=orders, api_key=DEFAULT_API_KEY)
    print(f"server: seeded {orders} orders in {time.perf_counter() - started:.1f}s", flush=True)
    config = uvicorn.Config(
        create_app(shop), host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    ready.set()
    server.run()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to see whether the server is the bottleneck."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ours(url: str, key: str, page_size: int, limit: int) -> tuple[int, int]:
    """Orders and order lines read by our client, stopping after ``limit`` orders."""
    orders = rows = 0
    with PrestashopClient(url, key, page_size=page_size, timeout=120) as client:
        for page in client.iter_pages("orders", display="full"):
            for order in page.records:
                orders += 1
                rows += len(order.get("associations", {}).get("order_rows", []))
                if orders >= limit:
                    return orders, rows
    return orders, rows


def prestapyt_extract(url: str, key: str, page_size: int, limit: int) -> tuple[int, int]:
    """The same extraction with prestapyt, used the way its documentation suggests for lists."""
    from prestapyt import PrestaShopWebServiceDict

    api = PrestaShopWebServiceDict(f"{url}/api", key)
    orders = rows = offset = 0
    while orders < limit:
        answer = api.get(
            "orders", options={"display": "full", "sort": "[id_ASC]", "limit": f"{offset},{page_size}"}
        )
        container = answer.get("orders") or {}
        page = container.get("order", []) if isinstance(container, dict) else []
        if isinstance(page, dict):  # xml2dict: one element is a dict, several a list
            page = [page]
        for order in page:
            orders += 1
            lines = ((order.get("associations") or {}).get("order_rows") or {}).get("order_row", [])
            rows += len(lines) if isinstance(lines, list) else 1
            if orders >= limit:
                break
        if len(page) < page_size:
            break
        offset += page_size
    api.client.close()
    return orders, rows


def timed(
    label: str, extract: Callable[[], tuple[int, int]], server_pid: int
) -> dict[str, float | int | str]:
    server_cpu = cpu_seconds(server_pid)
    cpu = time.process_time()
    started = time.perf_counter()
    orders, rows = extract()
    elapsed = time.perf_counter() - started
    figures = {
        "client": label,
        "orders": orders,
        "order_rows": rows,
        "seconds": round(elapsed, 3),
        "orders_per_s": round(orders / elapsed, 1),
        "client_cpu_s": round(time.process_time() - cpu, 3),
        "server_cpu_s": round(cpu_seconds(server_pid) - server_cpu, 3),
    }
    print(
        f"{label:>9}: {orders} orders ({rows} lines) in {elapsed:.2f}s = {figures['orders_per_s']} orders/s; "
        f"client CPU {figures['client_cpu_s']}s, server CPU {figures['server_cpu_s']}s",
        flush=True,
    )
    return figures


def traced_peak(extract: Callable[[], tuple[int, int]]) -> tuple[int, int]:
    """(orders, tracemalloc peak bytes) of one run, traced from a fresh start."""
    tracemalloc.start()
    try:
        orders, _ = extract()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return orders, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000, help="orders seeded in the emulator")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument(
        "--small", type=int, default=10_000, help="the smaller extraction for the memory ratio"
    )
    parser.add_argument(
        "--prestapyt-orders", type=int, default=0, help="orders prestapyt reads (default: all, like ours)"
    )
    args = parser.parse_args()

    from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY
    from prestashop_infor.serving import free_port

    key = os.environ.get(API_KEY_ENV, DEFAULT_API_KEY)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    server = context.Process(target=serve, args=(args.orders, port, ready), name="prestashop-emulator")
    server.start()
    try:
        if not ready.wait(timeout=1800):
            raise SystemExit("the emulator did not finish seeding within 30 minutes")
        deadline = time.monotonic() + 60
        while True:  # wait for the socket, not only for the seed
            try:
                httpx.head(f"{url}/api/", auth=(key, ""), timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"the emulator at {url} did not start listening") from None
                time.sleep(0.1)

        everything = args.orders
        small = min(args.small, everything)
        pyt_limit = args.prestapyt_orders or everything
        page = args.page_size

        # Warm both paths once (imports, connection set-up), then measure.
        ours(url, key, page, page)
        prestapyt_extract(url, key, page, page)

        our_run = timed("ours", lambda: ours(url, key, page, everything), server.pid)
        pyt_run = timed("prestapyt", lambda: prestapyt_extract(url, key, page, pyt_limit), server.pid)
        ratio = our_run["orders_per_s"] / pyt_run["orders_per_s"]
        print(f"throughput ratio ours/prestapyt: {ratio:.2f}x (target >= 3)", flush=True)

        small_orders, small_peak = traced_peak(lambda: ours(url, key, page, small))
        all_orders, all_peak = traced_peak(lambda: ours(url, key, page, everything))
        memory_ratio = all_peak / small_peak
        print(
            f"our client's tracemalloc peak: {small_peak / 2**20:.1f} MiB for {small_orders} orders, "
            f"{all_peak / 2**20:.1f} MiB for {all_orders} orders; ratio {memory_ratio:.2f} (target <= 1.5)",
            flush=True,
        )
        figures = {
            "orders_seeded": args.orders,
            "page_size": page,
            "ours": our_run,
            "prestapyt": pyt_run,
            "throughput_ratio": round(ratio, 2),
            "memory_measure": "tracemalloc peak of the client process, bytes",
            "memory_peak_small": {"orders": small_orders, "bytes": small_peak},
            "memory_peak_all": {"orders": all_orders, "bytes": all_peak},
            "memory_ratio": round(memory_ratio, 3),
        }
        print(json.dumps(figures), flush=True)
    finally:
        server.terminate()  # our own child, by its pid
        server.join(timeout=10)
        if server.is_alive():
            server.kill()
            server.join(timeout=5)


if __name__ == "__main__":
    main()

"""Benchmark: M3's prices pushed to the shop as specific prices, 100,000 rows of which 1 % changed.

Both emulators run in their own processes (multiprocessing "spawn"), served over loopback sockets,
so the figures of this process are the client's own. M3 holds the price list ``BENCH`` in EUR and
USD over ``--items`` items (5,000 by default), each line with four quantity breaks (5, 10, 25 and
50 units); the mapping gives that list to the customer groups 3 and 4. The shop holds one simple
product per item (its reference is the item number), so the push plans items x 2 currencies x 5
quantities x 2 groups rows: 100,000 by default.

Setup (not timed): the shop's products, combinations, customers and currencies are extracted into a
SQLite store; the shop is seeded with the very rows the push would write (creating 100,000 rows over
HTTP would take the benchmark's time several times over), so the first cycle must write nothing and
adopt every row. Then ``--changed`` of the rows (1 % by default) change price in M3 through the
sandbox hook ``POST /_sandbox/prices``: a price of one item, currency and quantity is a row of each
group. The rows changed are counted from ``planned_specific_prices`` before and after, not assumed.

Timed: one full cycle, as the price job runs it: M3's price lists read (``read_price_lists``), the
shop's specific prices read (``extract_all``, ``SPECIFIC_PRICES_BATCH`` per page and batch, as
``prestashop_specific_prices`` reads them), the push
(``push_specific_prices``). Printed: each part's seconds and the total, the push's counts, peak
memory (max resident set size of this process, ``getrusage``, setup included; and that of the timed
cycle alone, ``VmHWM`` after resetting it through ``/proc/self/clear_refs``). The push must write
exactly the changed rows, and a further cycle nothing; the exit code is 1 otherwise.

    .venv/bin/python benchmarks/prices.py [--items 5000] [--changed 0.01]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import signal
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from _spawned import start, stop

SEED = 42
TIME_ZONE = "Europe/Paris"
PRICE_LIST = "BENCH"
CURRENCY_CODES = ("EUR", "USD")
QUANTITIES = (1, 5, 10, 25, 50)  # the line's price, then its quantity breaks
FACTORS = (Decimal("1"), Decimal("0.97"), Decimal("0.95"), Decimal("0.92"), Decimal("0.90"))
GROUPS = (3, 4)  # Customer, and a Business group added to the shop
BUSINESS_GROUP = 4
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # the list is valid whatever the day
UNLIMITED = "0000-00-00 00:00:00"
CENT = Decimal("0.01")


def item_number(number: int) -> str:
    return f"BN-{number:06d}"


def price_of(number: int, currency: str, level: int) -> Decimal:
    """M3's price of item ``number`` in ``currency`` from ``QUANTITIES[level]`` units (both emulators
    compute it: the shop is seeded with what the push would write)."""
    base = Decimal(500 + (number * 7919) % 20000) / 100  # 5.00 to 204.99
    if currency == "USD":
        base = (base * Decimal("1.08")).quantize(CENT)
    return (base * FACTORS[level]).quantize(CENT)


def serve_shop(port: int, items: int, ready) -> None:  # runs in a child process
    from prestashop_infor.sandbox.prestashop import create_app, seed_shop
    from prestashop_infor.serving import BackgroundServer

    shop = seed_shop(seed=SEED, orders=0, customers=40, time_zone=TIME_ZONE)
    moment = shop.clock.local_text(shop.clock.now())
    shop.insert("groups", shop.new_row("groups", id=BUSINESS_GROUP, price_display_method="0", show_prices="1",
                                       reduction="0.00", date_add=moment, date_upd=moment, name="Business"))  # fmt: skip
    currency_ids = {str(c["iso_code"]): int(c["id"]) for c in shop.records("currencies")}
    for number in range(1, items + 1):
        name = f"Bench item {number}"
        product_id = shop.insert("products", shop.new_row(
            "products", id_manufacturer="1", id_supplier="1", id_category_default="5", id_tax_rules_group="1",
            type="simple", id_shop_default="1", reference=item_number(number), weight="0.300000",
            minimal_quantity="1", price=f"{price_of(number, 'EUR', 0) * Decimal('1.2'):.6f}", active="1",
            redirect_type="301-category", available_for_order="1", condition="new", show_price="1", indexed="1",
            visibility="both", date_add=moment, date_upd=moment, state="1", product_type="standard", name=name,
            link_rewrite=name.lower().replace(" ", "-"), associations={"categories": [("2",), ("5",)]},
        ))  # fmt: skip
        for currency in CURRENCY_CODES:
            for level, quantity in enumerate(QUANTITIES):
                for group in GROUPS:
                    shop.insert("specific_prices", shop.new_row(
                        "specific_prices", id_shop_group="0", id_shop="0", id_cart="0", id_product=str(product_id),
                        id_product_attribute="0", id_currency=str(currency_ids[currency]), id_country="0",
                        id_group=str(group), id_customer="0", id_specific_price_rule="0",
                        price=f"{price_of(number, currency, level):.6f}", from_quantity=str(quantity),
                        reduction="0.000000", reduction_tax="1", reduction_type="amount",
                        **{"from": UNLIMITED, "to": UNLIMITED},
                    ))  # fmt: skip
    server = BackgroundServer(create_app(shop), port=port).start()
    ready.put(json.dumps({"url": server.url, "specific_prices": len(shop.tables["specific_prices"].rows)}))
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    server.stop()


def serve_m3(port: int, items: int, ready) -> None:  # runs in a child process
    from prestashop_infor.sandbox.infor import LifecycleSettings, create_app, seed_tenant
    from prestashop_infor.serving import BackgroundServer

    numbers = range(1, items + 1)
    tenant = seed_tenant(
        [(item_number(n), f"Bench item {n}", price_of(n, "EUR", 0) * Decimal("1.2")) for n in numbers],
        seed=SEED, lifecycle=LifecycleSettings.manual(), price_lists=False,
    )  # fmt: skip
    for currency in CURRENCY_CODES:
        plist = tenant.add_price_list(PRICE_LIST, currency, FIRST_DAY, LAST_DAY, f"Benchmark {currency}")
        for number in numbers:
            line = tenant.add_base_price(plist, item_number(number), price_of(number, currency, 0))
            for level in range(1, len(QUANTITIES)):
                tenant.set_price_break(line, Decimal(QUANTITIES[level]), price_of(number, currency, level), None,
                                       new=True)  # fmt: skip
    server = BackgroundServer(create_app(tenant), port=port).start()
    ready.put(json.dumps({"url": server.url, "ionapi": tenant.ionapi(server.url)}))
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    server.stop()


def parts(timings: dict[str, float]) -> str:
    """``read_m3 4.6 s, read_shop 43.8 s, push 7.2 s, total 55.6 s``."""
    named = {name.removesuffix("_seconds"): value for name, value in timings.items()}
    return ", ".join(
        f"{'total' if name == 'seconds' else name} {value:.1f} s" for name, value in named.items()
    )


def reset_peak_rss() -> bool:
    """Reset this process's peak resident set size (Linux 4.0+: ``5`` to ``/proc/self/clear_refs``)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """This process's peak resident set size since start or the last reset (``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000, help="items priced (20 rows each)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of the rows whose price changes")
    args = parser.parse_args()
    if args.items < 1 or not 0 < args.changed <= 1:
        parser.error("--items must be at least 1 and --changed within (0, 1]")
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})  # children inherit the mask

    import httpx

    from prestashop_infor.infor import IonApiCredentials, M3Client
    from prestashop_infor.prestashop import PrestashopClient
    from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY
    from prestashop_infor.serving import free_port
    from prestashop_infor.store import Store
    from prestashop_infor.sync.mapping import parse_mapping
    from prestashop_infor.sync.prestashop_extraction import (
        COMBINATIONS,
        CURRENCIES,
        CUSTOMERS,
        PRODUCTS,
        SPECIFIC_PRICES,
        SPECIFIC_PRICES_BATCH,
        extract_all,
        extract_changed,
    )
    from prestashop_infor.sync.price_lists import read_price_lists
    from prestashop_infor.sync.price_push import planned_specific_prices, push_specific_prices

    price_rows = args.items * len(CURRENCY_CODES) * len(QUANTITIES) * len(GROUPS)
    print(f"seeding: M3 list {PRICE_LIST} and the shop's {price_rows} specific prices over {args.items} items "
          "(subprocesses)...", flush=True)  # fmt: skip
    processes: list[multiprocessing.Process] = []
    try:
        shop_process, shop_info = start(serve_shop, free_port(), args.items)
        processes.append(shop_process)
        m3_process, m3_info = start(serve_m3, free_port(), args.items)
        processes.append(m3_process)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
        with (
            tempfile.TemporaryDirectory() as folder,
            PrestashopClient(shop_info["url"], DEFAULT_API_KEY, time_zone=TIME_ZONE) as ps,
            M3Client(IonApiCredentials.from_dict(m3_info["ionapi"])) as m3,
            Store.from_url(f"sqlite:///{Path(folder) / 'store.db'}") as store,
            httpx.Client(base_url=m3_info["url"], timeout=60) as hooks,
        ):
            mapping = parse_mapping({"prices": {"groups": {PRICE_LIST: list(GROUPS)}}})
            today = date.today()

            def cycle() -> tuple[dict[str, float], Any, Any]:
                timings: dict[str, float] = {}
                started = time.perf_counter()
                read = read_price_lists(m3, store, today=today, mapping=mapping)
                timings["read_m3_seconds"] = time.perf_counter() - started
                mark = time.perf_counter()
                extract_all(ps, store, SPECIFIC_PRICES, time_zone=TIME_ZONE, batch_size=SPECIFIC_PRICES_BATCH,
                            page_size=SPECIFIC_PRICES_BATCH)  # fmt: skip
                timings["read_shop_seconds"] = time.perf_counter() - mark
                mark = time.perf_counter()
                report = push_specific_prices(prestashop=ps, store=store, mapping=mapping, today=today)
                timings["push_seconds"] = time.perf_counter() - mark
                timings["seconds"] = time.perf_counter() - started
                return timings, read, report

            # setup: the catalogue the push maps items with, the shop's currencies, a first cycle
            extract_changed(ps, store, PRODUCTS, time_zone=TIME_ZONE)
            extract_all(ps, store, COMBINATIONS, time_zone=TIME_ZONE, batch_size=ps.page_size)
            extract_changed(ps, store, CUSTOMERS, time_zone=TIME_ZONE)
            extract_all(ps, store, CURRENCIES, time_zone=TIME_ZONE, batch_size=ps.page_size)
            setup_timings, setup_read, setup = cycle()
            print(f"setup cycle: {parts(setup_timings)}; {setup_read.prices} M3 prices, planned {setup.planned}, "
                  f"adopted {setup.adopted}, written {setup.rows_written}", flush=True)  # fmt: skip
            problems = []
            if setup.planned != price_rows or setup.adopted != price_rows or setup.rows_written:
                problems.append(f"the setup cycle planned {setup.planned}, adopted {setup.adopted} and wrote "
                                f"{setup.rows_written}: the seeded shop is not what the push writes")  # fmt: skip
            before = planned_specific_prices(store, mapping, today)

            # 1 % of the rows change in M3: a price of one item, currency and quantity is a row per group
            rng = random.Random(SEED)
            wanted = max(1, round(price_rows * args.changed / len(GROUPS)))
            triples = rng.sample(
                [(n, c, level) for n in range(1, args.items + 1) for c in CURRENCY_CODES for level in range(len(QUANTITIES))],
                wanted,
            )  # fmt: skip
            for number, currency, level in triples:
                body = {"price_list": PRICE_LIST, "currency": currency, "item": item_number(number),
                        "price": f"{price_of(number, currency, level) + 1:.2f}"}  # fmt: skip
                if level:
                    body["quantity"] = QUANTITIES[level]
                hooks.post("/_sandbox/prices", json=body).raise_for_status()
            print(f"changed {wanted} prices in M3 (POST /_sandbox/prices)", flush=True)

            peak_setup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the reset clears it too
            peak_reset = reset_peak_rss()
            timings, read, report = cycle()
            peak_timed = peak_rss_mb()
            after = planned_specific_prices(store, mapping, today)  # the push planned the same (same store)
            changed_rows = sum(1 for key, price in after.items() if before.get(key) != price)
            changed_rows += sum(1 for key in before if key not in after)
            plan_started = time.perf_counter()
            planned_specific_prices(store, mapping, today)
            plan_seconds = time.perf_counter() - plan_started

            check_timings, _check_read, check = cycle()
    finally:
        for process in reversed(processes):
            stop(process)

    peak_mb = max(peak_setup, peak_timed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # KiB
    if report.rows_written != changed_rows or report.updated != changed_rows:
        problems.append(f"the push wrote {report.rows_written} rows ({report.updated} updated), "
                        f"{changed_rows} changed")  # fmt: skip
    if report.dead_lettered or report.left_for_next_run:
        problems.append(
            f"{len(report.dead_lettered)} rows dead-lettered, {len(report.left_for_next_run)} left"
        )
    if check.rows_written or check.unchanged != price_rows:
        problems.append(f"a further cycle wrote {check.rows_written} rows ({check.unchanged} unchanged)")
    result = {
        "benchmark": "prices",
        "seconds": round(timings["seconds"], 2),
        "rows_written": report.rows_written,
        "changed_rows": changed_rows,
        "price_rows": price_rows,
        "peak_mb": round(peak_mb, 1),
        "peak_mb_measure": "max RSS of the benchmark (client) process over the whole run, setup included (getrusage)",
        "peak_mb_timed_cycle": round(peak_timed, 1) if peak_reset else None,
        "read_m3_seconds": round(timings["read_m3_seconds"], 2),
        "read_shop_seconds": round(timings["read_shop_seconds"], 2),
        "push_seconds": round(timings["push_seconds"], 2),
        "plan_seconds": round(plan_seconds, 2),
        "m3_prices": read.prices,
        "planned": report.planned,
        "unchanged": report.unchanged,
        "updated": report.updated,
        "created": report.created,
        "deleted": report.deleted,
        "items": args.items,
        "prices_changed_in_m3": wanted,
        "setup_cycle": {name: round(value, 2) for name, value in setup_timings.items()},
        "setup_adopted": setup.adopted,
        "further_cycle": {name: round(value, 2) for name, value in check_timings.items()},
        "further_cycle_rows_written": check.rows_written,
        "source": "both emulators over HTTP in spawned subprocesses, SQLite store",
    }
    print(
        f"rows: {price_rows} planned, {changed_rows} changed in M3 ({wanted} prices x {len(GROUPS)} groups)"
    )
    print(f"read M3 price lists: {timings['read_m3_seconds']:.2f} s ({read.prices} prices)")
    print(f"read the shop's specific prices: {timings['read_shop_seconds']:.2f} s")
    print(f"push: {timings['push_seconds']:.2f} s (planning alone {plan_seconds:.2f} s), "
          f"{report.updated} updated, {report.created} created, {report.deleted} deleted")  # fmt: skip
    print(f"cycle: {timings['seconds']:.2f} s; rows written {report.rows_written}")
    timed_peak = f"{peak_timed:.0f} MB" if peak_reset else "not measured"
    print(
        f"peak memory: {peak_mb:.0f} MB (this process, setup included); the timed cycle alone: {timed_peak}"
    )
    print(f"further cycle: {check.rows_written} rows written; {parts(check_timings)}")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    print(json.dumps(result))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

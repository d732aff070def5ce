"""PrestaShop Webservice emulator: the seeded history ends at the shop clock's now.

A client that reads "up to now" (``filter[date_upd]=[FROM,NOW]`` in shop-local time, contract
§5.10) must see every seeded record, so no date of any record, in any resource, reads later on the
shop's wall clock than its now at seeding, including when now falls in the hour the autumn DST
change repeats.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, create_app, seed_shop

MOMENTS = {
    "summer": datetime(2024, 5, 31, 16, 0, 0, tzinfo=UTC),
    # 02:10 local in the second pass of Paris' repeated hour: 02:10-02:59 of the first pass is past
    "autumn fold": datetime(2024, 10, 27, 1, 10, 0, tzinfo=UTC),
    "just after spring gap": datetime(2024, 3, 31, 1, 0, 30, tzinfo=UTC),
    "new year, microseconds": datetime(2025, 1, 1, 0, 0, 0, 250_000, tzinfo=UTC),
    # 01:10 local in the second pass of New York's repeated hour
    "autumn fold in New York": datetime(2024, 11, 3, 6, 10, 0, tzinfo=UTC),
}


def dated_fields(shop: Shop) -> dict[str, list[str]]:
    """Every date and date-time field of every resource the shop serves."""
    return {
        name: [f.name for f in definition.fields if f.type.name in ("date", "datetime")]
        for name, definition in shop.definitions.items()
    }


def assert_nothing_after_now(shop: Shop) -> int:
    now = shop.clock.local_text()
    checked = 0
    for resource, fields in dated_fields(shop).items():
        for record in shop.records(resource):
            for name in fields:
                value = record[name]
                if value is None or value.startswith("0000-00-00"):
                    continue
                assert value <= now[: len(value)], f"{resource} {record['id']} {name}={value} > now {now}"
                checked += 1
    return checked


@pytest.mark.parametrize("moment", list(MOMENTS.values()), ids=list(MOMENTS))
@pytest.mark.parametrize(
    ("seed", "orders", "version", "time_zone"),
    [
        (1, 0, "1.7.8.0", "Europe/Paris"),
        (7, 40, "1.6.1.23", "Europe/Paris"),
        (42, 400, "1.7.8.0", "Europe/Paris"),
        (3, 150, "8.1.4", "America/New_York"),
    ],
)
def test_no_seeded_date_reads_later_than_now(seed, orders, version, time_zone, moment):
    shop = seed_shop(seed=seed, orders=orders, version=version, time_zone=time_zone, now=moment)
    assert assert_nothing_after_now(shop) > 0
    assert len(shop.records("orders")) == orders


def test_the_history_reaches_the_fold_and_stops_before_now():
    """With now in the repeated hour, orders still fill the month up to the first pass of it."""
    shop = seed_shop(seed=7, orders=3000, now=MOMENTS["autumn fold"])
    latest = max(order["date_add"] for order in shop.records("orders"))
    assert "2024-10-27 01:00:00" < latest <= shop.clock.local_text() == "2024-10-27 02:10:00"


def test_seeding_on_the_running_clock_ends_at_its_now():
    shop = seed_shop(seed=9, orders=200)  # the real clock, not frozen
    assert not shop.clock.frozen
    assert_nothing_after_now(shop)


@pytest.mark.parametrize("moment", [MOMENTS["summer"], MOMENTS["autumn fold"]], ids=["summer", "autumn fold"])
def test_a_client_reading_up_to_now_sees_every_record(moment):
    shop = seed_shop(seed=11, orders=300, now=moment)
    http = TestClient(create_app(shop))
    http.auth = (DEFAULT_API_KEY, "")
    window = f"[1970-01-01 00:00:00,{shop.clock.local_text()}]"
    for resource, field in (
        ("orders", "date_upd"),
        ("customers", "date_upd"),
        ("order_histories", "date_add"),
    ):
        response = http.get(
            f"/api/{resource}",
            params={f"filter[{field}]": window, "date": "1", "display": "[id]"},
            headers={"Output-Format": "JSON"},
        )
        assert response.status_code == 200
        listed = {row["id"] for row in response.json()[resource]}
        assert listed == set(shop.tables[resource].rows), resource

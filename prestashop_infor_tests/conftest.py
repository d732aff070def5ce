"""Shared test fixtures: where the fixtures live, the PostgreSQL URL, loopback servers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The real PostgreSQL the Postgres-backed tests use. Missing in CI is a failure, never a skip."""
    import sqlalchemy as sa

    url = os.environ.get("PRESTASHOP_INFOR_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
    try:
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure to connect is reported the same way
        pytest.fail(
            f"PostgreSQL is required for this test and is not reachable at {url}: {exc}. "
            "Start it or set PRESTASHOP_INFOR_TEST_POSTGRES_URL.",
            pytrace=False,
        )
    return url

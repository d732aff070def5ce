"""The PostgreSQL the tests bring when none answers (``postgres.py``): an embedded server starts, takes
connections and databases, and stops by its pid; in a test session where nothing answers at
``PRESTASHOP_INFOR_TEST_POSTGRES_URL``, pytest-xdist's workers share one, stopped at the end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa

from prestashop_infor.serving import free_port
from prestashop_infor_tests import postgres

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

# Run by an inner pytest: each worker asks for the PostgreSQL and writes down the one it got.
WORKER_TEST = """
import os
from pathlib import Path

import sqlalchemy as sa


def test_a_worker_gets_the_sessions_postgres(postgres_url, worker_id):
    engine = sa.create_engine(postgres_url)
    with engine.connect() as connection:
        started = connection.execute(sa.text("select pg_postmaster_start_time()")).scalar_one()
    engine.dispose()
    pid_file = Path(os.environ["PRESTASHOP_INFOR_TEST_SESSION_DIR"]) / "postgres.pid"
    pid = pid_file.read_text() if pid_file.exists() else "none"
    (Path(os.environ["RECORDS"]) / worker_id).write_text(f"{postgres_url} {started.isoformat()} {pid}")
"""


def test_an_embedded_postgres_starts_takes_a_database_and_stops_by_its_pid():
    folder = postgres.session_folder()
    try:
        server = postgres.start_embedded(folder)
        assert postgres.unreachable(server.url) is None
        assert sa.make_url(server.url).host == "127.0.0.1" and sa.make_url(server.url).database == "test"
        # what the topology tests do with it: a database of their own
        engine = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text("create database topology_probe"))
        engine.dispose()
        assert postgres.unreachable(sa.make_url(server.url).set(database="topology_probe")) is None
        assert psutil.Process(server.pid).name() == "postgres"
        postgres.stop(server.pid)
        assert not psutil.pid_exists(server.pid)
        assert "Connection refused" in postgres.unreachable(server.url)
    finally:
        postgres.end_session(folder)
    assert not folder.exists()


def _session(tmp_path: Path, configured_url: str) -> tuple[str, dict[str, list[str]]]:
    """An inner pytest session of two xdist workers, each running WORKER_TEST once, with
    ``PRESTASHOP_INFOR_TEST_POSTGRES_URL=configured_url``: its output, and each worker's record
    (the URL it got, the server's start time, the embedded server's pid or "none")."""
    (tmp_path / "test_worker.py").write_text(WORKER_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    records = tmp_path / "records"
    records.mkdir()
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PRESTASHOP_INFOR_TEST"))
    }
    environment |= {"PRESTASHOP_INFOR_TEST_POSTGRES_URL": configured_url, "RECORDS": str(records), "PYTHONPATH": str(REPO)}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "each", "-p", "prestashop_infor_tests.conftest",
         "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(tmp_path / "test_worker.py")],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    got = {worker.name: worker.read_text().split() for worker in records.iterdir()}
    assert sorted(got) == ["gw0", "gw1"], got
    return done.stdout, got


def test_a_session_where_nothing_answers_shares_one_embedded_postgres_between_workers(tmp_path: Path):
    nothing_there = f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/test"
    output, got = _session(tmp_path, nothing_there)
    assert f"nothing answered at {nothing_there}; the tests used an embedded PostgreSQL" in output
    (url, started, pid), other = got["gw0"], got["gw1"]
    assert other == [url, started, pid], "the workers got different servers"
    assert url != nothing_there and sa.make_url(url).host == "127.0.0.1"
    assert not psutil.pid_exists(int(pid)), "the embedded PostgreSQL outlived the session"
    assert postgres.unreachable(url) is not None


def test_a_postgres_that_answers_is_used_as_it_is(tmp_path: Path):
    folder = postgres.session_folder()
    try:
        answering = postgres.start_embedded(folder)  # any PostgreSQL that answers at the configured URL
        output, got = _session(tmp_path, answering.url)
        assert got["gw0"][0] == got["gw1"][0] == answering.url
        assert got["gw0"][2] == got["gw1"][2] == "none", "an embedded server was started all the same"
        assert "embedded" not in output
        assert postgres.unreachable(answering.url) is None, "the session stopped a server it did not start"
    finally:
        postgres.stop(answering.pid)
        postgres.end_session(folder)

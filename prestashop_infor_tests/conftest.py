"""Shared test fixtures: where the fixtures live, the PostgreSQL (one that answers, else an embedded
one for the session: ``postgres.py``), loopback servers."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from prestashop_infor_tests import postgres
from prestashop_infor_tests.tools import PHP, PHP_CURL, PHP_SQLITE, required

FIXTURES = Path(__file__).parent / "fixtures"
# The modules whose tests run a minute or more each (a demo and a browser, a whole topology, faults of
# the orchestrator): collected first, so the two workers of `make test` start on them together and
# the short tests fill in after, instead of one long test running alone at the end of the session.
LONGEST_FIRST = (
    "test_demo.py", "test_postgres_topology.py", "test_orchestrator_faults.py",
    "test_docs_commands.py", "test_chaos.py",
)  # fmt: skip


def _is_controller(config: pytest.Config) -> bool:
    """The process that runs the session: pytest-xdist's controller, or pytest without workers."""
    return not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    # The workers inherit the environment: they find the session's folder (and its server) there.
    if _is_controller(config):
        os.environ[postgres.SESSION_DIR_ENV] = str(postgres.session_folder())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Whole modules of LONGEST_FIRST to the front, in that order; the rest keep theirs."""
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    folder = os.environ.get(postgres.SESSION_DIR_ENV)
    url = postgres.shared_server(Path(folder)) if folder and _is_controller(config) else None
    if url:
        terminalreporter.write_line(
            f"PostgreSQL: nothing answered at {postgres.configured_url()}; the tests used an embedded "
            f"PostgreSQL (pgserver) at {url}"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = os.environ.get(postgres.SESSION_DIR_ENV)
    if folder and _is_controller(config):
        del os.environ[postgres.SESSION_DIR_ENV]
        postgres.end_session(Path(folder))


@pytest.fixture(autouse=True)
def _sigterm_left_as_found():
    """SIGTERM as it was before each test. Dagster run in-process (``materialize``, a sensor's
    context) gives SIGTERM SIGINT's handler on its way out (``dagster._utils.interrupts``), and a
    suite started as a background job of a non-interactive shell (``(make test &)``) ignores
    SIGINT: from then on every process the worker started ignored SIGTERM (an ignored signal
    survives exec), and the tests that stop processes saw them killed instead of stopped,
    depending on which tests the worker had run before. A test that leaves SIGTERM *blocked*
    errors by name."""
    handler, blocked = signal.getsignal(signal.SIGTERM), signal.pthread_sigmask(signal.SIG_BLOCK, [])
    yield
    if signal.getsignal(signal.SIGTERM) != handler and handler is not None:
        signal.signal(signal.SIGTERM, handler)
    now_blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    if now_blocked != blocked:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        pytest.fail(f"the test left signals {sorted(now_blocked)} blocked (was {sorted(blocked)})")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL the Postgres-backed tests may create schemas and databases in: the one at
    ``PRESTASHOP_INFOR_TEST_POSTGRES_URL`` when it answers, else the session's embedded one. Never a
    skip: a server that cannot be had is a failure."""
    url = postgres.configured_url()
    if postgres.unreachable(url) is None:
        return url
    try:
        return postgres.shared_url(Path(os.environ[postgres.SESSION_DIR_ENV]))
    except Exception as exc:  # noqa: BLE001 - whatever stopped the embedded server is reported as such
        pytest.fail(
            f"no PostgreSQL answers at {url} ({postgres.unreachable(url)}) and the embedded one did not "
            f"start: {exc}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def php() -> str:
    """PHP's command line with the extensions the PrestaShop module's tests use (SQLite, curl)."""
    for extension in (PHP_SQLITE, PHP_CURL):
        required(extension)
    return required(PHP)

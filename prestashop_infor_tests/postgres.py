"""The PostgreSQL the tests use: the one at ``PRESTASHOP_INFOR_TEST_POSTGRES_URL`` (by default
127.0.0.1:5432, database ``test``) when it answers; otherwise an embedded one, PostgreSQL's own
binaries from PyPI (the ``pgserver`` wheel), started once for the test session on a free loopback
port and shared by pytest-xdist's workers.

The sharing: the controller (``conftest.pytest_configure``) makes the session's folder and names it in
``PRESTASHOP_INFOR_TEST_SESSION_DIR``, which the workers inherit; the first worker that needs the
server starts it under a file lock and writes its URL and pid there; the others read them; the
controller stops the server by its pid when the session ends (``pytest_unconfigure``).

pgserver's own server manager is not used: it listens on a Unix socket only, while the topology tests
hand a host and a port to Dagster (``DAGSTER_POSTGRES_HOST``/``_PORT``), and as root it creates a
system user. PostgreSQL refuses to run as root, so as root the server runs as ``nobody``, from a copy
of the binaries in the session's folder (the virtualenv may lie where ``nobody`` cannot read).
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psutil
import sqlalchemy as sa

from prestashop_infor.serving import free_port

URL_ENV = "PRESTASHOP_INFOR_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
SESSION_DIR_ENV = "PRESTASHOP_INFOR_TEST_SESSION_DIR"
HOST = "127.0.0.1"
DATABASE = "test"  # the same name as the default URL's
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class EmbeddedPostgres:
    url: str
    pid: int  # the postmaster's: what stops it


def configured_url() -> str:
    return os.environ.get(URL_ENV, "").strip() or DEFAULT_URL


def unreachable(url: str | sa.URL) -> str | None:
    """Why ``url`` does not answer a query, or None when it does."""
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
    except Exception as exc:  # noqa: BLE001 - a malformed URL is reported like a server that is down
        return f"{type(exc).__name__}: {exc}"
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def session_folder() -> Path:
    """A new folder for one test session's server. Others may pass through it (not list it): as
    root the server runs as ``nobody``, whose files live inside."""
    folder = Path(tempfile.mkdtemp(prefix="prestashop-infor-tests-"))
    folder.chmod(0o711)
    return folder


def _pginstall() -> Path:
    """PostgreSQL's installation inside the pgserver wheel (found, not imported: importing pgserver
    sets up its own server manager)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "pgserver, the embedded PostgreSQL, is not installed (requirements/dev.lock installs it on "
            f"Python 3.11 and 3.12, which its wheels cover): start a PostgreSQL at that address or set {URL_ENV}"
        )
    return Path(spec.submodule_search_locations[0]) / "pginstall"


def start_embedded(folder: Path) -> EmbeddedPostgres:
    """Initialise and start a PostgreSQL in ``folder`` (made by ``session_folder``) on a free loopback
    port, trusting local connections, with a database named ``test``."""
    pginstall, user = _pginstall(), None
    home = folder / "postgres"  # the server's: its data, its log
    home.mkdir()
    if os.geteuid() == 0:
        user = "nobody"
        # the package with its bundled libraries beside it, as the binaries' rpath expects them
        site, copy = pginstall.parent.parent, folder / "site-packages"
        for name in ("pgserver", "pgserver.libs"):
            if (site / name).is_dir():
                shutil.copytree(
                    site / name, copy / name, ignore=shutil.ignore_patterns("include", "__pycache__")
                )
        pginstall = copy / "pgserver" / "pginstall"
        shutil.chown(home, user=user)
    data, log, port = home / "data", home / "postgres.log", free_port(HOST)

    def run(*command: str) -> None:
        done = subprocess.run(command, user=user, capture_output=True, text=True, timeout=START_TIMEOUT_S)
        if done.returncode != 0:
            server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(
                f"the embedded PostgreSQL did not start: `{' '.join(command)}` exited {done.returncode}:\n"
                f"{done.stdout}{done.stderr}{server_log}"
            )

    bin_dir = pginstall / "bin"
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8")
    # TCP on loopback only, no Unix socket (its path would be too long under macOS's temp folder)
    options = f"-h {HOST} -p {port} -k ''"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", str(START_TIMEOUT_S), "start")  # fmt: skip
    pid = int((data / "postmaster.pid").read_text().split()[0])
    server = f"postgresql+psycopg2://postgres@{HOST}:{port}"
    engine = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f"create database {DATABASE}"))
    except BaseException:
        stop(pid)  # nobody else knows its pid yet
        raise
    finally:
        engine.dispose()
    return EmbeddedPostgres(url=f"{server}/{DATABASE}", pid=pid)


def stop(pid: int, timeout_s: float = 30) -> None:
    """Stop the postmaster ``pid`` (a fast shutdown: sessions are ended, then it exits), killing it
    if it is still there after ``timeout_s``. A pid that is gone, or no longer PostgreSQL's, is left."""
    try:
        process = psutil.Process(pid)
        if process.name() != "postgres":
            return
        process.send_signal(signal.SIGINT)
        process.wait(timeout_s)
    except psutil.NoSuchProcess:
        return
    except psutil.TimeoutExpired:
        process.kill()
        process.wait(10)


def shared_url(session_dir: Path) -> str:
    """The session's embedded PostgreSQL, started by the first process that asks."""
    with (session_dir / "postgres.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        url_file = session_dir / "postgres.url"
        if not url_file.exists():
            server = start_embedded(session_dir)
            (session_dir / "postgres.pid").write_text(str(server.pid))
            url_file.write_text(server.url)
        return url_file.read_text()


def shared_server(session_dir: Path) -> str | None:
    """The URL of the session's embedded PostgreSQL, None when none was started."""
    url_file = session_dir / "postgres.url"
    return url_file.read_text() if url_file.exists() else None


def end_session(session_dir: Path) -> None:
    """Stop the session's embedded PostgreSQL, if one was started, and remove its folder."""
    pid_file = session_dir / "postgres.pid"
    if pid_file.exists():
        stop(int(pid_file.read_text()))
    shutil.rmtree(session_dir, ignore_errors=True)

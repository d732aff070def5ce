"""Every command the README and ``docs/`` show is run as written, here or by the test named for it.

The commands are read from the ``sh`` blocks of ``README.md`` and ``docs/*.md`` (a line ending in
``\\`` goes on, a ``#`` comment is dropped). Each must be claimed: by a test of this file, which runs
it word for word (from the checkout, as a reader would, with the environment the page says to set),
by another test file that runs it (and names it), or as one that cannot run on this machine (Docker),
with the reason. A command added to the docs without a test fails here.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import dagster as dg
import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: Run by another test file, which names the command (checked below).
ELSEWHERE = {
    "make demo": "test_install.py",
    "make test": "test_install.py",
}
#: Not run by a test, and why.
NOT_RUN = {
    "make lock": "rewrites requirements/*.lock from PyPI; test_install.py checks the locks match pyproject.toml",
    "make lock LOCK_ARGS=--upgrade": "as make lock",
    'make lock LOCK_ARGS="--upgrade-package sqlalchemy"': "as make lock",
    ".venv/bin/python -m pip install --require-hashes -r requirements/dev.lock": "what make install runs "
    "(test_install.py checks its plan)",
    ".venv/bin/python -m pip install --no-deps -e .": "as above",
    "PRESTASHOP_INFOR_TEST_POSTGRES_URL=postgresql+psycopg2://me@127.0.0.1:5433/test make test": "the "
    "test suite itself, with another PostgreSQL; test_embedded_postgres.py covers the fallback",
    'PRESTASHOP_INFOR_TEST_CHROMIUM="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" make test': "a "
    "macOS path; test_install.py runs the browser lookup with PRESTASHOP_INFOR_TEST_CHROMIUM",
    "cp docker/.env.example docker/.env": "a Docker deployment's first step; no Docker on this machine "
    "(test_docker_deployment.py checks the files it names)",
    "docker compose -f docker/docker-compose.yml up -d --build": "needs Docker",
    "docker compose -f docker/docker-compose.yml up -d user_code daemon": "needs Docker",
}
#: Run by this file.
HERE = {
    "make demo",
    "export WEBHOOK_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')",
    ".venv/bin/prestashop-infor webhooks serve --host 127.0.0.1 --port 8090",
    ".venv/bin/prestashop-infor db upgrade",
    ".venv/bin/prestashop-infor db current",
    ".venv/bin/prestashop-infor trace 1234",
    ".venv/bin/prestashop-infor dlq list",
    ".venv/bin/prestashop-infor dlq show 12",
    ".venv/bin/prestashop-infor dlq replay 12 13",
    ".venv/bin/prestashop-infor dlq resolve 14",
    SANDBOX := ".venv/bin/prestashop-infor sandbox --host 127.0.0.1 --prestashop-port 8081 --api-key "
    "ZQ5N8R2KX7WJ4M1TB6VY3HC9PLDF0GSE --seed 42 --orders 2000 --infor-port 8082 --tenant SANDBOX_TST "
    "--ionapi-out .prestashop_infor/sandbox.ionapi",
    CURL := "curl -g -u ZQ5N8R2KX7WJ4M1TB6VY3HC9PLDF0GSE: "
    "'http://127.0.0.1:8081/api/orders?display=full&sort=[id_DESC]&limit=2&output_format=JSON'",
    MATERIALIZE := ".venv/bin/dagster asset materialize -m prestashop_infor.defs --select "
    "'prestashop_orders_daily,infor_orders_daily,order_reconciliation' --partition-range 2025-01-01...2025-12-31",
    OUTLET := "export PRESTASHOP_INFOR_SOURCES=outlet OUTLET_PRESTASHOP_URL=https://outlet.example",
    OUTLET_SECRET
    := "export OUTLET_WEBHOOK_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')",
    ".venv/bin/prestashop-infor db upgrade --source outlet",
    ".venv/bin/prestashop-infor webhooks serve --source outlet --host 127.0.0.1 --port 8091",
    ".venv/bin/prestashop-infor trace 42 --source outlet",
    LAUNCH := ".venv/bin/dagster job launch -w workspace.yaml -j order_reconciliation_job --tags "
    '\'{"dagster/asset_partition_range_start": "2025-01-01", "dagster/asset_partition_range_end": "2025-12-31"}\'',
}
HERE.discard("make demo")  # run by test_install.py (ELSEWHERE)


def commands(page: Path) -> list[str]:
    """The commands of a page's ``sh`` blocks, continuation lines joined, comments dropped."""
    found, block, pending = [], False, ""
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            block = line.strip() in ("```sh", "```bash", "```console")
            continue
        if not block:
            continue
        text = re.sub(r"\s+#\s.*$", "", line).strip()
        if not text or text.startswith("#"):
            continue
        pending = f"{pending} {text}".strip()
        if pending.endswith("\\"):
            pending = pending[:-1].strip()
            continue
        found.append(re.sub(r"\s+", " ", pending))
        pending = ""
    return found


def test_every_command_of_the_docs_is_claimed():
    shown = {command for page in PAGES for command in commands(page)}
    assert shown, "no commands found: the pages moved?"
    unclaimed = sorted(shown - HERE - set(ELSEWHERE) - set(NOT_RUN))
    assert not unclaimed, f"commands in the docs that no test runs: {unclaimed}"
    stale = sorted((HERE | set(ELSEWHERE) | set(NOT_RUN)) - shown)
    assert not stale, f"claimed commands no page shows any more: {stale}"
    for command, test_file in ELSEWHERE.items():
        words = command.split()
        text = (Path(__file__).parent / test_file).read_text(encoding="utf-8")
        assert all(f'"{word}"' in text or f"'{word}'" in text or word in text for word in words), (
            command,
            test_file,
        )


def run(command: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """A command as written, through bash, from the checkout."""
    return subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A reader's environment: a store and a Dagster home of their own."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PRESTASHOP", "INFOR_", "DAGSTER_HOME"))},
        "PRESTASHOP_INFOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "DAGSTER_HOME": str(home),
    }


@pytest.mark.slow
def test_the_store_and_dead_letter_commands(env):
    assert run(".venv/bin/prestashop-infor db upgrade", env).returncode == 0
    current = run(".venv/bin/prestashop-infor db current", env)
    assert current.returncode == 0 and "(the newest)" in current.stdout
    listed = run(".venv/bin/prestashop-infor dlq list", env)
    assert listed.returncode == 0 and "no open dead letters" in listed.stdout
    for command in ("dlq show 12", "dlq replay 12 13", "dlq resolve 14"):  # none exists: said, exit 2
        answer = run(f".venv/bin/prestashop-infor {command}", env)
        assert answer.returncode == 2 and "no dead letter with id" in answer.stderr, command
    trace = run(".venv/bin/prestashop-infor trace 1234", env)
    assert trace.returncode == 1 and "knows nothing of order 1234" in trace.stdout + trace.stderr


@pytest.mark.slow
def test_the_webhook_secret_and_the_receiver(env):
    secret = run(
        "export WEBHOOK_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))') && "
        'echo "$WEBHOOK_SECRET"',
        env,
    ).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    receiver = subprocess.Popen(
        ["bash", "-c", "exec .venv/bin/prestashop-infor webhooks serve --host 127.0.0.1 --port 8090"],
        cwd=ROOT, env={**env, "WEBHOOK_SECRET": secret}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert _answers("http://127.0.0.1:8090/health", receiver), receiver.stdout
    finally:
        _stop(receiver)


@pytest.mark.slow
def test_a_second_installations_store_receiver_and_trace(env, tmp_path: Path):
    exports = f"{OUTLET} && {OUTLET_SECRET} && "
    upgraded = run(exports + ".venv/bin/prestashop-infor db upgrade --source outlet", env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "store-outlet.db").exists() and not (tmp_path / "store.db").exists()
    receiver = subprocess.Popen(
        ["bash", "-c", exports + "exec .venv/bin/prestashop-infor webhooks serve --source outlet --host 127.0.0.1 "
         "--port 8091"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        assert _answers("http://127.0.0.1:8091/health", receiver), receiver.stdout
    finally:
        _stop(receiver)
    trace = run(exports + ".venv/bin/prestashop-infor trace 42 --source outlet", env)
    assert trace.returncode == 1 and "knows nothing of order 42" in trace.stdout + trace.stderr
    nowhere = run(".venv/bin/prestashop-infor trace 42 --source outlet", env)  # without the exports
    assert nowhere.returncode == 2 and "'outlet' is not a source" in nowhere.stderr


@pytest.mark.slow
def test_the_sandbox_curl_and_a_backfill_in_one_run(env):
    sandbox = subprocess.Popen(
        ["bash", "-c", f"exec {SANDBOX}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        assert _answers("http://127.0.0.1:8082/", sandbox, any_status=True)
        assert _answers("http://127.0.0.1:8081/api/", sandbox, any_status=True)
        orders = json.loads(run(CURL, env, timeout=60).stdout)["orders"]
        assert len(orders) == 2 and int(orders[0]["id"]) > int(orders[1]["id"])
        # both backfill forms, against the sandbox: one run each over the whole range
        shop = {
            **env,
            "PRESTASHOP_URL": "http://127.0.0.1:8081",
            "PRESTASHOP_API_KEY": "ZQ5N8R2KX7WJ4M1TB6VY3HC9PLDF0GSE",
            "INFOR_IONAPI_FILE": str(ROOT / ".prestashop_infor" / "sandbox.ionapi"),
        }
        done = run(MATERIALIZE, shop, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        launched = run(LAUNCH, shop, timeout=180)
        assert launched.returncode == 0, launched.stderr[-3000:]
    finally:
        _stop(sandbox)
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs()
    materialized = [r for r in runs if r.status == dg.DagsterRunStatus.SUCCESS]
    queued = [r for r in runs if r.job_name == "order_reconciliation_job"]
    assert (
        len(materialized) == 1 and materialized[0].tags["dagster/asset_partition_range_end"] == "2025-12-31"
    )
    assert len(queued) == 1 and queued[0].status == dg.DagsterRunStatus.QUEUED  # the daemon would run it
    assert queued[0].tags["dagster/asset_partition_range_start"] == "2025-01-01"


def _answers(url: str, process: subprocess.Popen, *, any_status: bool = False, seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            status = httpx.get(url, timeout=2).status_code
            if any_status or status == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the command's whole process group, SIGKILL after 10 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    if process.stdout:
        process.stdout.close()

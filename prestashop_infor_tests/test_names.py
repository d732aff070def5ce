"""One module names the webhook event types, the job names and the run tags (issue 18):
``prestashop_infor.names``. No other module spells one of them out, and the receiver stores as
pending exactly the event types named there."""

from __future__ import annotations

import ast
import json
import uuid
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import prestashop_infor
from prestashop_infor import names
from prestashop_infor.store import Store
from prestashop_infor.webhooks import create_app, receiver, sign

PACKAGE = Path(prestashop_infor.__file__).parent
NAMES = PACKAGE / "names.py"
JOB_NAMES = {value for name, value in vars(names).items() if name.endswith("_JOB")}
SECRET = "s" * 40
NOW = 1_780_000_000


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _exports(tree: ast.AST) -> set[int]:
    """The ids of the strings of ``__all__`` (Python names, which may be a job's too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            found.update(id(item) for item in ast.walk(node.value))
    return found


def spelled_out(path: Path) -> list[str]:
    """The string constants of the module at ``path`` that are a run tag of the project, a job name
    or a webhook event type (docstrings and ``__all__`` aside), as ``line: value``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = _docstrings(tree) | _exports(tree)
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and (
            node.value.startswith("prestashop_infor/")
            or node.value in JOB_NAMES
            or node.value in names.EVENT_TYPES
        )
    ]
    return [
        f"{node.lineno}: {node.value!r}" for node in sorted(found, key=lambda n: (n.lineno, n.col_offset))
    ]


def test_names_is_where_tags_jobs_and_event_types_are_spelled():
    assert {"order_sync_job", "stock_sync_job", "order_reconciliation_job"} <= JOB_NAMES
    found = {
        path.relative_to(PACKAGE.parent).as_posix(): spelled
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != NAMES and (spelled := spelled_out(path))
    }
    assert found == {}, "use the constants of prestashop_infor.names"


def test_the_scan_sees_a_spelled_out_name(tmp_path: Path):
    module = tmp_path / "module.py"
    module.write_text(
        '"""A docstring naming "order_sync_job" and prestashop_infor/lane."""\n'
        '__all__ = ["order_sync_job"]\n'
        'TAGS = {"prestashop_infor/trigger": "webhook"}\n'
        'JOB = "stock_sync_job"\n'
        'EVENT = "order.created"\n'
        'TEXT = f"run of order_sync_job {JOB}"\n',
        encoding="utf-8",
    )
    assert spelled_out(module) == [
        "3: 'prestashop_infor/trigger'",
        "4: 'stock_sync_job'",
        "5: 'order.created'",
    ]


@pytest.fixture
def client(tmp_path: Path):
    with (
        Store.from_url(f"sqlite:///{tmp_path / 'store.db'}") as store,
        TestClient(create_app(store, [SECRET], now=lambda: NOW)) as http,
    ):
        yield http


def stored_as(client: TestClient, event: str) -> str:
    """How the receiver stores a valid, signed event of type ``event``."""
    event_id = str(uuid.uuid4())
    body = {"id": event_id, "event": event, "contract_version": 1, "resource": {"type": "x", "id": 1}}
    raw = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "X-PS-Webhook-Id": event_id,
        "X-PS-Webhook-Event": event,
        "X-PS-Webhook-Signature": f"t={NOW},v1={sign(SECRET, NOW, raw)}",
    }
    answer = client.post(receiver.PATH, content=raw, headers=headers)
    assert answer.status_code == 202, answer.text
    return answer.json()["stored_as"]


def test_the_receiver_takes_exactly_the_event_types_named(client: TestClient):
    assert receiver.EVENT_TYPES is names.EVENT_TYPES
    assert {event: stored_as(client, event) for event in sorted(names.EVENT_TYPES)} == dict.fromkeys(
        sorted(names.EVENT_TYPES), "pending"
    )
    others = ["order.deleted", "stock.created", "product.status_changed", "wishlist.updated"]
    assert not set(others) & names.EVENT_TYPES
    assert {event: stored_as(client, event) for event in others} == dict.fromkeys(others, "ignored")

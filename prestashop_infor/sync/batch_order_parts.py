"""What a batch order in M3 still lacks to be the shop order (``sync.order_entry`` finishing one an
earlier run left), and where it contradicts it: a contradiction is never overwritten, it is the dead
letter ``batch_order_mismatch`` for a person to correct or delete in OIS275."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from prestashop_infor.infor.client import wire_value
from prestashop_infor.sync.errors import LoadError

if TYPE_CHECKING:
    from prestashop_infor.sync.order_entry import BatchOrder

# head fields whose value in M3, when not blank, must be what the shop order says (``ORDT`` is not
# among them: M3 fills in the entry date when the head had none)
HEAD_CHECKED = ("CUOR", "YREF", "ORTP", "FACI", "MODL", "TEDL", "PROJ")


def missing_parts(
    order: BatchOrder, lines: list[dict[str, str]], address: dict[str, str] | None
) -> list[tuple[str, dict[str, Any]]]:
    """The ``AddBatchText``/``AddBatchAddress``/``AddBatchLine`` calls (without ``ORNO``) that complete
    this batch order, given the lines and delivery address M3 holds; raises ``batch_order_mismatch``
    when what M3 holds is not what the shop order says. Texts cannot be read back from M3: they come
    right before the address and count as present when the address is, except those whose write
    failed earlier in this run (``texts_again``: twice rather than none)."""
    problems = []
    for name in HEAD_CHECKED:
        if name in order.head and order.m3_head.get(name) and _text(order.head[name]) != order.m3_head[name]:
            problems.append(
                f"head {name} is {order.m3_head[name]!r}, the shop order says {_text(order.head[name])!r}"
            )
    missing: list[tuple[str, dict[str, Any]]] = []
    if address is None:
        missing += [("AddBatchText", text) for text in order.texts]
        missing.append(("AddBatchAddress", order.address))
    else:
        missing += [("AddBatchText", text) for text in order.texts_again]
        for name, value in order.address.items():
            if name in address and _text(value) != address[name]:
                problems.append(f"address {name} is {address[name]!r}, the shop order says {_text(value)!r}")
    planned = {str(line["CUPO"]): line for line in order.lines}
    held: dict[str, dict[str, str]] = {}
    for line in lines:
        number = line.get("CUPO", "")
        if number not in planned or number in held:
            problems.append(
                f"line {line.get('PONR', '?')} (customer line {number or 'none'}) is not in the shop order"
            )
            continue
        held[number] = line
        want = planned[number]
        if line.get("ITNO") != want["ITNO"] or _number(line.get("ORQT")) != _number(want["ORQT"]):
            problems.append(
                f"customer line {number} is {line.get('ORQT')} x {line.get('ITNO')}, "
                f"the shop order says {want['ORQT']} x {want['ITNO']}"
            )
    missing += [("AddBatchLine", line) for number, line in planned.items() if number not in held]
    if problems:
        raise LoadError(
            "batch_order_mismatch",
            None,
            f"batch order {order.temp_orno} ({order.cuor}) in M3 differs from the shop order: "
            + "; ".join(problems)
            + ". Correct or delete it in OIS275, then replay",
        )
    return missing


def _text(value: Any) -> str:
    return wire_value(value).rstrip()


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


__all__ = ["HEAD_CHECKED", "missing_parts"]

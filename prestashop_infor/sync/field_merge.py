"""What the customer and item update passes (``sync.master_data``) share: the three-way merge of a
record's fields, M3's records read before the writes, the values of an M3 change transaction and
what M3's answer to it comes to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError, M3TransactionError
from prestashop_infor.infor.client import BulkResult
from prestashop_infor.sync.errors import LoadError
from prestashop_infor.sync.synchronizer import Bind, DeadLetter, Leave, Outcome

CLEAR = "?"  # blanks a field in an M3 change transaction (a blank input leaves it as it is)
STALE_CLAIM = timedelta(minutes=15)
CONFLICT = "conflict"  # the record changed in M3 between read and write (its CHNO moved on)
UNSURE = "unsure"  # the write may have committed: the next run reads again


@dataclass
class FieldMerge:
    """What to do with one record's fields: send, record as in step, keep M3's edit."""

    send: dict[str, str] = field(default_factory=dict)  # field -> the shop's value
    in_step: list[str] = field(default_factory=list)  # M3 holds the shop's value already
    kept: dict[str, str] = field(default_factory=dict)  # field -> M3's own value, left as it is


def merge_fields(
    desired: Mapping[str, str],
    current: Mapping[str, str],
    sent: Mapping[str, str],
    kept: Mapping[str, str],
) -> FieldMerge:
    """The three-way merge of one record (see ``sync.master_data``): ``desired`` the shop's values
    now, ``current`` M3's, ``sent`` the shop's values last acted on, ``kept`` M3's edits kept."""
    merge = FieldMerge()
    for name, want in desired.items():
        if sent.get(name) == want:
            continue  # the shop did not change it: whatever M3 holds stays
        have = current.get(name, "")
        if have == want:
            merge.in_step.append(name)
            continue
        base = kept.get(name, sent.get(name))
        if base is None or have == base:
            merge.send[name] = want
        else:
            merge.kept[name] = have
    return merge


def merged_state(
    data: Mapping[str, Any], desired: Mapping[str, str], merge: FieldMerge, *, written: bool
) -> dict[str, Any]:
    """The id map ``data`` after a merge (``written``: M3 accepted the fields of ``merge.send``)."""
    sent = dict(data.get("sent") or {})
    kept = dict(data.get("kept") or {})
    for name in [*merge.in_step, *(merge.send if written else ())]:
        sent[name] = desired[name]
        kept.pop(name, None)
    for name, value in merge.kept.items():
        sent[name] = desired[name]
        kept[name] = value
    state = {**data, "sent": sent}
    if kept:
        state["kept"] = kept
    else:
        state.pop("kept", None)
    return state


def shop_changed(desired: Mapping[str, str], data: Mapping[str, Any]) -> bool:
    """The shop's values differ from those last acted on (``data["sent"]``)."""
    sent = data.get("sent") or {}
    return any(sent.get(name) != value for name, value in desired.items())


def read_records(
    m3: M3Client,
    program: str,
    transaction: str,
    inputs: Mapping[str, Mapping[str, str]],
    *,
    bulk_size: int,
    missing: str,
) -> dict[str, Any]:
    """M3's record for each key of ``inputs`` (one bulk ``program/transaction`` with that key's
    inputs), read just before the writes: ``missing`` where M3 answers that it has no such record;
    any other failure raises (M3 unreachable is not the record's fault)."""
    keys = list(inputs)
    results = m3.bulk([(program, transaction, dict(inputs[key])) for key in keys], max_per_request=bulk_size)
    current: dict[str, Any] = {}
    for key, result in zip(keys, results, strict=True):
        if result.ok:
            current[key] = result.records[0] if result.records else {}
        elif isinstance(result.error, M3TransactionError):
            current[key] = missing
        else:
            raise result.error or RuntimeError(f"{program}/{transaction} failed")
    return current


def wire(fields: Mapping[str, str]) -> dict[str, str]:
    """Values for a change transaction: a blank value blanks the field (``?``)."""
    return {name: value if value != "" else CLEAR for name, value in fields.items()}


def change_outcome(result: BulkResult, value: Any, *, context: str) -> Outcome:
    """What M3's answer to a change transaction comes to: ``Bind(value)`` when M3 took it;
    ``Leave(CONFLICT)`` when the record changed in M3 since it was read; ``Leave(UNSURE)`` when the
    write may have committed (a gateway error or a timeout); else a ``DeadLetter``: M3 refused."""
    if result.ok:
        return Bind(value)
    error = result.error
    if isinstance(error, M3TransactionError) and error.field == "CHNO":
        return Leave(CONFLICT)
    if isinstance(error, M3GatewayError) and error.may_have_committed:
        return Leave(UNSURE)
    return DeadLetter(LoadError.from_m3(error or RuntimeError("unknown"), context=context))

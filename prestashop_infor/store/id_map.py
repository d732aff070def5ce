"""The id map (the "binder"): which M3 record a PrestaShop record became, and what was last sent.

One row per (entity, source_key): ``customer`` rows bind a normalized e-mail to a ``CUNO``,
``shop_customer`` rows a PrestaShop customer id to the same ``CUNO``, ``sales_order`` rows bind a
PrestaShop order id to an M3 ``ORNO`` (the temporary batch number until the final one is known;
``data`` keeps both, the ``CUOR`` and the original amounts), ``item`` rows a shop product or
combination (``product:12``, ``combination:34``) to an ``ITNO``. The source key is unique per
entity; so is the target key, except for the entities of ``tables.MANY_TO_ONE`` (several e-mails and shop
accounts may be one M3 customer). ``fingerprint`` is a hash of what was last sent, so a rerun can
tell "unchanged" from "changed since".

Claims (``claim_for_work``/``release``) make "create once" safe across concurrent runs: the
database's unique key decides who works on a record; the others leave it to that run and a later
run picks it up (one protocol for customers, orders and status pushes).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from prestashop_infor.processes import is_running
from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import id_claims, id_map

CHUNK = 500  # keys per IN (...) list / rows per statement


class IdMapConflict(Exception):
    """A target key is already bound to another source key (two shop records -> one M3 record) of an
    entity that is one to one (every entity but those of ``MANY_TO_ONE``)."""


@dataclass(frozen=True)
class Binding:
    entity: str
    source_key: str
    target_key: str
    fingerprint: str | None
    data: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Claim:
    entity: str
    source_key: str
    planned_key: str | None
    owner: str
    claimed_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _binding(row: Mapping[str, Any]) -> Binding:
    return Binding(
        entity=row["entity"],
        source_key=row["source_key"],
        target_key=row["target_key"],
        fingerprint=row["fingerprint"],
        data=json.loads(row["data"]) if row["data"] else {},
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def bind(
    store: Store,
    entity: str,
    source_key: str | int,
    target_key: str,
    *,
    fingerprint: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Binding:
    """Record (or update) that ``source_key`` became ``target_key``; returns the stored binding.
    Raises IdMapConflict if ``target_key`` is bound to another source key."""
    bind_many(store, entity, [(source_key, target_key, fingerprint, data)])
    found = binding(store, entity, source_key)
    assert found is not None
    return found


def bind_many(
    store: Store,
    entity: str,
    rows: Iterable[tuple[str | int, str, str | None, Mapping[str, Any] | None]],
) -> int:
    """``bind`` for many (source_key, target_key, fingerprint, data) in one transaction."""
    now = _now()
    values = [
        {
            "entity": entity,
            "source_key": str(source),
            "target_key": str(target),
            "fingerprint": fingerprint,
            "data": json.dumps(dict(data), sort_keys=True, default=str) if data is not None else None,
            "created_at": now,
            "updated_at": now,
        }
        for source, target, fingerprint, data in rows
    ]
    if not values:
        return 0
    insert = store._insert(id_map)
    statement = insert.on_conflict_do_update(
        index_elements=[id_map.c.entity, id_map.c.source_key],
        set_={
            "target_key": insert.excluded.target_key,
            "fingerprint": insert.excluded.fingerprint,
            "data": insert.excluded.data,
            "updated_at": insert.excluded.updated_at,
        },
    )
    try:
        with store.engine.begin() as connection:
            connection.execute(statement, values)  # executemany: compiled once
    except sa.exc.IntegrityError as exc:
        raise IdMapConflict(
            f"{entity}: a target key is already bound to another source key: {exc.orig}"
        ) from None
    return len(values)


def unbind(store: Store, entity: str, source_keys: Iterable[str | int]) -> int:
    """Forget the bindings of these source keys (M3 no longer holds their record); returns how many."""
    keys = [str(k) for k in source_keys]
    removed = 0
    with store.engine.begin() as connection:
        for start in range(0, len(keys), CHUNK):
            result = connection.execute(
                sa.delete(id_map).where(
                    id_map.c.entity == entity, id_map.c.source_key.in_(keys[start : start + CHUNK])
                )
            )
            removed += result.rowcount
    return removed


def binding(store: Store, entity: str, source_key: str | int) -> Binding | None:
    with store.engine.connect() as connection:
        row = (
            connection.execute(
                sa.select(id_map).where(id_map.c.entity == entity, id_map.c.source_key == str(source_key))
            )
            .mappings()
            .first()
        )
    return _binding(row) if row else None


def binding_by_target(store: Store, entity: str, target_key: str) -> Binding | None:
    with store.engine.connect() as connection:
        row = (
            connection.execute(
                sa.select(id_map).where(id_map.c.entity == entity, id_map.c.target_key == str(target_key))
            )
            .mappings()
            .first()
        )
    return _binding(row) if row else None


def bindings_to(store: Store, entity: str, target_keys: Iterable[str]) -> dict[str, list[Binding]]:
    """Every binding of these target keys, oldest first per target (absent targets are missing);
    several per target only for the entities of ``MANY_TO_ONE``."""
    keys = sorted({str(k) for k in target_keys})
    found: dict[str, list[Binding]] = {}
    with store.engine.connect() as connection:
        for start in range(0, len(keys), CHUNK):
            rows = connection.execute(
                sa.select(id_map)
                .where(id_map.c.entity == entity, id_map.c.target_key.in_(keys[start : start + CHUNK]))
                .order_by(id_map.c.id)
            ).mappings()
            for row in rows:
                found.setdefault(row["target_key"], []).append(_binding(row))
    return found


def bindings(store: Store, entity: str) -> list[Binding]:
    """Every binding of ``entity``, oldest first."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(id_map).where(id_map.c.entity == entity).order_by(id_map.c.id)
        ).mappings()
        return [_binding(row) for row in rows]


def bindings_for(store: Store, entity: str, source_keys: Iterable[str | int]) -> dict[str, Binding]:
    """The bindings of these source keys (absent keys are simply missing from the answer)."""
    keys = sorted({str(k) for k in source_keys})
    found: dict[str, Binding] = {}
    with store.engine.connect() as connection:
        for start in range(0, len(keys), CHUNK):
            rows = connection.execute(
                sa.select(id_map).where(
                    id_map.c.entity == entity, id_map.c.source_key.in_(keys[start : start + CHUNK])
                )
            ).mappings()
            for row in rows:
                found[row["source_key"]] = _binding(row)
    return found


# -- claims ----------------------------------------------------------------------------------------


def claim_owner() -> str:
    """Who is claiming: host, process and thread (for a human reading the claims table)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


#: A claim of a holder that is gone is taken over once it is this old: the holder's last request may
#: still be finishing in M3 for a moment after the holder died, and a run taking the order over at
#: that moment would find it changing under its lookup.
GONE_HOLDER_GRACE = timedelta(seconds=10)


def holder_is_gone(owner: str) -> bool:
    """Whether the claim's owner (``host:pid:thread...``, see :func:`claim_owner`) was a process of this
    host that is no longer running: its run ended (killed, or its worker died), so its claims are
    taken over once ``GONE_HOLDER_GRACE`` old instead of after ``stale_after``. A holder on another
    host is never judged."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isascii() or not pid.isdigit():
        return False
    return not is_running(int(pid))


def claim(store: Store, entity: str, source_key: str | int, planned_key: str | None = None) -> bool:
    """Take the claim to create ``source_key`` in M3. True if this caller got it, False if another
    run holds it (then wait for its binding, see :func:`claim_of` for when it was taken)."""
    row = {
        "entity": entity,
        "source_key": str(source_key),
        "planned_key": planned_key,
        "owner": claim_owner(),
        "claimed_at": _now(),
    }
    statement = (
        store._insert(id_claims)
        .values(row)
        .on_conflict_do_nothing(index_elements=[id_claims.c.entity, id_claims.c.source_key])
    )
    with store.engine.begin() as connection:
        result = connection.execute(statement)
    return result.rowcount == 1


def claim_many(store: Store, entity: str, planned: Mapping[str, str | None]) -> set[str]:
    """``claim`` for many source keys (source key -> planned target key) in one transaction;
    returns the keys this caller got (the others are held by another run)."""
    owner = f"{claim_owner()}:{uuid.uuid4().hex[:12]}"[-100:]
    now = _now()
    keys = [str(k) for k in planned]
    if not keys:
        return set()
    statement = store._insert(id_claims).on_conflict_do_nothing(
        index_elements=[id_claims.c.entity, id_claims.c.source_key]
    )
    rows = [
        {"entity": entity, "source_key": k, "planned_key": planned[k], "owner": owner, "claimed_at": now}
        for k in keys
    ]
    got: set[str] = set()
    with store.engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            connection.execute(statement, rows[start : start + CHUNK])
        for start in range(0, len(keys), CHUNK):
            got.update(
                connection.execute(
                    sa.select(id_claims.c.source_key).where(
                        id_claims.c.entity == entity,
                        id_claims.c.owner == owner,
                        id_claims.c.source_key.in_(keys[start : start + CHUNK]),
                    )
                ).scalars()
            )
    return got


def claim_for_work(
    store: Store, entity: str, planned: Mapping[str, str | None], *, stale_after: timedelta
) -> set[str]:
    """The one claim protocol of the synchronizers: claim every key of ``planned`` (source key ->
    the target key it will get, if known) in one transaction; a key whose claim was released in
    between is claimed again; a claim older than ``stale_after`` (its holder died), or older than
    ``GONE_HOLDER_GRACE`` whose holder was a process of this host that is gone, is taken over, by
    one caller only. Returns the keys this caller now holds. The others are busy: their holder is
    working on them right now, so the caller leaves them alone (it does not wait) and a later run
    picks them up. Release what you hold with :func:`release` on every way out."""
    got = claim_many(store, entity, planned)
    for key in planned:
        if key in got:
            continue
        held = claim_of(store, entity, key)
        if held is None:  # released between our insert and now: try once more
            taken = claim(store, entity, key, planned[key])
        else:
            age = _now() - held.claimed_at
            stale = age > stale_after or (age > GONE_HOLDER_GRACE and holder_is_gone(held.owner))
            taken = stale and take_over(store, entity, key, held)
        if taken:
            got.add(key)
    return got


def claim_of(store: Store, entity: str, source_key: str | int) -> Claim | None:
    with store.engine.connect() as connection:
        row = (
            connection.execute(
                sa.select(id_claims).where(
                    id_claims.c.entity == entity, id_claims.c.source_key == str(source_key)
                )
            )
            .mappings()
            .first()
        )
    return Claim(**row) if row else None


def take_over(store: Store, entity: str, source_key: str | int, stale: Claim) -> bool:
    """Replace a claim whose holder is presumed dead (it is exactly ``stale``, untouched since);
    True if this caller now holds it. Only one of several callers taking over the same claim wins."""
    with store.engine.begin() as connection:
        result = connection.execute(
            sa.update(id_claims)
            .where(
                id_claims.c.entity == entity,
                id_claims.c.source_key == str(source_key),
                id_claims.c.owner == stale.owner,
                id_claims.c.claimed_at == stale.claimed_at,
            )
            .values(owner=claim_owner(), claimed_at=_now())
        )
    return result.rowcount == 1


def release(store: Store, entity: str, source_keys: Iterable[str | int]) -> int:
    """Drop the claims of these keys (after binding, or after a failure so a later run may retry)."""
    keys = [str(k) for k in source_keys]
    released = 0
    with store.engine.begin() as connection:
        for start in range(0, len(keys), CHUNK):
            result = connection.execute(
                sa.delete(id_claims).where(
                    id_claims.c.entity == entity, id_claims.c.source_key.in_(keys[start : start + CHUNK])
                )
            )
            released += result.rowcount
    return released


def claims(store: Store, entity: str) -> list[Claim]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(id_claims).where(id_claims.c.entity == entity).order_by(id_claims.c.claimed_at)
        ).mappings()
        return [Claim(**row) for row in rows]


def sample_bindings(store: Store, entity: str, *, newest: int, at_random: int) -> list[Binding]:
    """The ``newest`` most recent bindings of ``entity`` and ``at_random`` more drawn from the rest."""
    with store.engine.connect() as connection:
        recent = [
            _binding(row)
            for row in connection.execute(
                sa.select(id_map).where(id_map.c.entity == entity).order_by(id_map.c.id.desc()).limit(newest)
            ).mappings()
        ]
        keys = [b.source_key for b in recent]
        query = sa.select(id_map).where(id_map.c.entity == entity)
        if keys:
            query = query.where(id_map.c.source_key.not_in(keys))
        drawn = [
            _binding(row)
            for row in connection.execute(query.order_by(sa.func.random()).limit(at_random)).mappings()
        ]
    return recent + drawn

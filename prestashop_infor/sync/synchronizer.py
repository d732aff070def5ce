"""One synchronizer shape: claim -> read current -> decide -> write -> bind or dead-letter.

Every flow that writes to the other system (orders into M3, status pushes to the shop, customer and
item updates to M3) is this template with an :class:`Entity` that supplies its decisions and its
calls. :func:`synchronize` owns the order of the steps and the fault rules common to all:

1. **claim** each key (``id_map.claim_for_work``): a key another run holds is ``busy`` and left to
   that run; the claims are released on every way out (a run killed outright leaves them, and a
   later run takes them over once stale);
2. **read current** (``Entity.read_current``), for the claimed keys only, just before writing: what
   the other system (and the id map, which another run may have just written) holds now. A read the
   other system cannot answer raises: the run stops and nothing is written;
3. **decide** per key (``Entity.decide``): :class:`Leave` (nothing to do), :class:`Bind` (the other
   system holds it already: record that), :class:`DeadLetter` (this key cannot go, with the reason)
   or :class:`Write` (send this). A ``SyncError`` raised while deciding dead-letters that key only;
4. **write** (``Entity.write``) the keys to send, in as many calls as the entity likes; it answers
   per key with :class:`Bind` (the other system answered OK), :class:`DeadLetter` (it refused) or
   :class:`Leave` (the outcome is unknown: a gateway error or a timeout that may hide a commit. Nothing
   is recorded and the next run reads again). A key it never answered for was not written;
5. **bind** (``Entity.bind``) what the other system holds, only that: after the writes, or, when the
   writes stop the run (an infrastructure failure raises), what was answered OK before, then the
   run stops; **dead-letter** (``Entity.dead_letter``) the refused keys on every way out. One key's
   failure never stops the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, Protocol, TypeVar

from prestashop_infor.store import Store, id_map
from prestashop_infor.sync.errors import SyncError

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


@dataclass(frozen=True)
class Write:
    """Send ``request`` to the other system."""

    request: Any


@dataclass(frozen=True)
class Bind:
    """The other system holds it (it answered OK, or held it already): record ``value``."""

    value: Any


@dataclass(frozen=True)
class DeadLetter:
    """This key cannot go: ``error`` says why (bad data, the other system refused)."""

    error: SyncError


@dataclass(frozen=True)
class Leave:
    """Record nothing: nothing to do, or an outcome nobody knows; the next run reads again."""

    reason: str = ""


Decision = Write | Bind | DeadLetter | Leave
Outcome = Bind | DeadLetter | Leave


class Entity(Protocol[T_contra]):
    """What one flow supplies: its claims' name, its reads, decisions, writes and records."""

    claims: str  # the id map entity the claims are taken under

    def planned(self, key: str, item: T_contra) -> str | None:
        """The target key ``item`` will get, when known (kept with the claim for a human)."""
        ...

    def read_current(self, work: Mapping[str, T_contra]) -> Mapping[str, Any]:
        """What holds now for the claimed keys (absent: None); raises when it cannot be read."""
        ...

    def decide(self, key: str, item: T_contra, current: Any) -> Decision: ...

    def write(self, sends: Mapping[str, tuple[T_contra, Any]]) -> Iterable[tuple[str, Outcome]]:
        """Send each (item, request); yields each key's outcome as the other system answers."""
        ...

    def bind(self, bound: Mapping[str, tuple[T_contra, Any]]) -> None:
        """Record what the other system holds: key -> (item, the value of its ``Bind``)."""
        ...

    def dead_letter(self, failed: Mapping[str, tuple[T_contra, SyncError]]) -> None: ...


@dataclass
class Run(Generic[T]):
    """What :func:`synchronize` did, by key."""

    busy: list[str] = field(default_factory=list)  # another run holds the claim
    bound: dict[str, Any] = field(default_factory=dict)  # key -> the value bound
    dead_lettered: dict[str, SyncError] = field(default_factory=dict)
    left: dict[str, str] = field(default_factory=dict)  # key -> why nothing was recorded
    unwritten: list[str] = field(default_factory=list)  # to send, but the writes ended before them


def synchronize(work: Mapping[str, T], entity: Entity[T], store: Store, *, stale_after: timedelta) -> Run[T]:
    """Take ``work`` (key -> item) through the steps of the module docstring; returns the run."""
    run: Run[T] = Run()
    if not work:
        return run
    planned = {key: entity.planned(key, item) for key, item in work.items()}
    got = id_map.claim_for_work(store, entity.claims, planned, stale_after=stale_after)
    run.busy = [key for key in work if key not in got]
    failed: dict[str, tuple[T, SyncError]] = {}
    try:
        _claimed({k: item for k, item in work.items() if k in got}, entity, run, failed)
    finally:
        try:
            if failed:
                entity.dead_letter(failed)
        finally:
            id_map.release(store, entity.claims, got)
    return run


def _claimed(
    work: dict[str, T], entity: Entity[T], run: Run[T], failed: dict[str, tuple[T, SyncError]]
) -> None:
    """Read, decide, write and bind the claimed keys; refused keys are gathered in ``failed``."""
    if not work:
        return
    bound: dict[str, tuple[T, Any]] = {}

    def record(key: str, outcome: Outcome) -> None:
        if isinstance(outcome, Bind):
            bound[key] = (work[key], outcome.value)
            run.bound[key] = outcome.value
        elif isinstance(outcome, DeadLetter):
            failed[key] = (work[key], outcome.error)
            run.dead_lettered[key] = outcome.error
        else:
            run.left[key] = outcome.reason

    current = entity.read_current(work)
    sends: dict[str, tuple[T, Any]] = {}
    for key, item in work.items():
        try:
            decision = entity.decide(key, item, current.get(key))
        except SyncError as error:
            decision = DeadLetter(error)
        if isinstance(decision, Write):
            sends[key] = (item, decision.request)
        else:
            record(key, decision)
    answered: set[str] = set()
    try:
        for key, outcome in entity.write(sends) if sends else ():
            answered.add(key)
            record(key, outcome)
    except BaseException:
        if bound:  # the run stops: what the other system answered OK for is still recorded
            entity.bind(bound)
        raise
    run.unwritten = [key for key in sends if key not in answered]
    entity.bind(bound)


__all__ = ["Bind", "DeadLetter", "Decision", "Entity", "Leave", "Outcome", "Run", "Write", "synchronize"]

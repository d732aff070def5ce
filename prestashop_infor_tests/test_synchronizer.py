"""The one synchronizer shape (``sync.synchronizer``) with a tiny entity: the other system is a dict,
the id map and the dead letters the real store on SQLite."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from itertools import islice
from typing import Any

import pytest

from prestashop_infor.store import Store, id_map
from prestashop_infor.sync.errors import LoadError, SyncError, ValidationError
from prestashop_infor.sync.synchronizer import (
    Bind,
    DeadLetter,
    Decision,
    Leave,
    Outcome,
    Write,
    synchronize,
)

CLAIMS = "thing_update"
BOUND = "thing"
STALE = timedelta(minutes=15)


class Down(Exception):
    """The other system stopped answering: an infrastructure failure, not a key's."""


class Things:
    """Things (key -> text) written to ``other``, a dict standing in for the other system."""

    claims = CLAIMS

    def __init__(self, store: Store, *, refused=(), unsure=(), down_at: str | None = None):
        self.store = store
        self.other: dict[str, str] = {}
        self.refused, self.unsure, self.down_at = set(refused), set(unsure), down_at
        self.written: list[str] = []
        self.claims_seen: list[list[str]] = []  # the claims held while writing

    def planned(self, key: str, item: str) -> str:
        return f"T{key}"

    def read_current(self, work: Mapping[str, str]) -> dict[str, str]:
        return {key: self.other[key] for key in work if key in self.other}

    def decide(self, key: str, item: str, current: Any) -> Decision:
        if item == "":
            raise ValidationError("missing_field", "text", f"thing {key} has no text")
        if current == item:
            return Bind(item)  # held already: recorded, nothing written
        return Write(item)

    def write(self, sends: Mapping[str, tuple[str, str]]) -> Iterator[tuple[str, Outcome]]:
        self.claims_seen.append(sorted(c.source_key for c in id_map.claims(self.store, CLAIMS)))
        for key, (_, request) in sends.items():
            if key == self.down_at:
                raise Down("the other system is down")
            self.written.append(key)
            if key in self.refused:
                yield key, DeadLetter(LoadError("refused", "text", f"thing {key} refused"))
            elif key in self.unsure:
                self.other[key] = request  # committed, but the answer never came
                yield key, Leave("unsure")
            else:
                self.other[key] = request
                yield key, Bind(request)

    def bind(self, bound: Mapping[str, tuple[str, Any]]) -> None:
        id_map.bind_many(
            self.store, BOUND, [(key, f"T{key}", None, {"text": v}) for key, (_, v) in bound.items()]
        )

    def dead_letter(self, failed: Mapping[str, tuple[str, SyncError]]) -> None:
        self.store.quarantine_many(
            [error.dead_letter(BOUND, key, item) for key, (item, error) in failed.items()]
        )


@pytest.fixture
def store(tmp_path):
    with Store.from_url(f"sqlite:///{tmp_path}/s.db") as opened:
        yield opened


def bound(store: Store) -> dict[str, str]:
    return {b.source_key: b.data["text"] for b in id_map.bindings(store, BOUND)}


def letters(store: Store) -> dict[str, str]:
    return {letter.key: letter.error_code for letter in store.dead_letters(entity=BOUND)}


WORK = {"1": "one", "2": "two", "3": "three"}


def test_claims_write_and_bind_then_release(store: Store):
    things = Things(store)
    run = synchronize(WORK, things, store, stale_after=STALE)
    assert things.claims_seen == [["1", "2", "3"]]  # held while writing
    assert id_map.claims(store, CLAIMS) == []  # released after
    assert run.bound == WORK and bound(store) == WORK and things.other == WORK
    again = synchronize(WORK, things, store, stale_after=STALE)
    assert again.bound == WORK and things.written == ["1", "2", "3"]  # held already: nothing written


@pytest.mark.parametrize("step", ["read_current", "decide", "write", "bind", "dead_letter"])
def test_claims_are_released_on_every_way_out(store: Store, step: str, monkeypatch):
    things = Things(store, refused={"3"})

    def fail(*_args, **_kw):
        raise Down(f"{step} failed")

    monkeypatch.setattr(things, step, fail)
    with pytest.raises(Down):
        synchronize(WORK, things, store, stale_after=STALE)
    assert id_map.claims(store, CLAIMS) == []


def test_an_exception_in_write_binds_only_what_was_answered_ok_before_and_releases(store: Store):
    things = Things(store, down_at="3")
    with pytest.raises(Down):
        synchronize(WORK, things, store, stale_after=STALE)
    assert bound(store) == {"1": "one", "2": "two"}  # the other system holds these
    assert id_map.claims(store, CLAIMS) == []
    run = synchronize(WORK, Things(store), store, stale_after=STALE)
    assert run.bound == WORK


def test_an_unsure_outcome_binds_nothing_and_the_next_run_reads_again(store: Store):
    things = Things(store, unsure={"2"})
    run = synchronize(WORK, things, store, stale_after=STALE)
    assert run.left == {"2": "unsure"} and "2" not in run.bound and "2" not in bound(store)
    assert letters(store) == {}  # not refused either: nobody knows
    things.unsure.clear()
    again = synchronize(WORK, things, store, stale_after=STALE)
    assert again.bound["2"] == "two" and things.written == ["1", "2", "3"]  # read, found, not rewritten


def test_a_key_busy_in_another_run_is_skipped_and_its_claim_left_alone(store: Store):
    assert id_map.claim(store, CLAIMS, "2")  # another run is working on it
    things = Things(store)
    run = synchronize(WORK, things, store, stale_after=STALE)
    assert run.busy == ["2"] and things.written == ["1", "3"] and "2" not in bound(store)
    assert [c.source_key for c in id_map.claims(store, CLAIMS)] == ["2"]  # still the other run's
    taken_over = synchronize(WORK, things, store, stale_after=timedelta(0))  # its holder died
    assert taken_over.busy == [] and bound(store) == WORK


def test_one_keys_failure_dead_letters_that_key_and_the_others_go_on(store: Store):
    things = Things(store, refused={"2"})
    run = synchronize({**WORK, "4": ""}, things, store, stale_after=STALE)
    assert sorted(run.dead_lettered) == ["2", "4"]
    assert letters(store) == {"2": "refused", "4": "missing_field"}  # refused by the other, bad data
    assert bound(store) == {"1": "one", "3": "three"} and things.written == ["1", "2", "3"]
    assert id_map.claims(store, CLAIMS) == []


def test_keys_the_writes_never_reached_are_unwritten(store: Store):
    class Stops(Things):
        def write(self, sends):
            yield from islice(super().write(sends), 1)  # the writes' time was up after the first

    things = Stops(store)
    run = synchronize(WORK, things, store, stale_after=STALE)
    assert run.bound == {"1": "one"} and run.unwritten == ["2", "3"] and things.written == ["1"]
    assert bound(store) == {"1": "one"} and id_map.claims(store, CLAIMS) == []

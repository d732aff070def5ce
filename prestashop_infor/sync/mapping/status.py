"""The ``status`` section: M3 milestones <-> PrestaShop order states, by name or id, resolved
against the shop's own ``/api/order_states`` (:meth:`StatusMap.resolve`) — never hard-coded ids."""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator

from prestashop_infor.sync.mapping.section import MappingError, Section

MILESTONES = ("confirmed", "allocated", "picking", "partially_shipped", "shipped", "invoiced", "paid")
#: Milestones read from more than one field rather than from a range of ``m3_field``: ``paid`` from the
#: receivable, ``partially_shipped`` from ORSL and ORST together (some lines delivered, not all).
DERIVED = ("partially_shipped", "paid")
PARTIALLY_SHIPPED = "partially_shipped"
CANCELLED = "cancelled"
ALL_MILESTONES = (*MILESTONES, CANCELLED)
BEFORE_CONFIRMED = -1  # the rank of shop states that come before the ERP confirms (awaiting payment...)


def status_code(value: Any) -> str:
    text = str(value).strip()
    if not (len(text) == 2 and text.isdigit()):
        raise ValueError(f"an M3 status is two digits, got {value!r}")
    return text


class StatusMap(Section):
    """Both directions of the status map.

    M3 -> shop: ``milestone_of_m3`` places an order head on the ladder ``confirmed < allocated <
    picking < partially_shipped < shipped < invoiced < paid`` (``cancelled`` is terminal, off the
    ladder) from the status field named by ``m3_field`` (``ORSL``, the least-progressed line, by
    default: an order is "shipped" when every line is) and the ``m3_ranges``; with ``ORSL``, an order
    some of whose lines are delivered (``ORST`` in the shipped range or beyond) and others not is
    ``partially_shipped`` (M3 delivers it in several deliveries); ``prestashop_state`` says which shop state
    each milestone sets (a name or an id; null: the milestone changes nothing in the shop).
    Shop -> M3: ``not_exported`` lists the shop states whose orders are not sent to M3.
    """

    milestones: tuple[str, ...] = MILESTONES
    m3_field: Literal["ORSL", "ORST"] = "ORSL"
    m3_ranges: dict[str, tuple[str, str]] = Field(
        default_factory=lambda: {
            "confirmed": ("20", "22"),
            "allocated": ("23", "33"),
            "picking": ("34", "59"),
            "shipped": ("60", "69"),
            "invoiced": ("70", "79"),
        }
    )
    prestashop_state: dict[str, str | int | None] = Field(
        default_factory=lambda: {
            "confirmed": "Processing in progress",
            "shipped": "Shipped",
            "paid": "Payment accepted",
            "cancelled": "Canceled",
        }
    )
    not_exported: tuple[str | int, ...] = ("Canceled", "Refunded", "Payment error")

    @field_validator("milestones")
    @classmethod
    def _fixed_ladder(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if tuple(value) != MILESTONES:
            raise ValueError(f"the milestone ladder is fixed: {list(MILESTONES)}")
        return value

    @field_validator("m3_ranges")
    @classmethod
    def _ranges(cls, value: dict[str, Any]) -> dict[str, tuple[str, str]]:
        checked: dict[str, tuple[str, str]] = {}
        for milestone, bounds in value.items():
            if milestone not in MILESTONES or milestone in DERIVED:
                raise ValueError(
                    f"{milestone!r}: ranges are given for {[m for m in MILESTONES if m not in DERIVED]} "
                    "(paid comes from the receivable, partially_shipped from ORSL and ORST, cancelled from "
                    "STAT 90)"
                )
            low, high = (status_code(b) for b in bounds)
            if low > high:
                raise ValueError(f"{milestone}: low {low} is above high {high}")
            checked[milestone] = (low, high)
        return checked

    @field_validator("prestashop_state")
    @classmethod
    def _known_milestones(cls, value: dict[str, Any]) -> dict[str, Any]:
        for milestone in value:
            if milestone not in ALL_MILESTONES:
                raise ValueError(f"unknown milestone {milestone!r}; use one of {list(ALL_MILESTONES)}")
        return value

    def milestone_of_m3(self, head: MappingABC[str, str]) -> str | None:
        """The milestone an M3 order head (``GetHead``/``LstHead`` record: ``STAT``, ``ORSL``,
        ``ORST``; ``RECO`` if the caller merged the receivable's) has reached, None before
        confirmation (header 05/10, or a status outside every range)."""
        stat = (head.get("STAT") or "").strip()
        orsl, orst = (head.get("ORSL") or "").strip(), (head.get("ORST") or "").strip()
        if stat == "90" or (orsl == "99" and orst == "99"):
            return CANCELLED
        if stat in ("05", "10"):
            return None
        value = orsl if self.m3_field == "ORSL" else orst
        found: str | None = None
        for milestone in MILESTONES:
            bounds = self.m3_ranges.get(milestone)
            if bounds and bounds[0] <= value <= bounds[1]:
                found = milestone
        if found == "invoiced" and (head.get("RECO") or "").strip() == "9":
            return "paid"
        shipped = self.m3_ranges.get("shipped")
        if (
            self.m3_field == "ORSL"
            and shipped
            and shipped[0] <= orst <= max(high for _, high in self.m3_ranges.values())  # 99: a closed line
            and MILESTONES.index(found or "confirmed") < MILESTONES.index(PARTIALLY_SHIPPED)
        ):
            return PARTIALLY_SHIPPED  # some lines delivered, not every one
        return found

    def resolve(self, states: Sequence[MappingABC[str, Any]]) -> ResolvedStatusMap:
        """Bind the configured names/ids to the shop's states (records of ``/api/order_states``).
        Raises MappingError naming the key when a state does not exist or lacks the flag its
        milestone needs (shipped must be flagged shipped, paid flagged paid)."""
        by_id = {int(state["id"]): state for state in states}
        targets: dict[str, int] = {}
        for milestone, ref in self.prestashop_state.items():
            if ref is None:
                continue
            path = f"status.prestashop_state.{milestone}"
            state_id = find_state(states, path, ref)
            flags = by_id[state_id]
            if milestone == "shipped" and not _flag(flags.get("shipped")):
                raise MappingError(path, f"order state {ref!r} is not flagged shipped in the shop")
            if milestone == "paid" and not _flag(flags.get("paid")):
                raise MappingError(path, f"order state {ref!r} is not flagged paid in the shop")
            targets[milestone] = state_id
        excluded = {
            find_state(states, f"status.not_exported[{i}]", ref) for i, ref in enumerate(self.not_exported)
        }
        flags_by_id = {
            sid: {k: _flag(s.get(k)) for k in ("paid", "shipped", "delivery", "logable")}
            for sid, s in by_id.items()
        }
        return ResolvedStatusMap(targets, excluded, flags_by_id)


def find_state(states: Sequence[MappingABC[str, Any]], path: str, ref: str | int) -> int:
    """The id of the shop order state ``ref`` names (an id, or a name in any language); MappingError
    at ``path`` when the shop has no such state or the name is ambiguous."""
    if isinstance(ref, int) or str(ref).strip().isdigit():
        state_id = int(ref)
        if all(int(state["id"]) != state_id for state in states):
            raise MappingError(path, f"the shop has no order state with id {state_id}")
        return state_id
    wanted = str(ref).strip().casefold()
    ids = {int(state["id"]) for state in states for name in _state_names(state) if name.casefold() == wanted}
    if not ids:
        known = sorted({n for s in states for n in _state_names(s)})
        raise MappingError(path, f"unknown order state {ref!r}; the shop has {known}")
    if len(ids) > 1:
        raise MappingError(path, f"order state name {ref!r} is ambiguous (ids {sorted(ids)})")
    return ids.pop()


def _state_names(state: MappingABC[str, Any]) -> list[str]:
    name = state.get("name")
    if isinstance(name, str):
        return [name]
    if isinstance(name, dict):
        return [str(v) for v in name.values() if v]
    if isinstance(name, list):
        return [str(n.get("value")) for n in name if isinstance(n, dict) and n.get("value")]
    return []


def _flag(value: Any) -> bool:
    return value in (True, 1, "1")


@dataclass(frozen=True)
class ResolvedStatusMap:
    """The status map bound to one shop's order-state ids."""

    targets: dict[str, int]  # milestone -> state id to set
    not_exported: frozenset[int] | set[int]
    flags: dict[int, dict[str, bool]]  # state id -> paid/shipped/delivery/logable

    def state_for(self, milestone: str) -> int | None:
        """The shop state to set when an order reaches ``milestone`` (None: nothing to set)."""
        if milestone not in ALL_MILESTONES:
            raise ValueError(f"unknown milestone {milestone!r}")
        return self.targets.get(milestone)

    def milestone_of_state(self, state_id: int) -> str | None:
        """The milestone whose configured target is this shop state, if any."""
        for milestone, target in self.targets.items():
            if target == state_id:
                return milestone
        return None

    def rank_of_state(self, state_id: int) -> int | None:
        """Where a shop state sits on the fulfilment ladder (index into MILESTONES), so a status
        update never moves an order backwards. None for cancelled/unknown states (off the ladder).

        A state that is the target of a fulfilment milestone ranks as that milestone. The target of
        ``paid`` (e.g. "Payment accepted") is also the state card payments start in, before any
        fulfilment, so it ranks by its flags like every other state: shipped -> the shipped rank;
        in delivery -> confirmed; otherwise BEFORE_CONFIRMED (-1). Whether the order is already
        paid is :meth:`is_paid`, a separate question.
        """
        if state_id not in self.flags:
            return None
        milestone = self.milestone_of_state(state_id)
        if milestone == CANCELLED or not self.exportable(state_id):
            return None
        if milestone is not None and milestone != "paid":
            return MILESTONES.index(milestone)
        flags = self.flags[state_id]
        if flags["shipped"]:
            return MILESTONES.index("shipped")
        if flags["delivery"]:
            return MILESTONES.index("confirmed")
        return BEFORE_CONFIRMED

    def is_paid(self, state_id: int) -> bool:
        return self.flags.get(state_id, {}).get("paid", False)

    def is_shipped(self, state_id: int) -> bool:
        return self.flags.get(state_id, {}).get("shipped", False)

    def exportable(self, state_id: int) -> bool:
        """Whether an order in this shop state is sent to M3 (all but the ``not_exported`` ones)."""
        return state_id not in self.not_exported

    def exportable_states(self) -> list[int]:
        """The shop's order states (those this map was resolved against, in the shop's order) whose
        orders are sent to M3: :meth:`exportable` applied to each."""
        return [state_id for state_id in self.flags if self.exportable(state_id)]

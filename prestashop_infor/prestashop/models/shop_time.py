"""Shop-local time and UTC: a record's dates are the shop's naive wall-clock time (§7.3); these turn
them into UTC and back, and bound ``date_upd`` filters across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo


def _zone(time_zone: str | tzinfo) -> tzinfo:
    return ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone


def to_utc(local: datetime | None, time_zone: str | tzinfo) -> datetime | None:
    """A shop-local wall-clock time as an aware UTC datetime.

    In the autumn fold (a local hour that happens twice) the *earlier* instant is chosen, so a
    watermark built from it never runs ahead of the data. In the spring gap (a local time that never
    happened, only written by a skewed clock) the offset before the jump is used, which maps it
    onto the real instant right after the jump.
    """
    if local is None:
        return None
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=_zone(time_zone), fold=0).astimezone(UTC)


def to_shop_local(moment: datetime, time_zone: str | tzinfo) -> datetime:
    """An aware datetime as the shop's naive wall-clock time (for filter values). Naive input is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone(time_zone)).replace(tzinfo=None, microsecond=0)


def earliest_local_since(moment: datetime, time_zone: str | tzinfo) -> datetime:
    """The earliest shop-local wall-clock time stamped on any record written at or after ``moment``.

    Normally ``moment`` in local time. When an autumn fold follows within a few hours, records of
    the repeated hour's second pass carry *earlier* local times than ``moment``'s, so the value is
    moved back by the offset change (a lower bound for a ``date_upd`` filter).
    """
    zone = _zone(time_zone)
    moment = _as_aware(moment)
    offset = moment.astimezone(zone).utcoffset()
    later = min((moment + timedelta(hours=h)).astimezone(zone).utcoffset() for h in (1, 2, 3))
    return to_shop_local(moment, zone) - max(timedelta(0), offset - later)


def latest_local_until(moment: datetime, time_zone: str | tzinfo) -> datetime:
    """The latest shop-local wall-clock time stamped on any record written at or before ``moment``.

    Normally ``moment`` in local time. Inside the second pass of an autumn fold, records of the first
    pass carry *later* local times, so the value is moved forward by the offset change (an upper
    bound for a ``date_upd`` filter).
    """
    zone = _zone(time_zone)
    moment = _as_aware(moment)
    offset = moment.astimezone(zone).utcoffset()
    earlier = max((moment - timedelta(hours=h)).astimezone(zone).utcoffset() for h in (1, 2, 3))
    return to_shop_local(moment, zone) + max(timedelta(0), earlier - offset)


def _as_aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

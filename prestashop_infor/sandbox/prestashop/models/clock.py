"""The shop's wall clock (``PS_TIMEZONE``, contract §7.3).

PrestaShop writes every date as local wall-clock text without an offset. The clock runs with real
time unless frozen, and can be set or advanced, so tests can walk through a DST change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

DATE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class ShopClock:
    """The shop's wall clock (PS_TIMEZONE). Runs with real time unless frozen; can jump for DST tests."""

    def __init__(self, time_zone: str = "Europe/Paris", now: datetime | None = None):
        self.zone = ZoneInfo(time_zone)
        self.time_zone = time_zone
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        if now is not None:
            self.freeze(now)

    def now(self) -> datetime:
        """Aware datetime in the shop's zone."""
        if self._frozen is not None:
            return self._frozen.astimezone(self.zone)
        return (datetime.now(self.zone) + self._offset).astimezone(self.zone)

    def freeze(self, moment: datetime | None = None) -> None:
        """Stop the clock at ``moment`` (aware) or at the current shop time."""
        self._frozen = _aware(moment) if moment is not None else self.now()

    def unfreeze(self) -> None:
        if self._frozen is not None:
            self._offset = self._frozen - datetime.now(self.zone)
            self._frozen = None

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (aware); a frozen clock stays frozen, a running one keeps running."""
        moment = _aware(moment)
        if self._frozen is not None:
            self._frozen = moment
        else:
            self._offset = moment - datetime.now(self.zone)

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen = self._frozen + delta
        else:
            self._offset += delta

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def local_text(self, moment: datetime | None = None) -> str:
        """``YYYY-MM-DD HH:MM:SS`` wall-clock text as PrestaShop writes dates (§7.3)."""
        moment = self.now() if moment is None else moment.astimezone(self.zone)
        return moment.strftime(DATE_TIME_FORMAT)

    def first_instant_reading(self, text: str) -> datetime:
        """The earliest instant at which the wall clock reads ``text`` (``YYYY-MM-DD HH:MM:SS``).

        In the autumn fold the clock reads the same hour twice: at 02:10 in the second pass, the
        instants of 02:10 to 02:59 in the first pass are already past yet read later. History that
        ends at this instant never reads later than ``text``, so a client reading "up to now" by
        date sees all of it.
        """
        wall = datetime.strptime(text, DATE_TIME_FORMAT)
        # For a time the spring gap skips, fold=1 maps it with the summer offset, to before the gap.
        earliest = min(wall.replace(tzinfo=self.zone, fold=fold).astimezone(UTC) for fold in (0, 1))
        return earliest.astimezone(self.zone)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the shop clock needs an aware datetime (with tzinfo)")
    return moment

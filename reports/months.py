"""Report months: "YYYY-MM" in Asia/Shanghai and the UTC instants that bound them.

Times are stored in UTC, so a Chongqing month is the half-open range [its first midnight in Shanghai, the next
month's): an order placed at 2026-11-30T16:30Z (00:30 on 1 December in Chongqing) belongs to December.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from core.clock import SHANGHAI, now_utc

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
#: The first month a report can be asked for (the programme began in 2026; earlier data is still counted in the
#: cumulative figures) and the last (beyond any plausible use; keeps arithmetic and URLs sane).
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: object) -> Month | None:
        """The month of a "YYYY-MM" text, or None when it is not one."""
        if not isinstance(text, str):
            return None
        found = _MONTH.fullmatch(text.strip())
        if found is None:
            return None
        month = cls(int(found.group(1)), int(found.group(2)))
        return month if FIRST_YEAR <= month.year <= LAST_YEAR else None

    @classmethod
    def of(cls, moment: datetime) -> Month:
        """The Shanghai month an instant falls in (a naive value is read as UTC)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        local = moment.astimezone(SHANGHAI)
        return cls(local.year, local.month)

    @classmethod
    def current(cls) -> Month:
        return cls.of(now_utc())

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def start(self) -> datetime:
        """The month's first instant, in UTC."""
        return datetime(self.year, self.month, 1, tzinfo=SHANGHAI).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The next month's first instant, in UTC (the range is half-open)."""
        return self.next().start

    def is_closed(self, at: datetime | None = None) -> bool:
        """The month is over (in Chongqing) at `at` (default now)."""
        at = at or now_utc()
        return (at if at.tzinfo else at.replace(tzinfo=UTC)) >= self.end


def months_between(first: Month, last: Month) -> list[Month]:
    """first, ..., last (empty when last is before first)."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.next()
    return months

"""Working days with Chinese public holidays and adjusted working days (调休), from the calendar tables.

The tables are seeded from the `chinese-calendar` package (2004–2026; its data ends there) by the
migration and `seed_calendar()`, and an admin adds later years (complaints/calendar_routes.py). A year
that is not in `calendar_year` is unknown: counting into it raises CalendarUnknown, so a deadline is
never silently computed with the weekend rule alone.

- `add_working_days(start, n)`: the n-th working day after `start` (start itself is day 0: "within 7
  working days of receipt" ends on add_working_days(received, 7)).
- `add_days(start, n)`: n calendar days later; when that day is not a working day, the first working day
  after it (期间届满的最后一日是法定节假日的，以节假日后的第一日为期间届满的日期).
- `working_days_between(a, b)`: working days after a up to and including b (negative when b < a).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from complaints.models import CalendarDay, CalendarYear
from core import audit
from core.db import db
from core.errors import DomainError
from core.i18n import _

#: The package the tables are seeded from, and the years it covers.
SEED_SOURCE = "chinese-calendar"


class CalendarUnknown(DomainError):
    """A deadline runs into a year without holiday data; `year` names it."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(_("%(year)s 年的法定节假日和调休安排尚未录入，无法按工作日计算期限。", year=year),
                         code="calendar_unknown")


class Calendar:
    """The known years and their exceptional days, loaded once (one query each) for a run of computations."""

    def __init__(self, years: set[int], days: dict[date, bool]) -> None:
        self.years = years
        self.days = days

    @classmethod
    def load(cls) -> Calendar:
        years = set(db.session.scalars(select(CalendarYear.year)))
        days = {row.day: row.is_working for row in db.session.scalars(select(CalendarDay))}
        return cls(years, days)

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.years:
            raise CalendarUnknown(day.year)
        if day in self.days:
            return self.days[day]
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        day, left = start, n
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def add_days(self, start: date, n: int) -> date:
        day = start + timedelta(days=n)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_between(self, a: date, b: date) -> int:
        if b < a:
            return -self.working_days_between(b, a)
        count, day = 0, a
        while day < b:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def calendar() -> Calendar:
    return Calendar.load()


def add_working_days(start: date, n: int) -> date:
    return calendar().add_working_days(start, n)


def add_days(start: date, n: int) -> date:
    return calendar().add_days(start, n)


def is_working_day(day: date) -> bool:
    return calendar().is_working_day(day)


def working_days_between(a: date, b: date) -> int:
    return calendar().working_days_between(a, b)


def known_years() -> list[int]:
    return sorted(db.session.scalars(select(CalendarYear.year)))


def seed_rows() -> tuple[list[dict], list[dict]]:
    """Rows for calendar_year and calendar_day from the chinese-calendar package (every year it knows)."""
    import chinese_calendar

    days = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5 or day not in days:
            days[day] = {"day": day, "is_working": False, "name": str(name)}
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:  # an adjusted working Saturday or Sunday
            days[day] = {"day": day, "is_working": True, "name": str(name)}
    years = sorted({d.year for d in days})
    year_rows = [{"year": y, "source": SEED_SOURCE} for y in range(years[0], years[-1] + 1)]
    return year_rows, sorted(days.values(), key=lambda r: r["day"])


def seed_calendar() -> int:
    """Insert the package's years that the tables do not hold yet (idempotent); returns the years added."""
    year_rows, day_rows = seed_rows()
    have = set(db.session.scalars(select(CalendarYear.year)))
    new_years = {r["year"] for r in year_rows} - have
    for row in year_rows:
        if row["year"] in new_years:
            db.session.add(CalendarYear(**row))
    for row in day_rows:
        if row["day"].year in new_years and db.session.get(CalendarDay, row["day"]) is None:
            db.session.add(CalendarDay(**row))
    db.session.flush()
    return len(new_years)


def parse_day_lines(text: str, *, field: str) -> dict[date, str]:
    """Lines "YYYY-MM-DD name" or "YYYY-MM-DD..YYYY-MM-DD name" (a range, both ends included) → {day: name}."""
    days: dict[date, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        span, _sep, name = line.partition(" ")
        first, _dots, last = span.partition("..")
        try:
            start = date.fromisoformat(first)
            end = date.fromisoformat(last) if last else start
        except ValueError:
            raise DomainError(_("第 %(n)s 行的日期无法识别，应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD。", n=number),
                              field=field) from None
        if end < start or (end - start).days > 31:
            raise DomainError(_("第 %(n)s 行的日期范围不正确（最长 31 天）。", n=number), field=field)
        day = start
        while day <= end:
            days[day] = name.strip()[:100] or None
            day += timedelta(days=1)
    return days


def add_year(year: int, *, holidays: str, workdays: str, actor, source: str) -> int:
    """An admin enters a year's holidays and adjusted working days as announced by the State Council's General
    Office. Returns the number of exceptional days stored. Deadlines waiting for that year are recomputed by
    the caller (complaints.deadlines.recompute_unknown)."""
    if year in set(db.session.scalars(select(CalendarYear.year))):
        raise DomainError(_("%(year)s 年的安排已录入。", year=year), field="year")
    off = parse_day_lines(holidays, field="holidays")
    on = parse_day_lines(workdays, field="workdays")
    if not off:
        raise DomainError(_("请至少录入一个法定节假日。"), field="holidays")
    wrong = sorted(d for d in [*off, *on] if d.year != year)
    if wrong:
        raise DomainError(_("%(day)s 不在 %(year)s 年内。", day=wrong[0].isoformat(), year=year), field="holidays")
    both = sorted(set(off) & set(on))
    if both:
        raise DomainError(_("%(day)s 不能既是节假日又是调休上班日。", day=both[0].isoformat()), field="workdays")
    weekday_work = sorted(d for d in on if d.weekday() < 5)
    if weekday_work:
        raise DomainError(_("%(day)s 是工作日，不用录入为调休上班日（只录入周末上班的日子）。",
                            day=weekday_work[0].isoformat()), field="workdays")
    db.session.add(CalendarYear(year=year, source=(source or "").strip()[:100] or "admin",
                                added_by_id=getattr(actor, "id", None)))
    for day, name in off.items():
        db.session.add(CalendarDay(day=day, is_working=False, name=name))
    for day, name in on.items():
        db.session.add(CalendarDay(day=day, is_working=True, name=name))
    audit.record(actor, "calendar.year_added", None, extra={"year": year, "holidays": len(off), "workdays": len(on)})
    db.session.flush()
    return len(off) + len(on)

"""Deadline arithmetic on real dates: holidays, adjusted working days, weekends, month and year ends,
and a year without holiday data (never a silent wrong date)."""

from __future__ import annotations

from datetime import date

import pytest

from complaints.models import CalendarDay, CalendarYear
from complaints.working_days import (
    CalendarUnknown,
    add_days,
    add_working_days,
    is_working_day,
    working_days_between,
)


@pytest.mark.usefixtures("calendar")
class TestWithHolidayData:
    def test_the_2026_spring_festival_week_is_not_counted(self):
        # Received Friday 13 Feb 2026; 14 Feb (Sat) is an adjusted working day; 15–23 Feb are holidays.
        assert is_working_day(date(2026, 2, 14))
        assert not is_working_day(date(2026, 2, 16))
        assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
        assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
        assert add_working_days(date(2026, 2, 13), 7) == date(2026, 3, 2)  # 28 Feb (Sat) works too

    def test_the_2026_national_day_week_and_the_working_saturday_of_10_october(self):
        assert not is_working_day(date(2026, 10, 1))
        assert not is_working_day(date(2026, 10, 7))
        assert is_working_day(date(2026, 10, 10))  # Saturday, adjusted working day
        # Received Wednesday 30 Sep: 8 Oct is the first working day, 9 Oct the second, Sat 10 Oct the third.
        assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
        assert add_working_days(date(2026, 9, 30), 7) == date(2026, 10, 15)

    def test_a_plain_week_skips_the_weekend_and_crosses_the_month_end(self):
        assert add_working_days(date(2026, 3, 27), 7) == date(2026, 4, 8)  # Fri → 5 Apr is 清明 (Sun), 6 Apr off
        assert working_days_between(date(2026, 3, 27), date(2026, 4, 8)) == 7

    def test_calendar_days_end_on_the_next_working_day_when_the_last_day_is_a_holiday(self):
        assert add_days(date(2026, 8, 3), 60) == date(2026, 10, 8)  # 2 Oct is a holiday: the period ends 8 Oct
        assert add_days(date(2026, 6, 1), 30) == date(2026, 7, 1)

    def test_a_deadline_across_the_year_end_into_a_year_without_data_is_refused_by_name(self):
        with pytest.raises(CalendarUnknown) as caught:
            add_working_days(date(2026, 12, 28), 7)
        assert caught.value.year == 2027
        assert "2027" in caught.value.message

    def test_an_admin_added_year_makes_the_year_end_deadline_computable(self, db):
        db.session.add(CalendarYear(year=2027, source="admin"))
        db.session.add(CalendarDay(day=date(2027, 1, 1), is_working=False, name="元旦"))
        db.session.commit()
        # 28 Dec 2026 (Mon) + 7: 29, 30, 31 Dec, (1 Jan holiday), 4, 5, 6, 7 Jan.
        assert add_working_days(date(2026, 12, 28), 7) == date(2027, 1, 7)


def test_without_any_holiday_data_nothing_is_guessed(db):
    with pytest.raises(CalendarUnknown):
        is_working_day(date(2026, 5, 6))

"""Complaints fixtures: the holiday table seeded from chinese-calendar (the migration does this in a real
database; the tests' schema comes from create_all)."""

from __future__ import annotations

import pytest

from complaints.working_days import seed_calendar


@pytest.fixture
def calendar(db):
    seed_calendar()
    db.session.commit()
    return db

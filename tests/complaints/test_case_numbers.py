"""Case numbers under concurrent filing: every transaction gets its own number, none is handed out twice,
none is skipped (on SQLite, and on PostgreSQL when TEST_DATABASE_URL is one)."""

from __future__ import annotations

import threading

from sqlalchemy import select

from complaints.models import CaseKind, CaseSequence
from complaints.services import next_number
from core.db import db

THREADS, EACH = 6, 8


def test_numbers_from_concurrent_transactions_are_distinct_and_consecutive(app):
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def file_many() -> None:
        with app.app_context():
            try:
                start.wait()
                for _ in range(EACH):
                    number = next_number(CaseKind.report)
                    db.session.commit()
                    with lock:
                        numbers.append(number)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=file_many) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(numbers) == len(set(numbers)) == THREADS * EACH
    year = numbers[0][3:7]
    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, THREADS * EACH + 1))
    assert all(n.startswith(f"JB-{year}-") for n in numbers)
    db.session.expire_all()
    row = db.session.scalar(select(CaseSequence).where(CaseSequence.prefix == "JB"))
    assert row.last == THREADS * EACH


def test_each_kind_and_year_counts_on_its_own(db):
    from datetime import date

    assert next_number(CaseKind.complaint, on=date(2026, 5, 1)) == "TS-2026-000001"
    assert next_number(CaseKind.monitor, on=date(2026, 5, 1)) == "JC-2026-000001"
    assert next_number(CaseKind.complaint, on=date(2027, 1, 2)) == "TS-2027-000001"
    assert next_number(CaseKind.complaint, on=date(2026, 5, 2)) == "TS-2026-000002"

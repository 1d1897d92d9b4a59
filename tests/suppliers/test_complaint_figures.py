"""The complaint figures of a company's public page: the last 12 months and the growth over the year before."""

from datetime import date

from suppliers import complaint_figures
from tests.registry.factories import make_supplier


def test_figures_count_the_last_twelve_months_and_their_growth(db):
    supplier = make_supplier()
    complaint_figures.count(supplier.id, date(2025, 6, 3), received=2)  # more than 12 months before: the year before
    complaint_figures.count(supplier.id, date(2026, 1, 9), received=1)
    complaint_figures.count(supplier.id, date(2026, 1, 20), received=2, resolved=1)
    complaint_figures.count(supplier.id, date(2026, 11, 30), resolved=2)
    db.session.commit()
    got = complaint_figures.figures(supplier.id, date(2026, 12, 3))
    assert (got.received, got.resolved, got.previous_received) == (3, 3, 2)
    assert got.resolved_share == 1.0
    assert got.growth == 0.5


def test_a_company_without_complaints_has_no_share_and_no_growth(db):
    got = complaint_figures.figures(make_supplier().id, date(2026, 12, 3))
    assert (got.received, got.resolved_share, got.growth) == (0, None, None)

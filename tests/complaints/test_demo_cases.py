"""seed-demo's complaints: every state, an overdue case, a merged duplicate, a price-monitor case, a typical
case and a substantiated delisting whose announcement, list version and search results show it."""

from __future__ import annotations

from sqlalchemy import select

from complaints.models import Case, CaseKind, CaseState, Sanction, SanctionKind
from complaints.services import due_status
from registry.lists import queries as list_queries
from registry.lists.models import Announcement, AnnouncementKind
from suppliers.models import Supplier


def test_the_demo_has_cases_in_every_state_and_a_public_delisting(app, client, db):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    cases = list(db.session.scalars(select(Case)))
    assert {c.state for c in cases} == set(CaseState)
    assert any(due_status(c) == "overdue" for c in cases)
    merged = next(c for c in cases if c.state == CaseState.merged)
    assert merged.merged_into is not None and merged.merged_into.is_open
    assert any(c.kind == CaseKind.monitor for c in cases)
    typical = client.get("/cases/typical").text
    published = [c for c in cases if c.typical_published_at is not None]
    assert published and all(c.number in typical for c in published)
    assert "13700137000" not in typical and "匿名群众" not in typical

    delisting = db.session.scalar(select(Sanction).where(Sanction.kind == SanctionKind.delisting))
    assert delisting.case.finding == "substantiated"
    supplier = db.session.get(Supplier, delisting.supplier_id)
    announcement = db.session.scalar(select(Announcement).where(
        Announcement.kind == AnnouncementKind.supplier_removed, Announcement.supplier_id == supplier.id))
    assert announcement is not None and announcement.case_number == delisting.case.number
    assert list_queries.supplier_listed_districts(supplier.id) == []
    for code in delisting.effects["districts"]:
        listing = client.get(f"/api/v1/districts/{code}/list").get_json()
        assert supplier.id not in {s["id"] for s in listing["suppliers"]}
    products = client.get("/api/v1/products?per_page=100").get_json()
    assert products["total"] > 0
    assert supplier.id not in {p["supplier"]["id"] for p in products["results"]}
    page = client.get("/search?q=" + supplier.legal_name[2:5])
    assert page.status_code == 200 and supplier.legal_name not in page.text
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert len(list(db.session.scalars(select(Case)))) == len(cases)  # a second run adds nothing

"""Search requests run a constant number of SQL statements, whatever the number of results (no N+1)."""
# ruff: noqa: F811 - pytest fixtures imported from search_factories are used as parameters

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event, select
from whoosh.searching import Searcher

from catalog.models import DeviceType, Product, Tier
from core.clock import today_shanghai
from core.db import db
from market.compare import Subsidies, buyer_price, buyer_prices
from market.listing import listed_districts
from market.search import engine, index, query
from market.search.params import SearchParams
from registry.districts.models import SubsidyKind
from registry.districts.subsidy import order_subsidy
from tests.conftest import district
from tests.market.search_factories import listing, make_product, make_supplier  # noqa: F401
from tests.market.test_product_page import policy, verified_resident


@contextlib.contextmanager
def counting():
    statements: list[str] = []

    def _count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def _catalogue(listing, n: int) -> None:
    """n listed products (alarms and valves) from n // 2 + 1 suppliers serving two districts each."""
    suppliers = [make_supplier(codes=("500103", "500105")) for _ in range(n // 2 + 1)]
    for i in range(n):
        valve = i % 3 == 0
        product = make_product(suppliers[i % len(suppliers)], f"NP-{i:03d}",
                               device_type=DeviceType.self_closing_valve if valve else DeviceType.leak_alarm,
                               tier=(Tier.low, Tier.mid, Tier.high)[i % 3], brand="渝安", price_fen=20000 + i * 100)
        listing.put(product, "500103", *(("500105",) if i % 2 else ()), commit=False)
    db.session.commit()


def _statements(client, url: str) -> int:
    client.get(url)  # warm-up: the searcher opens, jieba loads, translations compile
    with counting() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("url", ["/api/v1/products?q=渝安&per_page=50", "/search?q=渝安&per_page=50&district=",
                                 "/api/v1/products?per_page=50", "/search?district=&per_page=50"])
def test_statements_per_search_do_not_grow_with_results(client, listing, url):
    _catalogue(listing, 3)
    few = _statements(client, url)
    _catalogue(listing, 20)
    many = _statements(client, url)
    assert many == few


def test_a_resident_with_a_subsidy_costs_no_statement_per_result(client, listing, as_user):
    verified_resident(as_user)
    policy("leak_alarm")
    policy("self_closing_valve", kind=SubsidyKind.percentage, percent=50, amount_fen=None, cap_fen=15000)
    url = "/search?q=渝安&per_page=50"
    _catalogue(listing, 3)
    few = _statements(client, url)
    _catalogue(listing, 20)
    many = _statements(client, url)
    assert many == few
    assert "补贴后约" in client.get(url).get_data(as_text=True)


def test_batched_subsidies_answer_as_order_subsidy(listing, as_user):
    user = verified_resident(as_user)
    policy("leak_alarm")
    policy("self_closing_valve", kind=SubsidyKind.percentage, percent=50, amount_fen=None, cap_fen=15000)
    _catalogue(listing, 6)
    products = db.session.scalars(select(Product)).all()
    home = district("500103")
    batch = Subsidies(user, home, today_shanghai())
    for product in products:
        for total in (0, 10000, 45000):
            assert batch.quote(str(product.device_type), total) == order_subsidy(
                user, home.id, str(product.device_type), total, today_shanghai())
    priced = buyer_prices(products, user, listed_districts(p.id for p in products), "500103")
    assert {p.id: priced[p.id].subsidy_fen for p in products} == {
        p.id: buyer_price(p, user, district="500103").subsidy_fen for p in products}
    assert any(priced[p.id].subsidy_fen for p in products)


def test_search_total_is_exact_and_the_postings_are_read_once(listing, monkeypatch):
    _catalogue(listing, 30)
    reads = []
    original = engine.Postings.term

    def spy(self, fieldname, text):
        if (fieldname, text) not in self._terms:
            reads.append((fieldname, text))
        return original(self, fieldname, text)

    monkeypatch.setattr(engine.Postings, "term", spy)
    for name in ("search_with_collector", "docs_for_query"):  # no second pass of whoosh's own
        monkeypatch.setattr(Searcher, name, lambda *a, **k: pytest.fail("the query ran a second time"))
    found = query.search(SearchParams(q="渝安 报警器", per_page=5, page=2), with_facets=True)
    assert found.total == 20 and len(found.ids) == 5
    assert sum(found.facets["device_type"].values()) == 20
    assert len(reads) == len(set(reads))
    reads.clear()
    assert query.search(SearchParams(q="渝安 报警器", per_page=3)).total == 20
    assert reads == []  # the same words again: nothing is read from the index a second time


def test_the_postings_cache_is_bounded(listing, monkeypatch):
    _catalogue(listing, 12)
    monkeypatch.setattr(engine, "MAX_POSTINGS", 30)
    for q in ("渝安", "报警器", "自闭阀", "高档", "NP-001", "NP-002", "NP-003"):
        query.search(SearchParams(q=q))
    cache = engine.postings_of(index.searcher())
    assert sum(len(v) + 1 for v in cache._terms.values()) <= 30 + 13
    assert query.search(SearchParams(q="渝安")).total == 12

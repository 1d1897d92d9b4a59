"""The index follows the database: outbox written with the change, applied after commit by one writer."""
# ruff: noqa: F811 - pytest fixtures imported from search_factories are used as parameters

from __future__ import annotations

import logging

from sqlalchemy import func, select

from catalog import services
from catalog.models import CertificateStatus
from catalog.signals import product_changed
from core.db import db
from core.permissions import Role
from market.search import index, outbox, query
from market.search.models import SearchOutbox
from market.search.params import SearchParams
from registry.lists import queries
from registry.lists import services as list_services
from tests.conftest import district, make_user
from tests.market.search_factories import catalog_data, listing, make_product, make_supplier  # noqa: F401
from tests.registry.helpers import published_list


def found(q="", **params):
    return query.search(SearchParams(q=q, **params)).ids


def queued():
    return db.session.scalar(select(func.count()).select_from(SearchOutbox))


def test_listing_is_searchable_right_after_commit(listing):
    product = make_product(make_supplier(), "QX-7788")
    assert found("QX-7788") == []
    listing.put(product, "500103")
    assert found("QX-7788") == [product.id]
    assert queued() == 0


def test_rows_written_but_not_committed_change_nothing(listing):
    product = make_product(make_supplier(), "QX-1234")
    listing.listed[product.id] = ["500103"]
    outbox.enqueue([product.id])
    assert queued() == 1
    db.session.rollback()
    assert queued() == 0 and found("QX-1234") == []


def test_removal_and_price_change_update_the_index(catalog_data, listing):
    valve = catalog_data["valve_low"]
    valve.price_fen = 99900
    product_changed.send(valve, changes={"price_fen": (19900, 99900)})  # what catalog.services sends
    db.session.commit()
    assert found(device_type="self_closing_valve", min_price=90000) == [valve.id]
    listing.put(valve)  # removed from every list
    assert found("ZB-15A") == []


def test_busy_writer_leaves_rows_for_later(listing, caplog):
    product = make_product(make_supplier(), "LK-5555")
    writer = index.get_index().writer()
    try:
        with caplog.at_level(logging.INFO):
            listing.put(product, "500103")
        assert queued() == 1 and found("LK-5555") == []
    finally:
        writer.cancel()
    assert outbox.apply_outbox() == 1
    assert queued() == 0 and found("LK-5555") == [product.id]


def test_failed_write_keeps_the_rows(listing, monkeypatch, caplog):
    product = make_product(make_supplier(), "FW-4242")

    def broken(*_args, **_kwargs):
        raise RuntimeError("worker died mid-write")

    monkeypatch.setattr(index, "document_for", broken)
    with caplog.at_level(logging.ERROR):
        listing.put(product, "500103")
    assert "applying the search outbox failed" in caplog.text
    assert queued() == 1 and found("FW-4242") == []
    monkeypatch.undo()
    outbox.apply_outbox()
    assert found("FW-4242") == [product.id] and queued() == 0


def test_reindex_equals_the_incrementally_maintained_index(catalog_data, listing):
    d = catalog_data
    listing.put(d["alarm_low"])
    d["alarm_mid"].price_fen = 41900
    outbox.enqueue([d["alarm_mid"].id])
    listing.put(d["unlisted"], "500105", commit=False)
    db.session.commit()
    incremental = index.fingerprint()
    assert index.reindex() == 5
    assert index.fingerprint() == incremental
    assert index.indexed_ids() == set(listing.listed)


def test_end_to_end_through_publication_and_invalidation():
    """The real registry provider: publishing lists products, an invalid certificate removes one at once."""
    index.clear_index()
    official, suppliers, _version = published_list("500103", 3)
    product = suppliers[0][1][0]
    assert set(queries.listed_product_districts([product.id])) == {product.id}
    assert product.id in found(product.model)
    result = found(district="500103", per_page=100)
    assert len(result) == 9
    regulator = make_user(Role.regulator)
    services.set_certificate_status(product.certificates[0], CertificateStatus.revoked, actor=regulator,
                                    reason="证书已被撤销")
    db.session.commit()
    assert product.id not in found(district="500103", per_page=100)
    assert product.id not in found(product.model)
    list_services.remove_supplier(district("500103"), suppliers[1][0], actor=official, reason="借用资质",
                                  case_number="2026-001")
    db.session.commit()
    remaining = set(found(district="500103", per_page=100))
    assert not remaining & {p.id for p in suppliers[1][1]}
    assert index.indexed_ids() == set(queries.listed_product_districts())
    index.clear_index()




def test_buyers_see_the_published_price_not_a_later_catalogue_edit(client):
    """附件1 四(二): only the price and fee published on the list may be charged."""
    index.clear_index()
    _official, suppliers, _version = published_list("500103", 3)
    product = suppliers[0][1][0]
    published_price, published_fee = product.price_fen, product.install_fee_fen
    product.price_fen = published_price + 50000  # the supplier edits its catalogue afterwards
    product_changed.send(product, changes={"price_fen": (published_price, product.price_fen)})
    db.session.commit()
    body = client.get(f"/api/v1/products/{product.id}").get_json()
    assert (body["price_fen"], body["install_fee_fen"]) == (published_price, published_fee)
    assert body["district_prices"] == {"500103": {"price_fen": published_price, "install_fee_fen": published_fee}}
    listed = client.get(f"/api/v1/products?district=500103&max_price={published_price}&per_page=100").get_json()
    assert product.id in {r["id"] for r in listed["results"]}
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert f"¥{published_price / 100:,.2f}" in page
    assert f"¥{product.price_fen / 100:,.2f}" not in page
    index.clear_index()


def test_a_searcher_opened_by_a_short_lived_thread_is_closed_when_the_thread_ends(listing, app):
    """The threaded development server runs each request in a new thread: the searcher it opened is closed
    then, not left to the garbage collector (which would close its files with a ResourceWarning)."""
    import gc
    import threading
    import warnings

    listing.put(make_product(make_supplier(), "QX-5501"), "500103")
    opened = []

    def search_in_a_request_thread():
        with app.app_context():
            opened.append(index.searcher())
            assert found("QX-5501")

    worker = threading.Thread(target=search_in_a_request_thread)
    worker.start()
    worker.join()
    del worker
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert opened[0].is_closed
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]

"""The outbox converges while changes keep committing during the one writer's apply; `check --repair` fixes the rest."""
# ruff: noqa: F811 - pytest fixtures imported from search_factories are used as parameters

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import db
from market.search import index, outbox
from market.search.models import SearchOutbox
from tests.market.search_factories import catalog_data, listing, make_product, make_supplier  # noqa: F401


def _queued() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchOutbox))


def test_withdraw_and_reopen_racing_the_writer_converge(listing, monkeypatch):
    product = make_product(make_supplier(), "RC-7070")
    listing.put(product, "500103")
    assert index.indexed_ids() == {product.id}
    other = Session(db.engine)
    other.info["search_applying"] = True  # its own after-commit apply is the explicit call below
    real_write = index.write
    toggles = []

    def write_then_race(writer, session, product_ids):
        real_write(writer, session, product_ids)  # this writer has read the state ...
        if len(toggles) < 3:  # ... and another worker commits a withdraw / reopen before the index commits
            codes = [] if product.id in listing.listed else ["500103"]
            if codes:
                listing.listed[product.id] = codes
            else:
                listing.listed.pop(product.id)
            outbox.enqueue([product.id], session=other)
            other.commit()
            toggles.append(outbox.apply_outbox(other, timeout=0.05))  # it loses the lock race: rows stay

    monkeypatch.setattr(index, "write", write_then_race)
    try:
        listing.put(product, "500103")  # a reopen-like change; its after-commit apply is the writer above
    finally:
        other.close()
    assert toggles == [None, None, None]
    assert product.id not in listing.listed  # the last committed change was a withdrawal
    assert index.indexed_ids() == set() and _queued() == 0


def test_check_repair_rewrites_exactly_the_differing_documents(app, catalog_data, listing):
    runner = app.test_cli_runner()
    d = catalog_data
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    writer = index.get_index().writer()
    writer.delete_by_term("id", str(d["alarm_mid"].id))  # missing
    stale = index.document_for(d["valve_low"], ["500103"])
    writer.update_document(**{**stale, "price": 1, "digest": "old"})  # stale
    writer.update_document(**index.document_for(d["unlisted"], ["500103"]))  # extra
    writer.commit()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"missing [{d['alarm_mid'].id}], extra [{d['unlisted'].id}], stale [{d['valve_low'].id}]" in result.output
    result = runner.invoke(args=["search", "check", "--repair"])
    assert result.exit_code == 0, result.output
    assert "repaired 3 documents" in result.output
    assert "missing [], extra [], stale []" in result.output.splitlines()[-1]
    repaired = index.fingerprint()
    index.reindex()
    assert index.fingerprint() == repaired
    assert runner.invoke(args=["search", "check", "--repair"]).output.count("repaired") == 0


def test_check_repair_applies_changes_left_in_the_outbox(app, catalog_data, listing):
    d = catalog_data
    listing.listed.pop(d["alarm_low"].id)
    outbox.enqueue([d["alarm_low"].id])
    db.session.info.pop("search_queued", None)  # as if the committer's apply lost the lock race
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and f"extra [{d['alarm_low'].id}]" in result.output and "queued 1" in result.output
    result = runner.invoke(args=["search", "check", "--repair"])
    assert result.exit_code == 0 and "queued 0" in result.output.splitlines()[-1]
    assert d["alarm_low"].id not in index.indexed_ids() and _queued() == 0

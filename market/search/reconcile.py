"""Reconciliation: the index compared document by document with the database, and repaired where it differs.

`differences` rebuilds every listed product's document in memory and compares its digest with the one the
index stored; `repair` rewrites exactly the differing documents (and whatever the outbox still holds) under
the writer lock, then deletes only the outbox rows it read. `flask search check [--repair]` calls them.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db import db
from market.listing import listed_districts, published_prices
from market.search import index
from market.search.models import SearchOutbox


def _indexed_digests() -> dict[int, str]:
    with index.get_index().searcher() as index_searcher:
        return {int(doc["id"]): doc.get("digest", "") for doc in index_searcher.all_stored_fields()}


def _expected_digests(session: Session) -> dict[int, str]:
    listed = listed_districts()
    products = index.load_products(session, sorted(listed))
    prices = published_prices(products)
    return {pid: index.document_for(products[pid], listed[pid], prices.get(pid))["digest"] for pid in products}


def differences(session: Session | None = None) -> dict[str, list[int]]:
    """Product ids missing from the index, indexed but not listed (extra), or indexed with a stale document."""
    session = session or db.session
    expected, indexed = _expected_digests(session), _indexed_digests()
    return {
        "missing": sorted(set(expected) - set(indexed)),
        "extra": sorted(set(indexed) - set(expected)),
        "stale": sorted(pid for pid in set(expected) & set(indexed) if expected[pid] != indexed[pid]),
    }


def repair(session: Session | None = None, *, timeout: float = 10.0) -> int:
    """Rewrite the differing documents and apply the queued ones under the lock; returns how many were written."""
    session = session or db.session
    writer = index.get_index().writer(timeout=timeout)
    try:
        queued = session.execute(select(SearchOutbox.id, SearchOutbox.product_id)).all()
        found = differences(session)
        ids = {pid for group in found.values() for pid in group} | {r.product_id for r in queued}
        if ids:
            index.write(writer, session, ids)
    except BaseException:
        writer.cancel()
        raise
    if not ids:
        writer.cancel()
        return 0
    writer.commit()
    row_ids = [r.id for r in queued]
    for start in range(0, len(row_ids), 500):
        session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(row_ids[start:start + 500])))
    session.commit()
    return len(ids)

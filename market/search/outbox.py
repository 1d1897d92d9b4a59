"""The search outbox: index changes recorded with the transaction that caused them, applied after commit.

`enqueue` adds rows to `search_outbox` in the caller's transaction (market's receivers of catalog and
registry signals call it: market.wiring). Once the outermost transaction that queued rows has committed,
the Session hooks (connected by `connect_session_hooks()`, called from create_app) apply the queue as the
one index writer and delete the rows; a worker killed in between loses nothing (the rows stay).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import has_app_context
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session
from whoosh.index import LockError

from core.db import db
from market.search import index
from market.search.models import SearchOutbox

log = logging.getLogger(__name__)


def enqueue(product_ids: Iterable[int], session: Session | None = None) -> None:
    """Record that these products' index entries must be refreshed (flushed with the caller's transaction)."""
    session = session or db.session
    ids = sorted({int(pid) for pid in product_ids if pid is not None})
    if not ids:
        return
    session.add_all([SearchOutbox(product_id=pid) for pid in ids])
    session.flush()
    session.info["search_queued"] = True


#: Rounds one writer goes on for while others keep queueing (each round re-reads the queue under the lock).
MAX_ROUNDS = 50


def queued_count(session: Session | None = None) -> int:
    """How many changes wait in the outbox."""
    session = session or db.session
    return session.scalar(select(func.count(SearchOutbox.id))) or 0


def apply_outbox(session: Session | None = None, *, timeout: float = 2.0, rounds: int = MAX_ROUNDS) -> int | None:
    """Apply queued changes as the one writer; None when another process holds the lock (rows stay).

    Rows are read only once this writer holds the index lock, so the products' state read after them is at
    least as new as every change those rows stand for; only the rows read are deleted. A change committed
    meanwhile has its own row, and its committer may lose the lock race: the writer therefore goes on until a
    read under the lock finds the queue empty (`search apply` or `search check --repair` catch the rest).
    """
    session = session or db.session
    applied = 0
    for _round in range(rounds):
        if session.execute(select(SearchOutbox.id).limit(1)).first() is None:
            break
        try:
            writer = index.get_index().writer(timeout=timeout)
        except LockError:
            log.info("search index busy: queued changes left for the next writer")
            return applied or None
        try:
            rows = session.execute(select(SearchOutbox.id, SearchOutbox.product_id)).all()
            if rows:
                index.write(writer, session, {r.product_id for r in rows})
        except BaseException:
            writer.cancel()
            raise
        if not rows:
            writer.cancel()
            break
        writer.commit()
        row_ids = [r.id for r in rows]
        for start in range(0, len(row_ids), 500):
            session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(row_ids[start:start + 500])))
        session.commit()
        applied += len(rows)
    return applied


def _after_commit(session: Session) -> None:
    if session.info.pop("search_queued", False):
        session.info["search_apply"] = True


def _after_transaction_end(session: Session, transaction) -> None:
    """Apply the outbox once the outermost transaction that queued rows has committed."""
    if transaction.parent is not None or not session.info.get("search_apply"):
        return
    if session.info.get("search_applying") or not has_app_context():
        return
    session.info.pop("search_apply", None)
    session.info["search_applying"] = True
    try:
        apply_outbox(session)
    except Exception:
        log.exception("applying the search outbox failed; the rows stay queued")
        session.rollback()
    finally:
        session.info.pop("search_applying", None)


def connect_session_hooks() -> None:
    """Apply the outbox after commit (idempotent: SQLAlchemy ignores a listener already registered)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
    if not event.contains(Session, "after_transaction_end", _after_transaction_end):
        event.listen(Session, "after_transaction_end", _after_transaction_end)

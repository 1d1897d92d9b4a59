"""The search index on disk (Whoosh + jieba + pypinyin): its schema, documents, writer and rebuild.

The index holds the products on current published lists. It follows the database through the outbox
(market.search.outbox): every change that can alter what the public sees queues product ids in
`search_outbox` in the same transaction; after the commit one writer at a time (Whoosh's lock, across
processes) rewrites those products' documents (`write`). `reindex` rebuilds everything; `indexed_ids`
and `fingerprint` let `flask search check` and the tests compare the index with the database.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import weakref

from flask import current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload
from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.fields import ID, KEYWORD, NGRAMWORDS, NUMERIC, TEXT, Schema

from catalog.models import DEVICE_TYPE_TITLES, TIER_TITLES, USAGE_TITLES, Product
from catalog.public_fields import product_public
from catalog.tiers import FEATURE_LABELS
from core.db import db
from market.listing import listed_districts, published_price, published_prices
from market.search.models import SearchOutbox
from market.search.text import (
    ANALYZER,
    CHARS_ANALYZER,
    PINYIN_ANALYZER,
    add_words,
    ensure_jieba,
    name_words,
    pinyin_words,
    synonyms_in,
)
from suppliers.models import Supplier

log = logging.getLogger(__name__)


SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    pid=NUMERIC(bits=64, sortable=True, stored=True),
    title=TEXT(analyzer=ANALYZER, field_boost=2.0),
    body=TEXT(analyzer=ANALYZER),
    model=NGRAMWORDS(minsize=2, maxsize=10, field_boost=3.0),
    pinyin=NGRAMWORDS(minsize=2, maxsize=12, at="start", field_boost=0.6),
    #: Each CJK character of title and body once: only single-character query pieces look here.
    chars=TEXT(analyzer=CHARS_ANALYZER, phrase=False, field_boost=0.3),
    districts=KEYWORD(stored=True, commas=True),
    supplier_id=NUMERIC(stored=True),
    device_type=ID(stored=True, sortable=True),
    usage=ID(stored=True, sortable=True),
    tier=ID(stored=True, sortable=True),
    smart=ID(stored=True, sortable=True),
    price=NUMERIC(bits=64, stored=True, sortable=True),
    digest=ID(stored=True),  # of the whole document: `search check` finds stale entries by it
)
SCHEMA["pinyin"].analyzer = PINYIN_ANALYZER
#: The names added to jieba's dictionary, next to the index: a process that only queries cuts the same way.
WORDS_FILE = "market_words.json"

_indexes: dict[str, whoosh_index.Index] = {}


def index_dir() -> str:
    return os.path.abspath(current_app.config["SEARCH_INDEX_DIR"])


def get_index() -> whoosh_index.Index:
    """The index of this app (created when missing, recreated empty when its schema is outdated)."""
    folder = index_dir()
    ix = _indexes.get(folder)
    if ix is not None and os.path.isdir(folder):
        return ix
    os.makedirs(folder, exist_ok=True)
    ensure_jieba()
    if whoosh_index.exists_in(folder):
        ix = whoosh_index.open_dir(folder)
        if sorted(ix.schema.names()) != sorted(SCHEMA.names()):
            log.warning("search index schema changed: recreating %s (run `flask search reindex`)", folder)
            ix = whoosh_index.create_in(folder, SCHEMA)
        else:
            ix = whoosh_index.open_dir(folder, schema=SCHEMA)
    else:
        ix = whoosh_index.create_in(folder, SCHEMA)
    _indexes[folder] = ix
    return ix


_local = threading.local()


def searcher():
    """This thread's searcher, refreshed when the index changed (opening one costs ~20 ms on 10,000 products).

    A searcher holds open files. It is closed when the index changes, and when its thread ends (a finalizer on
    the thread: the threaded development server runs each request in a new thread), never left to the garbage
    collector, which would close the files with a ResourceWarning at some later moment.
    """
    folder = index_dir()
    cache = _local.__dict__.setdefault("searchers", {})
    ix = get_index()
    generation = ix.latest_generation()
    cached = cache.get(folder)
    if cached is not None and cached[0] == generation:
        return cached[1]
    if cached is not None:  # whoosh's refresh() may reuse segment readers with stale deletions: reopen
        cached[2].detach()
        cached[1].close()
    load_words(folder)
    searcher = ix.searcher()
    closer = weakref.finalize(threading.current_thread(), searcher.close)
    closer.atexit = False
    cache[folder] = (generation, searcher, closer)
    return searcher


_words_seen: dict[str, float] = {}


def load_words(folder: str | None = None) -> None:
    """Teach jieba the names stored next to the index (again only when the file changed)."""
    path = os.path.join(folder or index_dir(), WORDS_FILE)
    try:
        mtime = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return
    if _words_seen.get(path) == mtime:
        return
    try:
        with open(path, encoding="utf-8") as handle:
            add_words(json.load(handle))
    except (OSError, ValueError):
        log.warning("could not read the search dictionary %s", path)
        return
    _words_seen[path] = mtime


def _stored_words(folder: str) -> set[str]:
    try:
        with open(os.path.join(folder, WORDS_FILE), encoding="utf-8") as handle:
            return set(json.load(handle))
    except (OSError, ValueError):
        return set()


def remember_words(words: set[str]) -> set[str]:
    """Add names to jieba and to the index's dictionary file (call under the writer lock); returns the new ones."""
    folder = index_dir()
    stored = _stored_words(folder)
    add_words(stored | words)
    new = words - stored
    if new:
        path = os.path.join(folder, WORDS_FILE)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(sorted(stored | words), handle, ensure_ascii=False)
        os.replace(tmp, path)
    return new


def _product_names(product: Product) -> list[str]:
    return [product.brand, product.manufacturer, getattr(product.supplier, "legal_name", None)]


def clear_index(timeout: float = 5.0) -> None:
    """Empty the index (under the writer lock)."""
    writer = get_index().writer(timeout=timeout)
    writer.commit(mergetype=writing.CLEAR)


# ---------------------------------------------------------------------------------------------------------
# Documents (what the index holds of a listed product)
# ---------------------------------------------------------------------------------------------------------

def _labels(mapping, key) -> list[str]:
    """The Chinese label, and the English one when a catalogue provides it."""
    if key is None or key not in mapping:
        return []
    cache_key = (id(mapping), str(key), has_app_context())
    if cache_key not in _label_cache:
        labels = [str(mapping[key])]
        if has_app_context():
            with force_locale("en"):
                labels.append(str(mapping[key]))
        _label_cache[cache_key] = list(dict.fromkeys(labels))
    return _label_cache[cache_key]


_label_cache: dict[tuple, list[str]] = {}


def document_for(product: Product, districts: list[str],
                 prices: dict[str, tuple[int, int]] | None = None) -> dict:
    """The index document of a listed product: its public fields (catalog.public_fields) made searchable,
    with the manufacturer, service content and supplier name, at the lowest published device price."""
    ensure_jieba()
    public = product_public(product, price_fen=published_price(product, prices)[0])
    device = _labels(DEVICE_TYPE_TITLES, public["device_type"])
    tier = _labels(TIER_TITLES, public["tier"])
    usage = _labels(USAGE_TITLES, public["usage"])
    features = [label for f in public["features"] for label in _labels(FEATURE_LABELS, f)]
    supplier = getattr(product.supplier, "legal_name", "") or ""
    model = public["model"] or ""
    compact = re.sub(r"[\W_]+", "", model)
    title_parts = [public["brand"] or "", model, *device, *tier, *usage, supplier]
    body_parts = [product.manufacturer or "", *features, *public["standards"],
                  product.service_content or "", device[0] if device else ""]
    synonyms = synonyms_in(" ".join([*device, *tier, *usage, *features, *public["standards"]]))
    if public["smart"]:
        body_parts.append(str(_labels_smart()))
    document = {
        "id": str(public["id"]),
        "pid": public["id"],
        "title": "\n".join(p for p in title_parts if p),
        "body": "\n".join([*(p for p in body_parts if p), *synonyms]),
        "chars": " ".join([*title_parts, *body_parts]),
        "model": f"{model} {compact}".lower(),
        "pinyin": pinyin_words([public["brand"] or "", *device[:1], *tier[:1], *usage[:1], supplier, *synonyms,
                                 *(str(FEATURE_LABELS[f]) for f in public["features"] if f in FEATURE_LABELS)]),
        "districts": ",".join(sorted(districts)),
        "supplier_id": product.supplier_id,
        "device_type": public["device_type"],
        "usage": public["usage"] or "none",
        "tier": public["tier"],
        "smart": "1" if public["smart"] else "0",
        "price": public["price_fen"],  # the lowest published device price
    }
    document["digest"] = hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return document


def _labels_smart() -> str:
    return "智能 数据传输 smart"


def load_products(session: Session, ids: list[int]) -> dict[int, Product]:
    found: dict[int, Product] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        stmt = select(Product).where(Product.id.in_(chunk)).options(
            selectinload(Product.supplier).lazyload(Supplier.districts), selectinload(Product.certificates))
        found.update({p.id: p for p in session.scalars(stmt)})
    return found


def _mentioning(session: Session, words: set[str], listed: dict[int, list[str]]) -> set[int]:
    """Listed products whose names or service text contain one of `words` (cut differently before they were
    dictionary words)."""
    columns = (Product.brand, Product.manufacturer, Product.service_content, Supplier.legal_name)
    stmt = (select(Product.id).join(Supplier, Supplier.id == Product.supplier_id)
            .where(or_(*(c.contains(w, autoescape=True) for w in sorted(words) for c in columns))))
    return {pid for pid in session.scalars(stmt) if pid in listed}


def write(writer, session: Session, product_ids: set[int]) -> None:
    """Rewrite these products' documents: updated when listed, deleted otherwise.

    Names new to the dictionary are stored first; the listed products that mention them are rewritten too, so
    that every document is cut with the dictionary the queries use.
    """
    listed = listed_districts(product_ids)
    products = load_products(session, sorted(pid for pid in product_ids if pid in listed))
    new = remember_words(name_words(n for p in products.values() for n in _product_names(p)))
    if new:
        everywhere = listed_districts()
        extra = _mentioning(session, new, everywhere) - set(product_ids)
        if extra:
            product_ids = set(product_ids) | extra
            listed.update({pid: everywhere[pid] for pid in extra})
            products.update(load_products(session, sorted(extra)))
    prices = published_prices(listed)
    for pid in sorted(product_ids):
        if pid in listed and pid in products:
            writer.update_document(**document_for(products[pid], listed[pid], prices.get(pid)))
        else:
            writer.delete_by_term("id", str(pid))


# ---------------------------------------------------------------------------------------------------------
# Rebuild and reconciliation
# ---------------------------------------------------------------------------------------------------------

def reindex(session: Session | None = None, *, timeout: float = 30.0) -> int:
    """Rebuild the whole index from the database; returns the number of products indexed."""
    session = session or db.session
    queued = session.scalars(select(SearchOutbox.id)).all()
    writer = get_index().writer(timeout=timeout)
    try:
        listed = listed_districts()
        products = load_products(session, sorted(listed))
        remember_words(name_words(n for p in products.values() for n in _product_names(p)))
        prices = published_prices(products)
        for pid in sorted(products):
            writer.add_document(**document_for(products[pid], listed[pid], prices.get(pid)))
    except BaseException:
        writer.cancel()
        raise
    writer.commit(mergetype=writing.CLEAR)
    for start in range(0, len(queued), 500):
        session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(queued[start:start + 500])))
    session.commit()
    return len(products)


def indexed_ids() -> set[int]:
    """Product ids the index holds (for reconciliation)."""
    with get_index().searcher() as index_searcher:
        return {int(doc["id"]) for doc in index_searcher.all_stored_fields()}


def fingerprint() -> dict:
    """Every (field, term) → product ids, plus stored fields: equal for equal indexes."""
    result: dict = {}
    with get_index().searcher() as index_searcher:
        reader = index_searcher.reader()
        pids = {docnum: int(doc["id"]) for docnum, doc in reader.iter_docs()}
        for fieldname in SCHEMA.names():
            for term in reader.lexicon(fieldname):
                docs = {pids[d] for d in reader.postings(fieldname, term).all_ids() if d in pids}
                if docs:
                    result[(fieldname, term)] = tuple(sorted(docs))
        result["stored"] = sorted(tuple(sorted(doc.items())) for _n, doc in reader.iter_docs())
    return result



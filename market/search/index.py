"""Full-text search over the products on current published lists (Whoosh + jieba + pypinyin).

The index follows the database through an outbox: every change that can alter what the public sees
(publication, removal, price change, invalidation) queues the product ids in `search_outbox` in the
same transaction (`enqueue`); after the commit one writer at a time (Whoosh's lock, across processes)
applies the queued rows and deletes them (`apply_outbox`). `reindex` rebuilds everything.

Which districts list a product is a registry question: the registry registers a provider with
`set_listing_provider(fn)`, `fn(product_ids=None) -> {product_id: [district codes]}` (catalog never
imports registry).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from flask_babel import force_locale
from markupsafe import Markup, escape
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session, selectinload
from whoosh import index as whoosh_index
from whoosh import sorting, writing
from whoosh.fields import ID, KEYWORD, NGRAMWORDS, NUMERIC, TEXT, Schema
from whoosh.index import LockError
from whoosh.query import And, Every, NumericRange, Or, Query, Term

from catalog.models import DEVICE_TYPE_TITLES, TIER_TITLES, USAGE_TITLES, Product
from catalog.search_models import SearchOutbox
from catalog.search_params import PRICE_BANDS, SearchParams
from catalog.search_text import ANALYZER, CJK, SYNONYMS, ensure_jieba, mentions, pinyin_words
from catalog.tiers import FEATURE_LABELS
from core.db import db

log = logging.getLogger(__name__)


SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    pid=NUMERIC(bits=64, sortable=True, stored=True),
    title=TEXT(analyzer=ANALYZER, field_boost=2.0),
    body=TEXT(analyzer=ANALYZER),
    model=NGRAMWORDS(minsize=2, maxsize=10, field_boost=3.0),
    pinyin=NGRAMWORDS(minsize=2, maxsize=12, at="start", field_boost=0.6),
    districts=KEYWORD(stored=True, commas=True),
    supplier_id=NUMERIC(stored=True),
    device_type=ID(stored=True, sortable=True),
    usage=ID(stored=True, sortable=True),
    tier=ID(stored=True, sortable=True),
    smart=ID(stored=True, sortable=True),
    price=NUMERIC(bits=64, stored=True, sortable=True),
)

# ---------------------------------------------------------------------------------------------------------
# Listing provider (registered by the registry) and the index on disk
# ---------------------------------------------------------------------------------------------------------

_listing_provider: Callable[..., dict[int, list[str]]] | None = None
_price_provider: Callable[..., dict[int, dict[str, tuple[int, int]]]] | None = None
_indexes: dict[str, whoosh_index.Index] = {}


def set_listing_provider(fn: Callable[..., dict[int, list[str]]] | None) -> None:
    """Register `fn(product_ids=None) -> {product_id: [district codes]}` (current published lists)."""
    global _listing_provider
    _listing_provider = fn


def set_price_provider(fn: Callable[..., dict[int, dict[str, tuple[int, int]]]] | None) -> None:
    """Register `fn(product_ids) -> {product_id: {district code: (price_fen, install_fee_fen)}}`.

    Those are the prices and fees frozen on the current published lists: the only ones a resident may be
    charged (附件1 四(二)); a supplier's later edit of its catalogue price does not change them.
    """
    global _price_provider
    _price_provider = fn


def published_prices(product_ids: Iterable[int]) -> dict[int, dict[str, tuple[int, int]]]:
    """For each listed product, its published (price, fee) per district."""
    ids = sorted({int(pid) for pid in product_ids})
    if _price_provider is None or not ids:
        return {}
    return _price_provider(product_ids=ids)


def published_price(product: Product, prices: dict[str, tuple[int, int]] | None,
                    district: str | None = None) -> tuple[int, int]:
    """(price, fee) as published in `district` when it lists the product, else the lowest published one."""
    if not prices:
        return product.price_fen, product.install_fee_fen
    if district and district in prices:
        return prices[district]
    return min(prices.values())


def listed_districts(product_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
    """Products on a current published list, with the codes of the districts that list them."""
    if _listing_provider is None:
        return {}
    ids = None if product_ids is None else sorted(set(product_ids))
    return {int(k): sorted(v) for k, v in _listing_provider(product_ids=ids).items() if v}


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


def _searcher():
    """This thread's searcher, refreshed when the index changed (opening one costs ~20 ms on 10,000 products)."""
    folder = index_dir()
    cache = _local.__dict__.setdefault("searchers", {})
    ix = get_index()
    generation = ix.latest_generation()
    cached = cache.get(folder)
    if cached is not None and cached[0] == generation:
        return cached[1]
    if cached is not None:  # whoosh's refresh() may reuse segment readers with stale deletions: reopen
        cached[1].close()
    searcher = ix.searcher()
    cache[folder] = (generation, searcher)
    return searcher


def clear_index(timeout: float = 5.0) -> None:
    """Empty the index (under the writer lock)."""
    writer = get_index().writer(timeout=timeout)
    writer.commit(mergetype=writing.CLEAR)


# ---------------------------------------------------------------------------------------------------------
# Documents
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
    """The index document of a listed product."""
    ensure_jieba()
    device = _labels(DEVICE_TYPE_TITLES, product.device_type)
    tier = _labels(TIER_TITLES, product.tier)
    usage = _labels(USAGE_TITLES, product.usage)
    features = [label for f in product.features or [] for label in _labels(FEATURE_LABELS, f)]
    supplier = getattr(product.supplier, "legal_name", "") or ""
    model = product.model or ""
    compact = re.sub(r"[\W_]+", "", model)
    title_parts = [product.brand or "", model, *device, *tier, *usage, supplier]
    body_parts = [product.manufacturer or "", *features, *(product.standards or []),
                  product.service_content or "", device[0] if device else ""]
    joined = " ".join(title_parts + body_parts).lower()
    synonyms = [w for group in SYNONYMS if any(mentions(joined, w) for w in group) for w in group]
    if product.smart:
        body_parts.append(str(_labels_smart()))
    return {
        "id": str(product.id),
        "pid": product.id,
        "title": "\n".join(p for p in title_parts if p),
        "body": "\n".join([*(p for p in body_parts if p), *synonyms]),
        "model": f"{model} {compact}".lower(),
        "pinyin": pinyin_words([product.brand or "", *device[:1], *tier[:1], *usage[:1], supplier, *synonyms,
                                 *(str(FEATURE_LABELS[f]) for f in product.features or [] if f in FEATURE_LABELS)]),
        "districts": ",".join(sorted(districts)),
        "supplier_id": product.supplier_id,
        "device_type": str(product.device_type),
        "usage": str(product.usage) if product.usage else "none",
        "tier": str(product.tier),
        "smart": "1" if product.smart else "0",
        "price": published_price(product, prices)[0],  # the lowest published device price
    }


def _labels_smart() -> str:
    return "智能 数据传输 smart"


def _load_products(session: Session, ids: list[int]) -> dict[int, Product]:
    found: dict[int, Product] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        stmt = select(Product).where(Product.id.in_(chunk)).options(selectinload(Product.supplier))
        found.update({p.id: p for p in session.scalars(stmt)})
    return found


def _write(writer, session: Session, product_ids: set[int]) -> None:
    listed = listed_districts(product_ids)
    prices = published_prices(listed)
    products = _load_products(session, sorted(pid for pid in product_ids if pid in listed))
    for pid in sorted(product_ids):
        if pid in listed and pid in products:
            writer.update_document(**document_for(products[pid], listed[pid], prices.get(pid)))
        else:
            writer.delete_by_term("id", str(pid))


# ---------------------------------------------------------------------------------------------------------
# Outbox and rebuild
# ---------------------------------------------------------------------------------------------------------

def enqueue(product_ids: Iterable[int], session: Session | None = None) -> None:
    """Record that these products' index entries must be refreshed (flushed with the caller's transaction)."""
    session = session or db.session
    ids = sorted({int(pid) for pid in product_ids if pid is not None})
    if not ids:
        return
    session.add_all([SearchOutbox(product_id=pid) for pid in ids])
    session.flush()
    session.info["search_queued"] = True


def apply_outbox(session: Session | None = None, *, timeout: float = 2.0, rounds: int = 3) -> int | None:
    """Apply queued changes as the one writer; None when another process holds the lock (rows stay)."""
    session = session or db.session
    applied = 0
    for _round in range(rounds):
        rows = session.execute(select(SearchOutbox.id, SearchOutbox.product_id)).all()
        if not rows:
            break
        try:
            writer = get_index().writer(timeout=timeout)
        except LockError:
            log.info("search index busy: %d queued change(s) left for the next writer", len(rows))
            return applied or None
        try:
            _write(writer, session, {r.product_id for r in rows})
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        row_ids = [r.id for r in rows]
        for start in range(0, len(row_ids), 500):
            session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(row_ids[start:start + 500])))
        session.commit()
        applied += len(rows)
    return applied


def reindex(session: Session | None = None, *, timeout: float = 30.0) -> int:
    """Rebuild the whole index from the database; returns the number of products indexed."""
    session = session or db.session
    queued = session.scalars(select(SearchOutbox.id)).all()
    writer = get_index().writer(timeout=timeout)
    try:
        listed = listed_districts()
        products = _load_products(session, sorted(listed))
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
    with get_index().searcher() as searcher:
        return {int(doc["id"]) for doc in searcher.all_stored_fields()}


def fingerprint() -> dict:
    """Every (field, term) → product ids, plus stored fields: equal for equal indexes."""
    result: dict = {}
    with get_index().searcher() as searcher:
        reader = searcher.reader()
        pids = {docnum: int(doc["id"]) for docnum, doc in reader.iter_docs()}
        for fieldname in SCHEMA.names():
            for term in reader.lexicon(fieldname):
                docs = {pids[d] for d in reader.postings(fieldname, term).all_ids() if d in pids}
                if docs:
                    result[(fieldname, term)] = tuple(sorted(docs))
        result["stored"] = sorted(tuple(sorted(doc.items())) for _n, doc in reader.iter_docs())
    return result


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("search_queued", False):
        session.info["search_apply"] = True


@event.listens_for(Session, "after_transaction_end")
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


# ---------------------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------------------

MAX_QUERY_CHARS = 100
MAX_QUERY_WORDS = 8
_WORD_RE = re.compile(r"\w[\w.\-/]*")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def query_words(q: str) -> list[str]:
    """The words of a resident's query; any syntax (quotes, operators, `*`, `:`) is just separators."""
    text = unicodedata.normalize("NFKC", q or "")[:MAX_QUERY_CHARS]
    words = [w.strip(".-/_") for w in _WORD_RE.findall(text)]
    return [w for w in words if w and w not in _OPERATORS][:MAX_QUERY_WORDS]


def _terms(fieldname: str, text: str) -> list[str]:
    return list(dict.fromkeys(t.text for t in SCHEMA[fieldname].analyzer(text, mode="query")))


def _all_of(fieldname: str, texts: list[str]) -> Query | None:
    if not texts:
        return None
    terms = [Term(fieldname, t) for t in texts]
    return terms[0] if len(terms) == 1 else And(terms)


def _word_query(word: str) -> Query | None:
    alternatives = [_all_of("title", _terms("title", word)), _all_of("body", _terms("body", word))]
    lowered = word.lower()
    if re.search(r"[a-z0-9]", lowered):
        alternatives.append(_all_of("model", _terms("model", lowered)))
        compact = re.sub(r"[\W_]+", "", lowered)
        if compact != lowered:
            alternatives.append(_all_of("model", _terms("model", compact)))
    if lowered.isascii() and lowered.isalpha():
        alternatives.append(_all_of("pinyin", _terms("pinyin", lowered)))
    alternatives = [a for a in alternatives if a is not None]
    return Or(alternatives) if alternatives else None


def text_query(q: str) -> Query | None:
    """Every word must match somewhere (title, body, model number, pinyin); None for an empty query."""
    parts = [p for p in (_word_query(w) for w in query_words(q)) if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def highlight_terms(q: str) -> list[str]:
    """Strings to mark in displayed text: the words and their Chinese cuts."""
    terms = set()
    for word in query_words(q):
        terms.add(word)
        terms.update(t for t in _terms("title", word) if len(t) > 1 or CJK.match(t))
        terms.update(w for group in SYNONYMS if word.lower() in group for w in group)
    return sorted(terms, key=len, reverse=True)


def highlight(text: str | None, terms: list[str]) -> Markup:
    """`text` escaped, with every occurrence of a term wrapped in <mark>."""
    text = text or ""
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group(0))  # noqa: S704 - literal; % escapes the match
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _filters(params: SearchParams) -> dict[str, Query]:
    filters: dict[str, Query] = {}
    if params.district:
        filters["district"] = Term("districts", params.district)
    for name in ("device_type", "usage", "tier"):
        if getattr(params, name):
            filters[name] = Term(name, getattr(params, name))
    if params.smart is not None:
        filters["smart"] = Term("smart", "1" if params.smart else "0")
    if params.min_price is not None or params.max_price is not None:
        filters["price"] = NumericRange("price", params.min_price, params.max_price)
    return filters


_FACETS = {
    "district": lambda: sorting.FieldFacet("districts", allow_overlap=True),
    "device_type": lambda: sorting.FieldFacet("device_type"),
    "usage": lambda: sorting.FieldFacet("usage"),
    "tier": lambda: sorting.FieldFacet("tier"),
    "smart": lambda: sorting.FieldFacet("smart"),
    "price": lambda: sorting.QueryFacet({key: NumericRange("price", lo, hi, endexcl=True)
                                         for key, lo, hi in PRICE_BANDS}),
}


@dataclass
class SearchResult:
    """One page of matches: product ids in order, their districts, the total, facet counts."""

    total: int
    page: int
    per_page: int
    ids: list[int]
    districts: dict[int, list[str]]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _sortedby(params: SearchParams, has_text: bool):
    if params.sort == "price":
        return sorting.MultiFacet([sorting.FieldFacet("price"), sorting.FieldFacet("pid")])
    if params.sort == "-price":
        return sorting.MultiFacet([sorting.FieldFacet("price", reverse=True), sorting.FieldFacet("pid")])
    return None if has_text else sorting.FieldFacet("pid")


def _facet_counts(searcher, query: Query, filters: dict[str, Query]) -> dict[str, dict[str, int]]:
    """Counts per facet value, each facet counted with every filter but its own (so choices stay visible)."""
    counts: dict[str, dict[str, int]] = {}
    shared = [name for name in _FACETS if name not in filters]
    groups = {None: shared, **{name: [name] for name in _FACETS if name in filters}}
    for excluded, names in groups.items():
        if not names:
            continue
        rest = [q for name, q in filters.items() if name != excluded]
        results = searcher.search(query, filter=And(rest) if rest else None, limit=1,
                                  groupedby={n: _FACETS[n]() for n in names}, maptype=sorting.Count)
        for name in names:
            counts[name] = {str(k): v for k, v in results.groups(name).items() if k is not None}
    return counts


def search(params: SearchParams, *, with_facets: bool = False) -> SearchResult:
    """Run a query over the listed products (never raises on odd input: the words are taken literally)."""
    text_q = text_query(params.q)
    query = text_q or Every()
    filters = _filters(params)
    offset = (params.page - 1) * params.per_page
    searcher = _searcher()
    limit = max(1, min(offset + params.per_page, searcher.doc_count() + 1))
    results = searcher.search(query, filter=And(list(filters.values())) if filters else None,
                              limit=limit, sortedby=_sortedby(params, text_q is not None))
    total = len(results)
    ids = [int(hit["id"]) for hit in results[offset:offset + params.per_page]] if offset < total else []
    facets = _facet_counts(searcher, query, filters) if with_facets else {}
    districts = listed_districts(ids) if ids else {}
    visible = [pid for pid in ids if pid in districts]
    total -= len(ids) - len(visible)
    return SearchResult(total=total, page=params.page, per_page=params.per_page, ids=visible,
                        districts=districts, facets=facets, terms=highlight_terms(params.q))

"""Search queries over the index: a resident's words, filters, facet counts, highlights, one page of results.

Any syntax in the query (quotes, operators, `*`, `:`) is taken as separators, so odd input never raises.
A hit is shown only when the registry still lists it (market.listing), whatever the index says.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from whoosh import sorting
from whoosh.query import And, Every, NumericRange, Or, Query, Term

from market.listing import listed_districts
from market.search.index import SCHEMA, searcher
from market.search.params import PRICE_BANDS, SearchParams
from market.search.text import CJK, SYNONYMS

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
    index_searcher = searcher()
    limit = max(1, min(offset + params.per_page, index_searcher.doc_count() + 1))
    results = index_searcher.search(query, filter=And(list(filters.values())) if filters else None,
                              limit=limit, sortedby=_sortedby(params, text_q is not None))
    total = len(results)
    ids = [int(hit["id"]) for hit in results[offset:offset + params.per_page]] if offset < total else []
    facets = _facet_counts(index_searcher, query, filters) if with_facets else {}
    districts = listed_districts(ids) if ids else {}
    visible = [pid for pid in ids if pid in districts]
    total -= len(ids) - len(visible)
    return SearchResult(total=total, page=params.page, per_page=params.per_page, ids=visible,
                        districts=districts, facets=facets, terms=highlight_terms(params.q))

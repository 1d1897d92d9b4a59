"""Search queries over the index: a resident's words, filters, facet counts, highlights, one page of results.

Any syntax in the query (quotes, operators, `*`, `:`) is taken as separators, so odd input never raises.
A hit is shown only when the registry still lists it (market.listing), whatever the index says.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup, escape
from whoosh.query import And, Every, NumericRange, Or, Query, Term

from market.listing import listed_districts
from market.search import engine
from market.search.index import SCHEMA, searcher
from market.search.params import PRICE_BANDS, SearchParams
from market.search.text import CJK, expansions, synonym_group

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


def _all_of(terms: list[Query]) -> Query | None:
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else And(terms)


def _text_alternatives(word: str, fields: tuple[str, ...] = ("title", "body")) -> list[Query]:
    """The word in the title or the body: jieba's cuts, single CJK characters looked up in `chars`."""
    pieces = _terms("title", word)
    singles = [Term("chars", p) for p in pieces if len(p) == 1 and CJK.match(p)]
    words = [p for p in pieces if not (len(p) == 1 and CJK.match(p))]
    if not words:
        return [q for q in [_all_of(singles)] if q is not None]
    return [q for q in (_all_of([Term(f, p) for p in words] + singles) for f in fields) if q is not None]


def _one_word(word: str) -> list[Query]:
    alternatives = _text_alternatives(word)
    lowered = word.lower()
    if re.search(r"[a-z0-9]", lowered):
        alternatives.append(_all_of([Term("model", t) for t in _terms("model", lowered)]))
        compact = re.sub(r"[\W_]+", "", lowered)
        if compact != lowered:
            alternatives.append(_all_of([Term("model", t) for t in _terms("model", compact)]))
    if lowered.isascii() and lowered.isalpha():
        alternatives.append(_all_of([Term("pinyin", t) for t in _terms("pinyin", lowered)]))
    return [a for a in alternatives if a is not None]


def _synonym_query(word: str) -> list[Query] | None:
    """A word of a synonym group asks for the group's key word in the body (every document whose labels mention one
    of the group's words is indexed with all of them: market.search.text.synonyms_in), so that each of them (alarm,
    detector, 报警器) finds the same products; a broader word (阀门, valve) also keeps its own matches, ranked below.
    The word as typed still matches names in the title, and an ASCII word model numbers (CO-100 for co)."""
    group = synonym_group(word)
    if group is None:
        return None
    key = _terms("body", group.words[0])
    alternatives: list[Query] = [_all_of([Term("body", t) for t in key])]
    lowered = word.lower()
    if lowered in group.broader:
        alternatives += [_all_of([Term("body", t) for t in _terms("body", lowered)])]
    alternatives += _text_alternatives(word, fields=("title",))  # as typed, in a name (重庆报警器公司)
    if re.search(r"[a-z0-9]", lowered):
        alternatives.append(_all_of([Term("model", t) for t in _terms("model", lowered)]))
    return [a for a in alternatives if a is not None]


def _word_query(word: str) -> Query | None:
    """One word of the query: in the title, body, model number or pinyin, or the key of its synonym group."""
    alternatives = _synonym_query(word)
    if alternatives is None:
        alternatives = _one_word(word)
    if not alternatives:
        return None
    return alternatives[0] if len(alternatives) == 1 else Or(alternatives)


def text_query(q: str) -> Query | None:
    """Every word must match somewhere (title, body, model number, pinyin); None for an empty query."""
    parts = [p for p in (_word_query(w) for w in query_words(q)) if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def highlight_terms(q: str) -> list[str]:
    """Strings to mark in displayed text: the words, their Chinese cuts and their synonyms."""
    terms = set()
    for word in query_words(q):
        terms.add(word)
        terms.update(t for t in _terms("title", word) if len(t) > 1)
        terms.update(expansions(word)[1:])  # synonyms whole (燃气报警器), not their pieces (燃气)
    return sorted(terms, key=len, reverse=True)


@lru_cache(maxsize=256)
def _highlighter(terms: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)


def highlight(text: str | None, terms: list[str]) -> Markup:
    """`text` escaped, with every occurrence of a term wrapped in <mark>."""
    text = text or ""
    if not terms:
        return escape(text)
    out, last = [], 0
    for match in _highlighter(tuple(terms)).finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group(0))  # noqa: S704 - literal; % escapes the match
        last = match.end()
    if not out:
        return escape(text)
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


def _sort(params: SearchParams, has_text: bool) -> str:
    if params.sort in ("price", "-price"):
        return params.sort
    return "score" if has_text else "pid"


#: The facets of the search page: the index field each counts.
_FACET_FIELDS = {"district": "districts", "device_type": "device_type", "usage": "usage", "tier": "tier",
                 "smart": "smart", "price": "price"}


def _facet_counts(postings, matched: frozenset[int], filters: dict[str, Query]) -> dict[str, dict[str, int]]:
    """Counts per facet value, each facet counted with every filter but its own (so choices stay visible)."""
    sets = {name: postings.docs(q) for name, q in filters.items()}
    everything = matched.intersection(*sets.values()) if sets else matched
    counts = {}
    for name, fieldname in _FACET_FIELDS.items():
        docs = everything
        if name in filters:
            others = [d for other, d in sets.items() if other != name]
            docs = matched.intersection(*others) if others else matched
        found = engine.facet_counts(postings, docs, fieldname, PRICE_BANDS)
        counts[name] = {str(k): v for k, v in found.items() if k is not None}
    return counts


def search(params: SearchParams, *, with_facets: bool = False) -> SearchResult:
    """Run a query over the listed products (never raises on odd input: the words are taken literally).

    The query is evaluated once over the index's cached postings (market.search.engine): the page, the exact
    total and the facet counts all come from that one set of matches.
    """
    index_searcher = searcher()  # first: it teaches jieba the index's dictionary before the query is cut
    postings = engine.postings_of(index_searcher)
    text_q = text_query(params.q)
    found = engine.evaluate(postings, text_q or Every())
    matched = frozenset(found)
    filters = _filters(params)
    if filters:
        allowed = postings.docs(And(list(filters.values())))
        found = {d: s for d, s in found.items() if d in allowed}
    total = len(found)
    offset = (params.page - 1) * params.per_page
    page = engine.top(postings, found, offset + params.per_page, _sort(params, text_q is not None))[offset:]
    pid = postings.column("pid")
    ids = [int(pid[d]) for d in page]
    facets = _facet_counts(postings, matched, filters) if with_facets else {}
    districts = listed_districts(ids) if ids else {}
    visible = [p for p in ids if p in districts]
    total -= len(ids) - len(visible)
    return SearchResult(total=total, page=params.page, per_page=params.per_page, ids=visible,
                        districts=districts, facets=facets, terms=highlight_terms(params.q))

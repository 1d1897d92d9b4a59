"""Chinese text analysis for the search index: jieba words, pinyin, and the synonyms residents use.

Words are cut by jieba. Brand, manufacturer and supplier names are added to jieba's dictionary when a product is
indexed and stored next to the index (market.search.index: `words.json`), so that every process cuts a query the
same way the writer cut the documents (`add_words` is called when a searcher opens). Documents are indexed with
jieba's "search" cuts and the two-character pieces of longer words (so 可燃 finds 可燃气体); single characters go
to a field of their own (`chars`) which only single-character query pieces use, so that a common character such as
安 never has to be intersected by the queries that name whole words.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import jieba
from flask import current_app, has_app_context
from pypinyin import Style, lazy_pinyin
from whoosh.analysis import Filter, LowercaseFilter, NgramFilter, RegexTokenizer, Token, Tokenizer


@dataclass(frozen=True)
class Synonyms:
    """Words residents use for one thing, and the policy's own names for it.

    `words` are equivalent: a document that mentions one of them is indexed with all of them (and with `broader`),
    and a query for any of them asks for all of them. `broader` words (阀门, 单位) also ask for all of `words`, but a
    document mentioning only a broader word (an alarm's 阀门开闭状态数据采集) is not taken for the thing itself.
    """

    words: tuple[str, ...]
    broader: tuple[str, ...] = ()


#: Words residents use, mapped onto the words of the policy (indexed together: any one finds the others).
SYNONYMS = (
    Synonyms(("报警器", "探测器", "报警装置", "报警仪", "燃气报警器", "燃气泄漏报警", "燃气泄漏报警器",
              "燃气泄漏报警装置", "可燃气体", "可燃气体探测器", "可燃气体报警器", "可燃气体泄漏报警装置",
              "detector", "alarm")),
    Synonyms(("自闭阀", "安全自闭阀", "燃气自闭阀", "切断阀", "燃气切断阀", "紧急切断阀"),
             broader=("阀门", "燃气阀门", "valve")),
    Synonyms(("切断", "shut-off", "shutoff")),
    Synonyms(("商用", "commercial"),
             broader=("餐饮", "饭店", "餐馆", "酒店", "宾馆", "商铺", "单位", "工商业", "restaurant")),
    Synonyms(("家用", "household"), broader=("居民", "住户", "家庭")),
    Synonyms(("一氧化碳", "co")),
    Synonyms(("甲烷", "天然气", "methane")),
)
#: Words jieba must keep whole so that queries and documents are cut the same way.
EXTRA_WORDS = ("自闭阀", "安全自闭阀", "报警装置", "报警器", "探测器", "一氧化碳", "联动切断", "可燃气体", "切断阀",
               "燃气泄漏", "餐饮")
CJK = re.compile(r"[\u3400-\u9fff]")
WORDISH = re.compile(r"\w")
#: Dictionary words are at least two characters; longer names are not cut further by anyone's query.
_NAME_RE = re.compile(r"[\u3400-\u9fff]{2,12}")
_jieba_ready = False
_words_lock = threading.Lock()
#: Names already in jieba's dictionary (brands, manufacturers, suppliers).
_added_words: set[str] = set()


def ensure_jieba() -> None:
    """Point jieba's cache at the app's folder (not /tmp) and teach it our words, once per process."""
    global _jieba_ready
    if _jieba_ready:
        return
    jieba.setLogLevel(logging.WARNING)
    if has_app_context():
        folder = os.path.dirname(os.path.abspath(current_app.config["SEARCH_INDEX_DIR"]))
        os.makedirs(folder, exist_ok=True)
        jieba.dt.tmp_dir = folder
    jieba.initialize()
    for word in EXTRA_WORDS:
        jieba.add_word(word, freq=20000)
    _jieba_ready = True


def name_words(names: Iterable[str | None]) -> set[str]:
    """The Chinese runs of brand, manufacturer and supplier names, as dictionary words (渝安, 山城安)."""
    return {run for name in names if name for run in _NAME_RE.findall(name)}


def add_words(words: Iterable[str]) -> set[str]:
    """Add names to jieba's dictionary (idempotent); returns those that were new to this process."""
    ensure_jieba()
    with _words_lock:
        new = {w for w in words if w and w not in _added_words}
        for word in sorted(new):
            jieba.add_word(word, freq=50000)
        _added_words.update(new)
    if new:
        pinyin_of.cache_clear()
    return new


def cjk_pieces(word: str) -> list[str]:
    """A CJK word's two-character pieces (可燃气体 → 可燃 燃气 气体)."""
    return [word[i:i + 2] for i in range(len(word) - 1)]


class ChineseTokenizer(Tokenizer):
    """jieba "search" cuts (plus two-character pieces of longer words) when indexing, precise cuts for queries.

    Single CJK characters are never indexed here (the `chars` field holds them); in queries they are kept so the
    query builder can send them to `chars`.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, mode="", **kwargs):
        ensure_jieba()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for word, start, end in jieba.tokenize(value, mode="default" if mode == "query" else "search"):
            if not WORDISH.search(word):
                continue
            pieces = [(word, start, end)]
            if mode != "query" and CJK.match(word):
                if len(word) == 1:
                    continue
                if len(word) > 2:
                    pieces += [(p, start + i, start + i + 2) for i, p in enumerate(cjk_pieces(word))]
            for text, s, e in pieces:
                token.text = token.original = text
                token.boost = 1.0
                token.stopped = False
                if positions:
                    token.pos = pos
                    pos += 1
                if chars:
                    token.startchar, token.endchar = start_char + s, start_char + e
                yield token


class CharsTokenizer(Tokenizer):
    """Each distinct CJK character once (for single-character queries only)."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        seen = set()
        for i, ch in enumerate(value):
            if ch in seen or not CJK.match(ch):
                continue
            seen.add(ch)
            token.text = token.original = ch
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + len(seen) - 1
            if chars:
                token.startchar, token.endchar = start_char + i, start_char + i + 1
            yield token


_FUZZY_NG = re.compile(r"(?<=[aei])ng")


def fuzzy_pinyin(text: str) -> str:
    """-ng and -n spelled alike (ang/an, eng/en, ing/in), as Chongqing speech and many residents' typing do."""
    return _FUZZY_NG.sub("n", text)


class FuzzyPinyinFilter(Filter):
    """Applies `fuzzy_pinyin` to each token, identically when indexing and querying."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fuzzy_pinyin(token.text)
            yield token


ANALYZER = ChineseTokenizer() | LowercaseFilter()
CHARS_ANALYZER = CharsTokenizer()
#: Prefixes (2 to 12 letters) of each pinyin word: kerangqiti, keranqiti and kr all find 可燃气体.
PINYIN_ANALYZER = RegexTokenizer(r"[a-z0-9]+") | LowercaseFilter() | FuzzyPinyinFilter() | NgramFilter(2, 12,
                                                                                                       at="start")


@lru_cache(maxsize=20_000)
def pinyin_of(text: str) -> tuple[str, ...]:
    """Full pinyin and initials of each Chinese word of `text` (cached: the vocabulary is small)."""
    ensure_jieba()
    words = []
    for word, _s, _e in jieba.tokenize(text, mode="search"):
        if len(word) > 1 and CJK.match(word):
            words.append("".join(lazy_pinyin(word)))
            words.append("".join(lazy_pinyin(word, style=Style.FIRST_LETTER)))
    return tuple(words)


def pinyin_words(texts: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(w for text in texts for w in pinyin_of(text)))


def mentions(text: str, word: str) -> bool:
    """Chinese words match anywhere; ASCII words (co, alarm) only as whole words, not inside 'collection'."""
    if word.isascii():
        return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None
    return word in text


def synonyms_in(text: str) -> list[str]:
    """The synonym words a document is indexed with: every group one of whose `words` its labels mention (pass the
    device, usage and tier labels, feature labels and standards: a supplier named 报警器 makes no valve an alarm)."""
    lowered = text.lower()
    return [w for group in SYNONYMS if any(mentions(lowered, w) for w in group.words)
            for w in (*group.words, *group.broader)]


def synonym_group(word: str) -> Synonyms | None:
    """The group whose words (or broader words) include `word`, if any."""
    lowered = word.lower()
    return next((g for g in SYNONYMS if lowered in g.words or lowered in g.broader), None)


def expansions(word: str) -> tuple[str, ...]:
    """The words a query word also asks for (itself first); () when it has no synonyms."""
    lowered = word.lower()
    for group in SYNONYMS:
        if lowered in group.words:
            return tuple(dict.fromkeys((word, *group.words)))
        if lowered in group.broader:
            return tuple(dict.fromkeys((word, *group.words, *group.broader)))
    return ()

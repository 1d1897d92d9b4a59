"""Chinese text analysis for the search index: jieba words, pinyin, and the synonyms residents use."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from functools import lru_cache

import jieba
from flask import current_app, has_app_context
from pypinyin import Style, lazy_pinyin
from whoosh.analysis import LowercaseFilter, Token, Tokenizer

#: Words residents use, mapped onto the words of the policy (indexed together: any one finds the others).
SYNONYMS = (
    ("报警器", "探测器", "报警装置", "报警仪"),
    ("自闭阀", "安全自闭阀"),
    ("一氧化碳", "co"),
    ("甲烷", "天然气"),
)
#: Words jieba must keep whole so that queries and documents are cut the same way.
EXTRA_WORDS = ("自闭阀", "安全自闭阀", "报警装置", "报警器", "探测器", "一氧化碳", "联动切断")
CJK = re.compile(r"[\u3400-\u9fff]")
WORDISH = re.compile(r"\w")
_jieba_ready = False


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
    for word in EXTRA_WORDS:
        jieba.add_word(word, freq=20000)
    _jieba_ready = True


class ChineseTokenizer(Tokenizer):
    """jieba "search" cuts (plus single characters) when indexing, precise cuts for queries."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, mode="", **kwargs):
        ensure_jieba()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for word, start, end in jieba.tokenize(value, mode="default" if mode == "query" else "search"):
            if not WORDISH.search(word):
                continue
            pieces = [(word, start, end)]
            if mode != "query" and len(word) > 1 and CJK.match(word):
                pieces += [(ch, start + i, start + i + 1) for i, ch in enumerate(word)]
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


ANALYZER = ChineseTokenizer() | LowercaseFilter()


@lru_cache(maxsize=20_000)
def pinyin_of(text: str) -> tuple[str, ...]:
    """Full pinyin and initials of each Chinese word of `text` (cached: the vocabulary is small)."""
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
        return re.search(rf"\b{re.escape(word)}\b", text) is not None
    return word in text

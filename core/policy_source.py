"""References into the source policy (渝府办发〔2021〕156号) shown in the reader's language.

Rules store where they come from as the policy's own Chinese reference, e.g. `附件3 一、1`, `附件1 四(二)` or
`正文 三(四)1`; `source_reference()` shows that as is in Chinese and as `Annex 3, I.1`, `Annex 1, IV(2)` or
`Main text, III(4)1` in English. Templates use the `source` filter.
"""

from __future__ import annotations

import re

from flask_babel import get_locale

from core.i18n import _

__all__ = ["source_reference"]

_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_ROMAN = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"]
_PART = re.compile(r"^\s*(?:附件\s*(?P<annex>\d+)|(?P<main>正文))\s*(?P<rest>.*?)\s*$")


def _chinese_number(text: str) -> int | None:
    """一 … 十九 (the policy's section numbers) as an integer."""
    if not text or any(ch not in _NUMERALS for ch in text):
        return None
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _NUMERALS[text[1]] if len(text) == 2 else None
    if len(text) == 1:
        return _NUMERALS[text]
    if len(text) == 2 and text[1] == "十":
        return _NUMERALS[text[0]] * 10
    if len(text) == 3 and text[1] == "十":
        return _NUMERALS[text[0]] * 10 + _NUMERALS[text[2]]
    return None


def _english_clause(rest: str) -> str | None:
    """`一、1` → `I.1`, `四(二)` → `IV(2)`, `三(四)1` → `III(4)1`, `二` → `II`; None when not of that shape."""
    match = re.fullmatch(r"(?P<section>[一二三四五六七八九十]+)(?:[（(](?P<sub>[一二三四五六七八九十]+)[)）])?"
                         r"(?:[、.．]?(?P<item>\d+))?", rest.replace(" ", ""))
    if not match:
        return None
    section = _chinese_number(match["section"])
    if section is None or section >= len(_ROMAN):
        return None
    text = _ROMAN[section]
    if match["sub"]:
        sub = _chinese_number(match["sub"])
        if sub is None:
            return None
        text += f"({sub})"
    if match["item"]:
        text += ("" if match["sub"] else ".") + match["item"]
    return text


def source_reference(source: str | None) -> str:
    """A policy reference in the reader's language (Chinese as stored; English `Annex 3, I.1`)."""
    if not source:
        return ""
    source = str(source).strip().strip("[]［］")
    if not str(get_locale() or "zh_CN").startswith("en"):
        return source
    match = _PART.match(source)
    if not match:
        return source
    clause = _english_clause(match["rest"]) if match["rest"] else ""
    if clause is None:
        return source
    if match["annex"]:
        base = _("附件%(number)s", number=match["annex"])
    else:
        base = _("正文")
    return _("%(part)s，%(clause)s", part=base, clause=clause) if clause else base

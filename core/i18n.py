"""Translation helpers and locale-aware formatting: the one i18n module of the project."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from babel.lists import format_list
from flask import current_app, request, session
from flask_babel import format_currency, format_date, format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

__all__ = ["_", "_l", "ngettext", "LOCALES", "select_locale", "money", "datetime_local", "date_local"]

#: Locales offered to users, in the order shown by the language switch.
LOCALES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"


def normalise_locale(value: str | None) -> str | None:
    """Map a user-supplied locale (zh, zh-CN, en_US ...) onto one we support."""
    if not value:
        return None
    value = value.replace("-", "_").lower()
    if value.startswith("zh"):
        return "zh_CN"
    if value.startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    """?lang= (remembered in the session), then the account preference, then Accept-Language."""
    if request:
        chosen = normalise_locale(request.args.get("lang"))
        if chosen:
            session["lang"] = chosen
            return chosen
        remembered = normalise_locale(session.get("lang"))
        if remembered:
            return remembered
        if getattr(current_user, "is_authenticated", False) and current_user.locale:
            return current_user.locale
        best = request.accept_languages.best_match(["zh_CN", "zh", "zh_Hans_CN", "en"])
        return normalise_locale(best) or DEFAULT_LOCALE
    return current_app.config.get("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)


#: (locale, currency) → (positive prefix, suffix, negative prefix, suffix, group, decimal), or None: use Babel.
_MONEY_PATTERNS: dict[tuple[str, str], tuple[str, str, str, str, str, str] | None] = {}


def _money_pattern(locale: str, currency: str):
    """What Babel's currency format of `locale` puts around a number, found once (checked against Babel)."""
    key = (locale, currency)
    if key not in _MONEY_PATTERNS:
        from babel.numbers import format_currency as babel_currency
        from babel.numbers import get_currency_precision, get_decimal_symbol, get_group_symbol

        pattern = None
        group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
        number = f"1{group}234{group}567{decimal}89"
        positive = babel_currency(Decimal("1234567.89"), currency, locale=locale)
        negative = babel_currency(Decimal("-1234567.89"), currency, locale=locale)
        if get_currency_precision(currency) == 2 and number in positive and number in negative:
            pattern = (*positive.split(number, 1), *negative.split(number, 1), group, decimal)
            for probe in (0, 5, -7, 100, 19900, -123456, 98765432101):
                if _format_fen(probe, pattern) != babel_currency(Decimal(probe) / 100, currency, locale=locale):
                    pattern = None
                    break
        _MONEY_PATTERNS[key] = pattern
    return _MONEY_PATTERNS[key]


def _format_fen(fen: int, pattern) -> str:
    prefix, suffix, neg_prefix, neg_suffix, group, decimal = pattern
    units, cents = divmod(abs(fen), 100)
    number = f"{units:,}".replace(",", group) + f"{decimal}{cents:02d}"
    return f"{neg_prefix}{number}{neg_suffix}" if fen < 0 else f"{prefix}{number}{suffix}"


def money(fen: int | None, currency: str = "CNY") -> str:
    """Format an integer amount of fen for the active locale (¥199.00 / CN¥199.00).

    Babel's pattern is looked up once per locale and currency; the number is then formatted with integers
    (the same text as Babel's format_currency).
    """
    if fen is None:
        return "—"
    locale = str(get_locale() or DEFAULT_LOCALE)
    pattern = _money_pattern(locale, currency) if isinstance(fen, int) else None
    if pattern is None:
        return format_currency(Decimal(fen) / 100, currency)
    return _format_fen(fen, pattern)


#: One date style per locale, without seconds: 2026年12月2日 08:39 / 2 Dec 2026, 08:39 (never US 12/2/26).
DATE_PATTERNS = {"zh_CN": "y年M月d日", "en": "d MMM y"}
DATETIME_PATTERNS = {"zh_CN": "y年M月d日 HH:mm", "en": "d MMM y, HH:mm"}


def _pattern(patterns: dict[str, str]) -> str:
    locale = str(get_locale() or DEFAULT_LOCALE)
    return patterns.get(locale) or patterns["en" if locale.startswith("en") else DEFAULT_LOCALE]


def datetime_local(value: datetime | date | None, fmt: str = "medium") -> str:
    """A UTC timestamp in Asia/Shanghai, in the locale's one style (`fmt`, short/medium/long, is the same style)."""
    if value is None:
        return "—"
    if not isinstance(value, datetime):  # a calendar date given to the `dt` filter
        return date_local(value)
    return format_datetime(value, _pattern(DATETIME_PATTERNS))


def date_local(value: date | str | None, fmt: str = "medium") -> str:
    """A calendar date (a timestamp: its Shanghai day; an ISO `YYYY-MM-DD` string, as stored in JSON) in the
    locale's one style: 2026年12月2日 / 2 Dec 2026."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return format_date(value, _pattern(DATE_PATTERNS))


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a message for extraction without translating it now (it is translated when shown)."""
    return message


#: Prefix of a system-written text stored as message ids with parameters (see `stored_message`).
STORED_PREFIX = "i18n:"


def msgid_of(text) -> str:
    """The message id behind a lazy string (`_l("…")`), or the text itself."""
    args = getattr(text, "_args", None)
    return args[0] if args and isinstance(args[0], str) else str(text)


def message_node(msgid, **params) -> dict:
    """A message id (or lazy string) with parameters, as a node for `stored_message`/`stored_join`.

    A parameter is a literal (shown as is), a node (rendered in the reader's language), or a list node
    (`list_node`), joined the reader's way.
    """
    return {"id": msgid_of(msgid), "params": params}


def list_node(items, style: str = "standard") -> dict:
    return {"list": list(items), "style": style}


def stored_message(msgid, **params) -> str:
    """Encode a system-written text for storage; `render_stored` shows it in the reader's language."""
    return STORED_PREFIX + json.dumps(message_node(msgid, **params), ensure_ascii=False)


def stored_join(nodes, sep: str = "; ") -> str:
    """Encode several message nodes shown one after the other, separated by `sep`."""
    return STORED_PREFIX + json.dumps({"join": list(nodes), "sep": sep}, ensure_ascii=False)


def render_node(node) -> str:
    """Render a message node (see `message_node`) in the active locale."""
    if isinstance(node, dict):
        if "id" in node:
            text = _(node["id"])
            params = {k: render_node(v) if isinstance(v, dict) else v for k, v in (node.get("params") or {}).items()}
            try:
                return text % params if params else text
            except (KeyError, ValueError, TypeError):
                return text
        if "list" in node:
            return join_list([render_node(v) for v in node["list"]], node.get("style", "standard"))
        if "join" in node:
            return str(node.get("sep", "")).join(render_node(v) for v in node["join"])
    return "" if node is None else str(node)


def render_stored(value) -> str:
    """A stored system text in the reader's language: an encoded message, else a message id (older rows)."""
    if not isinstance(value, str) or not value:
        return "" if value is None else str(value)
    if value.startswith(STORED_PREFIX):
        try:
            return render_node(json.loads(value[len(STORED_PREFIX):]))
        except ValueError:
            return value
    return _(value)


def translate_stored(message: str, params: dict | None = None) -> str:
    """Translate a message id that was stored (notifications, audit) with its named parameters."""
    text = _(message)
    if params:
        params = {k: render_stored(v) if isinstance(v, str) and v.startswith(STORED_PREFIX) else v
                  for k, v in params.items()}
    if params and str(get_locale() or "").startswith("en"):
        # a parameter may carry its English form under "<name>_en" (a district's English name ...), and a
        # system-written parameter may itself be a message id (a reason marked with N_)
        params = {k: _(v) if isinstance(v, str) and v else v for k, v in params.items()}
        params.update({k[:-3]: v for k, v in params.items() if k.endswith("_en") and v})
    if params:
        try:
            return text % params
        except (KeyError, ValueError, TypeError):
            return text
    return text


def join_list(items, style: str = "standard") -> str:
    """Join words the way the active locale lists them (甲、乙和丙 / a, b, and c; style "or": 甲、乙或丙)."""
    words = [text for text in ("" if item is None else str(item) for item in items) if text]  # each str() once
    if not words:
        return ""
    return format_list(words, style=style, locale=get_locale() or DEFAULT_LOCALE)


def parenthesize(text) -> Markup:
    """An aside in the locale's parentheses: 「（家用）」 in Chinese, " (household)" in English (escaped once)."""
    if text is None:
        return Markup("")
    text = text if isinstance(text, Markup) else str(text)  # a lazy string is translated once
    if not text:
        return Markup("")
    locale = str(get_locale() or DEFAULT_LOCALE)
    pattern = _PAREN_PATTERNS.get(locale)
    if pattern is None:
        pattern = _PAREN_PATTERNS[locale] = escape(_("（%(text)s）")).replace("%(text)s", "{}")  # Markup
    return pattern.format(text)


#: locale → the escaped parentheses pattern of `parenthesize` (the catalogue does not change while running).
_PAREN_PATTERNS: dict[str, Markup] = {}

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


def money(fen: int | None, currency: str = "CNY") -> str:
    """Format an integer amount of fen for the active locale (¥199.00 / CN¥199.00)."""
    if fen is None:
        return "—"
    return format_currency(Decimal(fen) / 100, currency)


def datetime_local(value: datetime | None, fmt: str = "medium") -> str:
    """Show a UTC timestamp in Asia/Shanghai, formatted for the active locale."""
    if value is None:
        return "—"
    return format_datetime(value, fmt)


def date_local(value: date | None, fmt: str = "medium") -> str:
    """Format a calendar date for the active locale."""
    if value is None:
        return "—"
    return format_date(value, fmt)


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
    words = [str(item) for item in items if item not in (None, "")]
    if not words:
        return ""
    return format_list(words, style=style, locale=get_locale() or DEFAULT_LOCALE)


def parenthesize(text) -> Markup:
    """An aside in the locale's parentheses: 「（家用）」 in Chinese, " (household)" in English (escaped once)."""
    if text in (None, ""):
        return Markup("")
    pattern = escape(_("（%(text)s）")).replace("%(text)s", "{}")  # escape() returns Markup
    return pattern.format(text)

"""HTTP plumbing: error pages and JSON errors, security headers, template helpers."""

from __future__ import annotations

import math
import secrets
import time
from urllib.parse import urlencode

from flask import g, jsonify, make_response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from core import nav
from core.db import db
from core.errors import DomainError, EditConflict
from core.extensions import limiter
from core.i18n import LOCALES, _, date_local, datetime_local, join_list, money, ngettext, parenthesize, render_stored
from core.notifications import unread_count
from core.permissions import Role, wants_json
from core.policy_source import source_reference
from core.request_args import BoundedIntConverter


def _error_text(code: int) -> tuple[str, str]:
    titles = {
        400: _("请求有误"), 401: _("需要登录"), 403: _("无权访问"), 404: _("页面不存在"),
        405: _("不支持的请求方法"), 409: _("操作冲突"), 413: _("文件过大"), 429: _("请求过于频繁"),
        500: _("服务器内部错误"),
    }
    messages = {
        400: _("请求无法处理，请检查输入后重试。"),
        401: _("请先登录。"),
        403: _("您没有访问此页面的权限。"),
        404: _("您要找的页面不存在，可能已被移动或删除。"),
        405: _("此地址不支持该请求方法。"),
        409: _("当前状态不允许此操作。"),
        413: _("上传的文件超过 10 MB 上限。"),
        429: _("请求过于频繁，请稍后再试。"),
        500: _("服务器出现意外错误，我们已记录。请稍后再试。"),
    }
    return titles.get(code, _("错误")), messages.get(code, _("请求无法处理。"))


def error_response(code: int, message: str | None = None, *, error_code: str | None = None,
                   field: str | None = None):
    """A JSON error under /api/, an error page elsewhere; neither writes the session (see ErrorSafeSessionInterface)."""
    g.error_response = True
    title, default_message = _error_text(code)
    if wants_json():
        body = {"error": {"code": error_code or _json_code(code), "message": message or default_message}}
        if field:
            body["error"]["field"] = field
        return jsonify(body), code
    return render_template("errors/error.html", code=code, title=title,
                           message=message or default_message), code


def _json_code(code: int) -> str:
    return {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 409: "conflict", 413: "too_large", 429: "rate_limited",
            500: "server_error"}.get(code, "error")


def configure_converters(app) -> None:
    """Hostile URLs are refused before any view runs (call before registering blueprints).

    `<int:...>` everywhere is bounded to database integers (2**31 or more is a 404), and a NUL byte in
    the path or the query string (which PostgreSQL refuses in any text) is a 400.
    """
    app.url_map.converters["int"] = BoundedIntConverter

    @app.before_request
    def _refuse_nul():
        if "\x00" in request.path or any("\x00" in key or "\x00" in value
                                          for key, value in request.args.items(multi=True)):
            return error_response(400, _("地址或查询参数中含有无效字符。"))
        return None


class ErrorSafeSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions that an error page never writes.

    An error page (a 404 for a missing /apple-touch-icon.png, a 403, a 429 ...) would otherwise re-issue the cookie
    whenever rendering it touched the session: popping a pending flash message, creating a CSRF token for the
    menu's logout form, restoring a login from the remember-me cookie or remembering `?lang=`. A browser that
    fetches such a URL alongside a page then replaces the page's cookie, and the page's form fails with
    "form expired". The browser's cookie is left as it was; what was pending (a flash) shows on the next page.
    """

    def save_session(self, app, session, response) -> None:
        if g.get("error_response"):
            return
        super().save_session(app, session, response)


def retry_after_seconds(exc: HTTPException) -> int | None:
    """How long a refused (429) client must wait: the breached limit's reset, else the Retry-After header."""
    seconds = None
    if isinstance(exc, RateLimitExceeded) and limiter.current_limit is not None:
        try:
            seconds = limiter.current_limit.reset_at - time.time()
        except Exception:  # noqa: BLE001 - storage unreachable: fall back to the header
            seconds = None
    if seconds is None:
        header = dict(exc.get_headers()).get("Retry-After") or getattr(exc, "retry_after", None)
        try:
            seconds = float(header) if header is not None else None
        except (TypeError, ValueError):
            seconds = None
    return max(1, math.ceil(seconds)) if seconds is not None else None


def _too_many_requests_message(exc: HTTPException, seconds: int | None) -> str:
    custom = getattr(getattr(exc, "limit", None), "error_message", None)
    custom = custom() if callable(custom) else custom
    if seconds is None:
        return str(custom or _("请求过于频繁，请稍后再试。"))
    first = custom or _("请求过于频繁。")
    wait = ngettext("请在 %(num)d 秒后重试。", "请在 %(num)d 秒后重试。", seconds)
    return _("%(reason)s%(wait)s", reason=first, wait=wait)


def configure_errors(app) -> None:
    """Error pages in both languages; JSON errors under /api/. Error responses never write the session."""
    app.session_interface = ErrorSafeSessionInterface()

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        message = None
        seconds = None
        if exc.code == 400 and exc.description and "CSRF" in str(exc.description):
            message = _("表单已过期或缺少安全令牌，请刷新页面后重试。")
        if exc.code == 429:
            seconds = retry_after_seconds(exc)
            message = _too_many_requests_message(exc, seconds)
        response = make_response(error_response(exc.code or 500, message))
        for name, value in exc.get_headers():  # e.g. `Allow` of a 405, `Retry-After` of a 429
            if name.lower() != "content-type":
                response.headers[name] = value
        if seconds is not None and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(seconds)
        return response

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return error_response(exc.status_code, exc.message, error_code=exc.code, field=exc.field)

    @app.errorhandler(StaleDataError)
    def stale_data(_exc: StaleDataError):
        """A versioned row changed under a concurrent request: a conflict to retry, not a server error."""
        db.session.rollback()
        conflict = EditConflict()
        return error_response(conflict.status_code, conflict.message, error_code=conflict.code)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        app.logger.exception("Unhandled error on %s", request.path)
        db.session.rollback()
        return error_response(500)

    @app.after_request
    def _error_pages_keep_cookies(response):
        """No error response re-issues a cookie (Flask-Login's remember-me cookie included)."""
        if g.get("error_response"):
            response.headers.remove("Set-Cookie")
        return response


def configure_security_headers(app) -> None:
    """CSP without inline scripts, no framing, no sniffing, strict referrer."""

    @app.before_request
    def _nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def _headers(response):
        if request.path.startswith("/_stripe"):
            return response
        # a page whose form is answered by a redirect to another origin (paying: the provider's hosted
        # checkout) names that origin in g.csp_form_targets; browsers apply form-action to the redirect too
        targets = " ".join(["'self'", *g.get("csp_form_targets", ())])
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"font-src 'self'; object-src 'none'; base-uri 'self'; form-action {targets}; "
            "frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def configure_templates(app) -> None:
    """Filters and globals every template may use."""
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["dt"] = datetime_local
    app.jinja_env.filters["d"] = date_local
    app.jinja_env.filters["join_list"] = join_list
    app.jinja_env.filters["paren"] = parenthesize
    app.jinja_env.filters["stored"] = render_stored
    app.jinja_env.filters["source"] = source_reference
    app.jinja_env.filters["title_of"] = lambda key, titles: titles.get(key, key)

    @app.context_processor
    def _globals():
        locale = str(get_locale() or "zh_CN")
        unread = unread_count(current_user) if current_user.is_authenticated else 0
        args = request.args.to_dict() if request else {}

        def url_with_lang(lang: str) -> str:
            return request.path + "?" + urlencode({**args, "lang": lang})

        return {"current_locale": locale, "url_with_lang": url_with_lang, "locales": LOCALES, "Role": Role,
                "nav_items": nav.items_for(current_user), "menu": nav.menu_for(current_user),
                "footer_items": nav.footer_items(),
                "unread_notifications": unread, "html_lang": "en" if locale == "en" else "zh-CN"}

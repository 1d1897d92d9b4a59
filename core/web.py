"""HTTP plumbing: error pages and JSON errors, security headers, template helpers."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from flask import g, jsonify, make_response, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from core import nav
from core.db import db
from core.errors import DomainError, EditConflict
from core.i18n import LOCALES, _, date_local, datetime_local, join_list, money, parenthesize, render_stored
from core.notifications import unread_count
from core.permissions import Role, wants_json
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
    """A JSON error under /api/, an error page elsewhere."""
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


def configure_errors(app) -> None:
    """Error pages in both languages; JSON errors under /api/."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        message = None
        if exc.code == 400 and exc.description and "CSRF" in str(exc.description):
            message = _("表单已过期或缺少安全令牌，请刷新页面后重试。")
        if exc.code == 429:
            message = _("请求过于频繁，请稍后再试。")
        response = make_response(error_response(exc.code or 500, message))
        for name, value in exc.get_headers():  # e.g. `Allow` of a 405, `Retry-After` of a 429
            if name.lower() != "content-type":
                response.headers[name] = value
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
    app.jinja_env.filters["title_of"] = lambda key, titles: titles.get(key, key)

    @app.context_processor
    def _globals():
        locale = str(get_locale() or "zh_CN")
        unread = unread_count(current_user) if current_user.is_authenticated else 0
        args = request.args.to_dict() if request else {}

        def url_with_lang(lang: str) -> str:
            return request.path + "?" + urlencode({**args, "lang": lang})

        return {"current_locale": locale, "url_with_lang": url_with_lang, "locales": LOCALES, "Role": Role,
                "nav_items": nav.items_for(current_user), "footer_items": nav.footer_items(),
                "unread_notifications": unread, "html_lang": "en" if locale == "en" else "zh-CN"}

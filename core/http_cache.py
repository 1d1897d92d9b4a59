"""Conditional GET for answers whose bytes follow from a few known facts (ETag, Last-Modified, 304, Cache-Control).

A view names the facts its bytes depend on (a list version's id and time, the announcements shown ...) and gives a
function that renders the body. `cached_response` adds the rest of what changes the bytes (the locale, the whole
query string, the build: templates, static files and compiled translations) and then

- for an anonymous viewer without pending flashes: a strong ETag from those facts, answered 304 without rendering
  when If-None-Match matches (If-Modified-Since only when there is no If-None-Match), the rendered bytes kept in a
  small in-process LRU under that ETag, and `Cache-Control: public, max-age=60`;
- for a logged-in viewer (or one with flashed messages waiting): the page is rendered, its ETag is the hash of
  its bytes, and `Cache-Control: private, no-cache`.

Either way the answer varies on Accept-Language and Cookie, and an answer that writes the session (``?lang=``
remembers the language, a flash is read) is never `public`: it is downgraded to `private` after the view.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from flask import Response, after_this_request, current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

PUBLIC = "public, max-age=60"
PRIVATE = "private, no-cache"
VARY = ("Accept-Language", "Cookie")


class LRU:
    """A bounded, thread-safe mapping: the least recently used entry goes first."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get_or_make(self, key, make: Callable[[], object]):
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


#: Rendered bodies of anonymous answers, by ETag (the ETag names everything the bytes depend on).
BODIES = LRU(256)


def build_version() -> str:
    """What identifies the running build: BUILD_VERSION if configured, plus the content of the templates, static
    files and translations (relative paths and bytes: the same on every worker and host running the same code),
    computed once per application."""
    app = current_app._get_current_object()
    cached = app.extensions.get("http_cache_build")
    if cached is None:
        digest = hashlib.sha256(str(app.config.get("BUILD_VERSION") or "").encode())
        folders = [app.template_folder or "templates", app.static_folder or "static",
                   *(app.config.get("BABEL_TRANSLATION_DIRECTORIES") or "translations").split(";")]
        roots = sorted({Path(app.root_path, folder) for folder in folders})  # an absolute folder stays as it is
        for root in roots:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                digest.update(f"{path.relative_to(root)}\0".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
        cached = app.extensions["http_cache_build"] = digest.hexdigest()[:16]
    return cached


def _query_key() -> tuple:
    """The whole query string (sorted): links on the page repeat it (the language switch keeps every argument)."""
    return tuple(sorted(request.args.items(multi=True)))


def etag_of(parts: Iterable, *, localised: bool = True) -> str:
    """A strong ETag (without quotes) naming `parts`, the locale (if `localised`), the query string and the build."""
    key = repr((tuple(parts), str(get_locale() or "") if localised else "", _query_key(), build_version()))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _seconds(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.replace(microsecond=0)


def not_modified(etag: str, last_modified: datetime | None) -> bool:
    """Would a conditional GET be answered 304? If-None-Match decides when sent, else If-Modified-Since."""
    if request.method not in ("GET", "HEAD"):
        return False
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    moment = _seconds(last_modified)
    return since is not None and moment is not None and moment <= since


def is_personal() -> bool:
    """Does the answer depend on who asks (logged in, or flashed messages waiting to be shown)?"""
    return bool(getattr(current_user, "is_authenticated", False)) or "_flashes" in session


def _headers(response: Response, etag: str, last_modified: datetime | None, cache_control: str,
             vary: Iterable[str] = VARY) -> Response:
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = _seconds(last_modified)
    response.headers["Cache-Control"] = cache_control
    response.vary.update(vary)

    @after_this_request
    def _never_public_with_a_cookie(resp: Response) -> Response:
        if session.modified and resp.headers.get("Cache-Control", "").startswith("public"):
            resp.headers["Cache-Control"] = PRIVATE
        return resp

    return response


def _not_modified_response(etag: str, last_modified: datetime | None, cache_control: str,
                           vary: Iterable[str] = VARY) -> Response:
    response = Response(status=304)
    return _headers(response, etag, last_modified, cache_control, vary)


def cached_response(parts: Iterable, render: Callable[[], str | bytes], *, last_modified: datetime | None = None,
                    mimetype: str = "text/html", store: bool = True, local: object = None,
                    shared: bool = False) -> Response:
    """The answer of a GET whose bytes are `render()`, with validators and caching headers (see the module).

    `parts` must name everything else the bytes depend on; `store` keeps anonymous bodies in the LRU, under the
    ETag and `local` (a process-local generation: never part of the ETag, which every worker must agree on).
    `shared`: the bytes are the same for everyone in every language (the open JSON API): always public, no Vary.
    """
    vary = () if shared else VARY
    if not shared and is_personal():
        body = render()
        data = body.encode() if isinstance(body, str) else body
        etag = hashlib.sha256(data).hexdigest()[:32]
        if not_modified(etag, last_modified):
            return _not_modified_response(etag, last_modified, PRIVATE)
        return _headers(Response(data, mimetype=mimetype), etag, last_modified, PRIVATE)
    etag = etag_of((mimetype, *parts), localised=not shared)
    if not_modified(etag, last_modified):
        return _not_modified_response(etag, last_modified, PUBLIC, vary)
    data = BODIES.get((etag, local)) if store else None
    if data is None:
        body = render()
        data = body.encode() if isinstance(body, str) else body
        if store:
            BODIES.put((etag, local), data)
    return _headers(Response(data, mimetype=mimetype), etag, last_modified, PUBLIC, vary)

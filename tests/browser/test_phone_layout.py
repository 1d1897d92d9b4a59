"""On a phone (390 px) no page is wider than the screen, for every role, in both languages.

For each demo role the test opens the home page, every page of the role's menu, and the first detail page
linked from each of them (an order, a case, a product ...), and measures the document's width. A table may
scroll inside its own frame; the page itself must not.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.crawl import ROLES

PHONE = {"width": 390, "height": 844}
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - the published demo password
SKIP = ("/logout", "/static", "/bootstrap", "/_stripe", "/api/")

MENU_LINKS = """() => [...document.querySelectorAll('header a[href^="/"], nav.navbar a[href^="/"]')]
    .map(a => a.getAttribute('href'))"""
DETAIL_LINK = """() => { const a = document.querySelector(
    'main table a[href^="/"], main .list-group a[href^="/"], main article a[href^="/"]');
    return a ? a.getAttribute('href') : null; }"""
OVERFLOW = """() => { const w = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('main *')].filter(e => {
        const r = e.getBoundingClientRect(); return r.right > w + 1 && !e.closest('.table-responsive, pre');
    }).slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : ''));
    return {scroll: document.documentElement.scrollWidth, width: w, wide}; }"""


@pytest.fixture
def indexed_demo(app, demo):
    assert app.test_cli_runner().invoke(args=["search", "reindex"]).exit_code == 0


def wanted(href: str | None) -> bool:
    return bool(href) and not href.startswith(SKIP) and "lang=" not in href


def measure(page, base: str, path: str, seen: set[str], who: str) -> list[str]:
    """Open `path` and report it when the document is wider than the viewport."""
    seen.add(path)
    page.goto(base + path, wait_until="load")
    measured = page.evaluate(OVERFLOW)
    if measured["scroll"] > measured["width"] + 1:
        return [f"{who} {path}: {measured['scroll']} px {measured['wide']}"]
    return []


def test_no_page_is_wider_than_a_phone(live_server, browser, indexed_demo):
    too_wide: list[str] = []
    for role in ROLES:
        for locale in ("zh-CN", "en"):
            context = browser.new_context(locale=locale, viewport=PHONE,
                                          extra_http_headers={"Accept-Language": locale})
            page = context.new_page()
            try:
                if role:
                    page.goto(live_server + "/login")
                    page.fill("input[name=identifier]", role)
                    page.fill("input[name=password]", DEMO_PASSWORD)
                    page.click("main button[type=submit]")
                page.goto(live_server + "/")
                menu = [h for h in dict.fromkeys(page.evaluate(MENU_LINKS)) if wanted(h)]
                seen: set[str] = set()
                who = f"{role or 'anonymous'} {locale}"
                for href in ["/", *menu]:
                    if href in seen:
                        continue
                    too_wide += measure(page, live_server, href, seen, who)
                    detail = page.evaluate(DETAIL_LINK)
                    if wanted(detail):
                        detail = urlsplit(detail)._replace(fragment="").geturl()
                        if detail not in seen:
                            too_wide += measure(page, live_server, detail, seen, who)
            finally:
                context.close()
    assert not too_wide, "\n".join(too_wide)

"""axe-core over the main public pages, in both languages, on a phone and on a desktop.

The build fails on any serious or critical violation (missing names, contrast, landmarks, ARIA misuse ...).
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from catalog.models import Product
from registry.lists.models import ListVersionItem
from suppliers.models import Supplier

BLOCKING = {"serious", "critical"}
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LOCALES = {"zh": "zh-CN", "en": "en"}


@pytest.fixture
def indexed_demo(app, demo):
    assert app.test_cli_runner().invoke(args=["search", "reindex"]).exit_code == 0


def public_pages(db) -> list[str]:
    item = db.session.scalars(select(ListVersionItem).order_by(ListVersionItem.id)).first()
    product_ids = db.session.scalars(select(ListVersionItem.product_id).distinct().limit(3)).all()
    supplier = db.session.get(Supplier, item.supplier_id)
    product = db.session.get(Product, item.product_id)
    return [
        "/", "/districts", "/districts/500103", "/districts/500103/versions", "/announcements",
        "/search", f"/search?q={product.brand}", f"/products/{product.id}",
        "/compare?" + "&".join(f"ids={pid}" for pid in product_ids),
        f"/suppliers/{supplier.id}", "/cases/typical", "/report", "/api", "/login", "/register",
        "/no-such-page",
    ]


def blocking_violations(results) -> list[str]:
    found = []
    for violation in results.response.get("violations", []):
        if violation.get("impact") in BLOCKING:
            targets = [", ".join(node.get("target", [])) for node in violation.get("nodes", [])[:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def test_public_pages_have_no_serious_accessibility_violations(live_server, browser, indexed_demo, db):
    axe = Axe()
    pages = public_pages(db)
    failures: dict[str, list[str]] = {}
    for lang, locale in LOCALES.items():
        for width_name, viewport in WIDTHS.items():
            context = browser.new_context(locale=locale, viewport=viewport, bypass_csp=True,
                                          extra_http_headers={"Accept-Language": locale})
            page = context.new_page()
            try:
                for path in pages:
                    page.goto(live_server + path)
                    problems = blocking_violations(axe.run(page))
                    if problems:
                        failures[f"{lang} {width_name} {path}"] = problems
            finally:
                context.close()
    assert not failures, "\n".join(f"{where}: {p}" for where, problems in failures.items() for p in problems)


def test_the_checker_does_find_a_serious_violation(live_server, browser, db):
    """The check above can fail: an image without a text alternative and an unnamed button are caught."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(live_server + "/login")
        page.evaluate("""() => {
            const img = document.createElement('img'); img.src = '/static/none.png';
            const button = document.createElement('button');
            document.querySelector('main').append(img, button);
        }""")
        problems = blocking_violations(Axe().run(page))
    finally:
        context.close()
    assert any(p.startswith("image-alt") for p in problems)
    assert any(p.startswith("button-name") for p in problems)

"""Every page, for every role, in English: the only Chinese left is data (names, addresses, models ...)."""

import re
from html import unescape

import pytest
from sqlalchemy import String, Text, select

from core.accounts.models import User
from core.db import db as _db
from registry.lists.models import ListVersion
from tests.conftest import login
from tests.crawl import EXAMPLE_PAGES, ROLES, page_urls

CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]+")
PUNCTUATION = re.compile(r"[\uff01-\uff5e\u3000-\u303f]+")
#: The language switch names itself in its own language; the API documentation glosses policy terms.
ALLOWED = {"中文", "公告", "目录清单", "附件3"}


def _data_text() -> str:
    """All text stored in the database, joined: Chinese found in it on a page is data, not interface."""
    parts = []
    for table in _db.metadata.sorted_tables:
        # encrypted columns (core.crypto.EncryptedString) read back decrypted: their text is data too
        columns = [c for c in table.columns
                   if isinstance(c.type, String | Text) or isinstance(getattr(c.type, "impl", None), String)]
        if columns:
            for row in _db.session.execute(select(*columns)):
                parts.extend(str(v) for v in row if v)
    parts.extend(str(snapshot) for snapshot in _db.session.scalars(select(ListVersion.snapshot)))
    return "\n".join(parts)


def html_text(html: str) -> str:
    """The page's text: tags become line breaks, entities are decoded."""
    return unescape(re.sub(r"<[^>]+>", "\n", html))


@pytest.mark.parametrize("email", ROLES)
def test_english_pages_show_no_untranslated_interface_text(app, client, db, demo, email):
    if email:
        user = db.session.scalar(select(User).where(User.email == email))
        user.locale = "en"
        db.session.commit()
        login(client, user)
    data = _data_text()
    leaks = {}
    for url in page_urls(app) + EXAMPLE_PAGES:
        english = url + ("&" if "?" in url else "?") + "lang=en"
        with client.get(english, headers={"Accept-Language": "en"}) as response:
            if response.status_code != 200 or not response.mimetype.startswith("text/html"):
                continue
            html = re.sub(r"<script.*?</script>", "", response.get_data(as_text=True), flags=re.S)
        text = html_text(html)
        for match in CJK.finditer(text):
            run = match.group()
            if run in ALLOWED:
                continue
            # punctuation alone ("（", "、") is data only when it sits in data, e.g. "中心（CCC）"
            seen = text[max(0, match.start() - 4):match.end()] if PUNCTUATION.fullmatch(run) else run
            if seen not in data:
                leaks.setdefault(seen, url)
    assert not leaks, "\n".join(f"{url}: {run}" for run, url in sorted(leaks.items()))

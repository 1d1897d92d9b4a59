"""Every form field on every page, for every role, has a label a screen reader can announce."""

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from core.accounts.models import User
from tests.conftest import login
from tests.crawl import ROLES, page_urls

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class FieldCollector(HTMLParser):
    """Collects form fields, the ids that labels point at, and fields wrapped inside a label."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.open_labels = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and attributes.get("type", "text") in UNLABELLED_TYPES:
                return
            self.fields.append({**attributes, "_tag": tag, "_wrapped": self.open_labels > 0})

    def handle_endtag(self, tag):
        if tag == "label" and self.open_labels:
            self.open_labels -= 1

    def unlabelled(self) -> list[str]:
        return [f"{f['_tag']} name={f.get('name')}" for f in self.fields
                if not (f["_wrapped"] or f.get("aria-label") or f.get("aria-labelledby")
                        or (f.get("id") and f["id"] in self.label_for))]


@pytest.mark.parametrize("email", ROLES)
def test_every_form_field_is_labelled(app, client, db, demo, email):
    if email:
        login(client, db.session.scalar(select(User).where(User.email == email)))
    problems = []
    for url in page_urls(app):
        with client.get(url) as response:
            if response.status_code != 200 or not response.mimetype.startswith("text/html"):
                continue
            collector = FieldCollector()
            collector.feed(response.get_data(as_text=True))
        problems += [f"{url}: {field}" for field in collector.unlabelled()]
    assert not problems, "\n".join(sorted(set(problems)))

"""Publishing asks for confirmation on a page with the diff; an unchanged list is refused; plain-language problems."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.permissions import Role
from registry.lists import queries
from registry.lists import services as list_services
from registry.lists.models import ListVersion
from tests.conftest import district, login, make_user
from tests.registry.factories import make_full_supplier, make_official, make_product, make_supplier
from tests.registry.helpers import admit, open_call, published_list

URL = "/official/districts/500103/list"


def _versions() -> int:
    return db.session.scalar(select(func.count(ListVersion.id)))


def _digest(page: str) -> str:
    return re.search(r'name="confirm" value="([0-9a-f]+)"', page).group(1)


def test_unchanged_list_is_refused_by_the_service():
    official, _suppliers, _version = published_list()
    with pytest.raises(list_services.PublicationUnchanged) as refused:
        list_services.publish_list(district("500103"), actor=official)
    assert "与当前版本相同" in refused.value.message
    db.session.rollback()
    assert _versions() == 1


def test_unchanged_list_is_refused_on_the_page(client):
    official, _suppliers, _version = published_list()
    login(client, official)
    page = client.post(URL, data={"seen_number": "1", "exception_reason": ""}).get_data(as_text=True)
    assert "与当前版本相同" in page and "确认公布目录清单" not in page
    assert _versions() == 1


def test_publishing_shows_the_diff_then_publishes_after_confirming(client):
    official, _suppliers, _version = published_list()
    call = open_call(official)
    newcomer, products = make_full_supplier()
    admit(call, official, newcomer, products)
    login(client, official)
    first = client.post(URL, data={"seen_number": "1", "exception_reason": ""})
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and "确认公布目录清单" in page
    assert f"新增单位：{newcomer.legal_name}" in page and "将生成第 2 版" in page
    assert _versions() == 1  # nothing written yet
    done = client.post(URL, data={"seen_number": "1", "exception_reason": "", "confirm": _digest(page)})
    assert done.status_code == 302
    assert queries.current_version(district("500103")).number == 2
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "list.version_published")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.actor_id == official.id
    assert "目录清单第 2 版已公布" in client.get(URL).get_data(as_text=True)


def test_a_list_changed_after_the_confirmation_page_is_not_published(client):
    official, _suppliers, _version = published_list()
    call = open_call(official)
    newcomer, products = make_full_supplier()
    admit(call, official, newcomer, products)
    login(client, official)
    digest = _digest(client.post(URL, data={"seen_number": "1"}).get_data(as_text=True))
    late, late_products = make_full_supplier()
    admit(call, official, late, late_products)
    page = client.post(URL, data={"seen_number": "1", "confirm": digest}, follow_redirects=True).get_data(as_text=True)
    assert "您确认之后候选名单又有变化" in page
    assert _versions() == 1


def official_with_candidates(client, count: int):
    """An official of 渝中区, logged in, with `count` complete suppliers admitted from a call (nothing published)."""
    official = make_official()
    call = open_call(official)
    for _i in range(count):
        supplier, products = make_full_supplier()
        admit(call, official, supplier, products)
    login(client, official)
    return official


def test_the_confirmation_keeps_the_exception_reason(client):
    official_with_candidates(client, 2)
    reason = "本区县仅两家单位具备资质"
    page = client.post(URL, data={"seen_number": "0", "exception_reason": reason}).get_data(as_text=True)
    assert "这将是本区县第一次公布目录清单" in page and reason in page
    assert client.post(URL, data={"seen_number": "0", "exception_reason": reason,
                                  "confirm": _digest(page)}).status_code == 302
    assert queries.current_version(district("500103")).exception_reason == reason


def test_a_regulator_cannot_confirm(client):
    published_list()
    login(client, make_user(Role.regulator))
    assert client.post(URL, data={"seen_number": "1", "confirm": "abc"}).status_code == 403
    assert _versions() == 1


def test_problems_show_plain_words_and_the_source_never_rule_ids(client):
    official = make_official()
    call = open_call(official)
    supplier = make_supplier()
    admit(call, official, supplier, [make_product(supplier)])
    login(client, official)
    page = client.post(URL, data={"exception_reason": ""}).get_data(as_text=True)
    assert "list." not in re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert "入选单位原则上不少于 3 家" in page and "依据 附件1 四(二)" in page
    english = client.post(URL + "?lang=en", data={"exception_reason": ""}).get_data(as_text=True)
    assert "Annex 1, IV(2)" in english and "附件1" not in english
    assert "The list has only 1 seller/installer;" in english and "2 issues found:" in english
    assert "list.min_suppliers" not in english


def test_counts_in_english_are_singular_or_plural(client):
    official_with_candidates(client, 2)
    english = client.post(URL + "?lang=en", data={"exception_reason": ""}).get_data(as_text=True)
    assert "The list has only 2 sellers/installers;" in english and "(s)" not in english
    assert "1 issue found:" in english


def test_public_page_of_a_list_below_minimum_shows_no_rule_ids(client):
    official, suppliers, _version = published_list()
    list_services.remove_supplier(district("500103"), suppliers[0][0], actor=official, reason="违规")
    db.session.commit()
    page = client.get("/districts/500103").get_data(as_text=True)
    assert "本清单目前不符合公布的最低要求" in page and "list.min_suppliers" not in page
    assert "入选单位原则上不少于 3 家" in page
    english = client.get("/districts/500103?lang=en").get_data(as_text=True)
    assert "Annex 1, IV(2)" in english and "附件" not in english

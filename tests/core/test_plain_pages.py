"""Plain-language helpers and pages: policy references, the one-row menu, the privacy notice, the password rule."""

import pytest
from flask import url_for
from flask_babel import force_locale

from core import nav
from core.permissions import Role
from core.policy_source import source_reference


@pytest.mark.parametrize(("stored", "english"), [
    ("附件3 一、1", "Annex 3, I.1"), ("附件3 二", "Annex 3, II"), ("附件3 二、4", "Annex 3, II.4"),
    ("附件1 四(二)", "Annex 1, IV(2)"), ("[附件1 四(五)]", "Annex 1, IV(5)"), ("正文 三(四)1", "Main text, III(4)1"),
    ("附件1 六(四)", "Annex 1, VI(4)"), ("附件1", "Annex 1"),
])
def test_policy_references_in_the_readers_language(app, stored, english):
    with app.test_request_context(), force_locale("en"):
        assert source_reference(stored) == english
    with app.test_request_context(), force_locale("zh_CN"):
        assert source_reference(stored) == stored.strip("[]")


def test_an_unknown_reference_is_shown_as_stored(app):
    with app.test_request_context(), force_locale("en"):
        assert source_reference("SAMR Order 121") == "SAMR Order 121" and source_reference(None) == ""


@pytest.mark.parametrize("role", [Role.regulator, Role.admin, Role.supplier, Role.district_official,
                                  Role.inspector, Role.resident])
def test_menu_row_fits_its_budget_in_both_languages(app, as_user, role, client):
    user = as_user(role, districts=("500103",) if role in (Role.district_official, Role.inspector) else ())
    for lang in ("zh_CN", "en"):
        with app.test_request_context(f"/?lang={lang}"), force_locale(lang):
            menu = nav.menu_for(user)
            shown = sum(nav.label_width(str(i.label)) + nav.ENTRY_PADDING_PX for i in menu.shown)
            assert shown + (nav.MORE_BUTTON_PX if menu.more else 0) <= nav.ROW_BUDGET_PX["user"]
            assert {i.endpoint for i in menu.shown + menu.more} == {i.endpoint for i in nav.items_for(user)}
            more = [url_for(i.endpoint) for i in menu.more]
        page = client.get(f"/?lang={lang}").get_data(as_text=True)
        if more:  # the rest is one click away, in a <details> that needs no JavaScript
            dropdown = page[page.index('<details class="nav-details">'):page.index("</details>")]
            assert all(f'href="{url}"' in dropdown for url in more)


def test_regulator_reaches_every_entry_and_account_items_sit_in_the_user_menu(client, as_user):
    as_user(Role.regulator)
    page = client.get("/?lang=en").get_data(as_text=True)
    for path in ("/regulator/cases", "/regulator/price-flags", "/audit", "/districts", "/account"):
        assert f'href="{path}' in page, path
    user_menu = page[page.index("nav-user"):]
    assert "My account" in user_menu and "Log out" in user_menu


def test_privacy_notice_is_public_and_linked(client):
    page = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "What we collect" in page and "Who can see it" in page and "How long it is kept" in page
    for url in ("/register", "/suppliers/register", "/"):
        assert 'href="/privacy"' in client.get(url).get_data(as_text=True), url


def test_registration_states_the_password_rule_and_starts_with_no_district(client):
    page = client.get("/register").get_data(as_text=True)
    assert "10 到 128 个字符" in page and "不能是常见密码" in page
    select = page[page.index('name="home_district"'):]
    assert select.index('value=""') < select.index("</option>") and "请选择" in select[:300]
    refused = client.post("/register", data={"resident_kind": "household", "display_name": "王五",
                                             "email": "w@example.test", "password": "a-long-passphrase",
                                             "confirm": "a-long-passphrase", "building_over_100m": "no"})
    assert refused.status_code == 200 and "请选择所在区县。" in refused.get_data(as_text=True)
    english = client.get("/suppliers/register?lang=en").get_data(as_text=True)
    assert "10 to 128 characters" in english

"""Language choice and complete English."""

import re

import pytest

from core.permissions import Role

CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]+")
#: Chinese that may legitimately appear on an English page: the language switch's own name.
ALLOWED_CJK = {"中文"}


def untranslated(html: str) -> set[str]:
    """Chinese runs left on a page once scripts and the language switch are set aside."""
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    return {run for run in CJK.findall(text)} - ALLOWED_CJK


def test_default_is_chinese(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "燃气安全装置服务平台" in page


def test_lang_parameter_switches_and_is_remembered(client):
    assert '<html lang="en">' in client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in client.get("/login?lang=zh_CN").get_data(as_text=True)


def test_accept_language_is_used_without_a_choice(client):
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_account_preference_beats_accept_language(client, as_user):
    as_user(Role.resident, locale="en")
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_saving_preference_updates_account(client, as_user, db):
    user = as_user(Role.resident)
    client.post("/account/locale", data={"locale": "en"})
    db.session.refresh(user)
    assert user.locale == "en"


@pytest.mark.parametrize("url", ["/", "/login", "/register", "/suppliers/register", "/does-not-exist"])
def test_public_pages_have_no_untranslated_chinese_in_english(client, url):
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert untranslated(page) == set()


@pytest.mark.parametrize("role,url", [(Role.admin, "/admin/users"), (Role.admin, "/admin/users/new"),
                                      (Role.regulator, "/audit"), (Role.resident, "/account"),
                                      (Role.resident, "/notifications")])
def test_logged_in_pages_have_no_untranslated_chinese_in_english(client, as_user, role, url):
    as_user(role, display_name="Tester", locale="en")
    page = client.get(url).get_data(as_text=True)
    assert untranslated(page) == set()


def test_form_errors_are_translated(client):
    page = client.post("/register?lang=en", data={"resident_kind": "household"}).get_data(as_text=True)
    assert "This field is required" in page
    assert untranslated(page) == set()


def test_every_message_has_an_english_translation():
    """Each extracted msgid is translated (non-empty, not fuzzy) in its domain's English catalogue."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    from core.config import PROJECT_ROOT, TRANSLATION_DOMAINS

    translated: dict[str, str] = {}
    for domain in TRANSLATION_DOMAINS:
        po = PROJECT_ROOT / "translations" / "en" / "LC_MESSAGES" / f"{domain}.po"
        if po.exists():
            with po.open("rb") as fh:
                for message in read_po(fh):
                    if message.id and message.string and "fuzzy" not in message.flags:
                        translated[message.id if isinstance(message.id, str) else message.id[0]] = message.string
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    missing = set()
    for sub in ("core", "suppliers", "catalog", "registry", "market", "devices", "payments", "orders", "complaints",
                "reports", "templates"):
        for _file, _line, msg, _comments, _ctx in extract_from_dir(
                Path(PROJECT_ROOT / sub), method_map,
                keywords={"_": None, "_l": None, "N_": None, "gettext": None, "lazy_gettext": None,
                          "ngettext": (1, 2)}):
            msgid = msg if isinstance(msg, str) else msg[0]
            if msgid and CJK.search(msgid) and msgid not in translated:
                missing.add(msgid)
    assert not missing, f"{len(missing)} messages lack English: {sorted(missing)[:10]}"


def test_stored_messages_use_english_forms_of_parameters(app):
    from flask_babel import refresh

    from core.i18n import translate_stored

    params = {"name": "渝中区", "name_en": "Yuzhong District"}
    with app.test_request_context("/?lang=en"):
        refresh()  # the test's app context caches the locale between request contexts
        assert translate_stored("欢迎回来，%(name)s。", params) == "Welcome back, Yuzhong District."
    with app.test_request_context("/?lang=zh_CN"):
        refresh()
        assert translate_stored("欢迎回来，%(name)s。", params) == "欢迎回来，渝中区。"


def test_stored_message_ids_in_parameters_are_translated_too(app):
    from flask_babel import refresh

    from core.i18n import translate_stored

    with app.test_request_context("/?lang=en"):
        refresh()
        assert translate_stored("欢迎回来，%(name)s。", {"name": "请先登录。"}) == "Welcome back, Please log in first.."
        assert translate_stored("欢迎回来，%(name)s。", {"name": "张三"}) == "Welcome back, 张三."

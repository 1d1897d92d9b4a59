"""English pages name districts in English, including inside imported macros."""

from core.permissions import Role


def test_official_pages_name_the_district_in_english(client, as_user):
    as_user(Role.district_official, districts=("500103",), locale="en")
    for url in ("/official/districts/500103/list", "/official/districts/500103/townships",
                "/official/districts/500103/subsidies"):
        page = client.get(url).get_data(as_text=True)
        assert "Yuzhong District" in page, url
        assert "渝中区" not in page, url


def test_home_page_lists_published_districts_and_latest_announcements(app, client, db):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    page = client.get("/").get_data(as_text=True)
    assert "已公布目录清单的区县" in page and 'href="/districts/500103"' in page
    assert 'href="/districts/500101"' not in page  # 万州区 has not published
    assert "最新公告" in page and "目录清单" in page
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Districts with a published vetted list" in english and "Yuzhong District" in english

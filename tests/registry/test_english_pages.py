"""English pages name districts in English, including inside imported macros."""

from core.permissions import Role


def test_official_pages_name_the_district_in_english(client, as_user):
    as_user(Role.district_official, districts=("500103",), locale="en")
    for url in ("/official/districts/500103/list", "/official/districts/500103/townships",
                "/official/districts/500103/subsidies"):
        page = client.get(url).get_data(as_text=True)
        assert "Yuzhong District" in page, url
        assert "渝中区" not in page, url

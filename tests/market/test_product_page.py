"""/products/{id}: everything a buyer needs; only listed products are public; net price after subsidy."""
# ruff: noqa: F811 - pytest fixtures imported from search_factories are used as parameters

from __future__ import annotations

from datetime import date, timedelta

from core.db import db, now_utc
from core.permissions import Role
from registry.districts.household_claims import ClaimStatus, HouseholdCategoryClaim
from registry.districts.models import OldCommunity, SubsidyKind, SubsidyPolicy
from tests.conftest import district
from tests.market.search_factories import catalog_data, listing  # noqa: F401


def verified_resident(as_user, category="old_community", status=ClaimStatus.verified, code="500103"):
    user = as_user(Role.resident, home_district_id=district(code).id)
    community = None
    if category == "old_community":
        community = OldCommunity(district_id=district(code).id, name="较场口小区", address="渝中区较场口 1 号")
        db.session.add(community)
        db.session.flush()
    db.session.add(HouseholdCategoryClaim(user_id=user.id, district_id=district(code).id, category=category,
                                          old_community_id=community.id if community else None,
                                          full_name="张秀英", address="渝中区较场口 1 号 2-3",
                                          status=status, decided_at=now_utc() if status == "verified" else None))
    db.session.commit()
    return user


def policy(device_type="leak_alarm", code="500103", **fields):
    values = {"kind": SubsidyKind.fixed, "amount_fen": 20000, "category": "old_community"} | fields
    db.session.add(SubsidyPolicy(district_id=district(code).id, device_type=device_type,
                                 valid_from=date.today() - timedelta(days=10), **values))
    db.session.commit()


def test_product_page_shows_what_a_buyer_needs(client, catalog_data):
    valve = catalog_data["valve_high"]
    page = client.get(f"/products/{valve.id}").get_data(as_text=True)
    for text in ("ZB-25H", "高档", "超压自动关闭", "CERT-ZB-25H", "CJ/T 447-2014", "¥599.00", "¥50.00", "¥499.00",
                 "24 个月", "上门安装调试", "山城燃气安全设备有限公司", "二级", "王工", "023-6100",
                 "/districts/500105", "型式检验报告", "早鸟价"):
        assert text in page, text
    assert "¥549.00" in page  # today's total: early price + installation


def test_only_listed_products_are_public(client, catalog_data):
    assert client.get(f"/products/{catalog_data['unlisted'].id}").status_code == 404
    assert client.get("/products/99999999").status_code == 404


def test_net_price_for_a_verified_household(client, as_user, catalog_data):
    policy()
    verified_resident(as_user)
    page = client.get(f"/products/{catalog_data['alarm_mid'].id}").get_data(as_text=True)
    assert "您的补贴" in page and "¥200.00" in page and "¥249.00" in page  # 399 + 50 − 200


def test_no_subsidy_before_verification(client, as_user, catalog_data):
    policy()
    verified_resident(as_user, status=ClaimStatus.pending)
    page = client.get(f"/products/{catalog_data['alarm_mid'].id}").get_data(as_text=True)
    assert "您的补贴" not in page and "尚未核验" in page


def test_percentage_subsidy_with_cap(client, as_user, catalog_data):
    policy(device_type="self_closing_valve", kind=SubsidyKind.percentage, amount_fen=None, percent=50, cap_fen=10000)
    verified_resident(as_user)
    page = client.get(f"/products/{catalog_data['valve_low'].id}").get_data(as_text=True)
    assert "¥100.00" in page and "¥149.00" in page  # 199 + 50 = 249, half capped at 100


def test_no_subsidy_on_a_product_not_listed_in_the_households_district(client, as_user, catalog_data):
    policy(device_type="self_closing_valve")
    verified_resident(as_user)  # 渝中区 household; ZB-25H is listed only in 江北区
    page = client.get(f"/products/{catalog_data['valve_high'].id}").get_data(as_text=True)
    assert "您的补贴" not in page and "补贴后应付" not in page and "¥200.00" not in page
    listed_here = client.get(f"/products/{catalog_data['valve_low'].id}").get_data(as_text=True)
    assert "您的补贴" in listed_here and "¥200.00" in listed_here


def test_organisation_sees_no_household_subsidy_hint(client, as_user, catalog_data):
    from core.accounts.models import OrganisationKind, ResidentKind
    as_user(Role.resident, resident_kind=ResidentKind.organisation, organisation_kind=OrganisationKind.restaurant)
    a, b = catalog_data["alarm_mid"], catalog_data["alarm_low"]
    for url in (f"/products/{a.id}", f"/compare?ids={a.id},{b.id}", "/search?q=JT"):
        page = client.get(url).get_data(as_text=True)
        assert "核验住户类别" not in page and "住户类别尚未核验" not in page and "补贴" not in page, url


def test_claim_of_a_district_the_household_left_gives_no_subsidy(client, as_user, catalog_data):
    policy(device_type="self_closing_valve")
    user = verified_resident(as_user)
    user.home_district_id = district("500105").id  # moved to 江北区: the 渝中区 claim does not travel
    db.session.commit()
    for url in (f"/products/{catalog_data['valve_low'].id}", f"/products/{catalog_data['valve_high'].id}"):
        page = client.get(url).get_data(as_text=True)
        assert "您的补贴" not in page and "¥200.00" not in page, url


def test_search_results_show_net_price_only_for_products_listed_at_home(client, as_user, catalog_data):
    policy(device_type="self_closing_valve")
    verified_resident(as_user)
    page = client.get("/search?district=").get_data(as_text=True)
    assert "ZB-15A" in page and "ZB-25H" in page
    assert page.count("补贴后约") == 1  # ZB-15A (listed in 渝中区); not ZB-25H (江北区 only)
    assert "补贴后约 ¥49.00" in page  # 199 + 50 − 200
    jiangbei = client.get("/search?district=500105").get_data(as_text=True)
    assert "补贴后约" not in jiangbei

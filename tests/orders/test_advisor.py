"""The requirement advisor page (/advisor, public) and the resident's dashboard (/dashboard)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime

import pytest

from core.accounts.models import OrganisationKind, ResidentKind
from core.db import db
from core.permissions import Role
from devices.models import Carrier, DeviceState, InstalledDevice
from registry.districts.household_claims import ClaimStatus, HouseholdCategoryClaim
from tests.conftest import district, login, make_user

_serial = itertools.count(1)
HOUSEHOLD = {"kind": "household", "gas_user": "existing"}
ORGANISATION = {"kind": "organisation", "organisation_kind": "restaurant", "gas_user": "existing"}


def ask(client, **args) -> str:
    response = client.get("/advisor", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def headline(page: str) -> str:
    """The dashboard's "you still need …" heading, as text."""
    found = re.search(r'<h2 class="h4" id="needs-title">(.*?)</h2>', page, re.S)
    return " ".join(found.group(1).split()) if found else ""


def answer(page: str) -> dict[tuple[str, str | None], str]:
    """(device_type, usage) → the card's status, as the answer's cards carry them."""
    cards = re.findall(r'<li class="card[^"]*" data-device-type="([a-z_]+)"(?: data-usage="([a-z]+)")?'
                       r' data-status="([a-z_]+)"', page)
    return {(device_type, usage or None): status for device_type, usage, status in cards}


def device(owner, device_type="self_closing_valve", state=DeviceState.active, code="500103") -> InstalledDevice:
    n = next(_serial)
    row = InstalledDevice(identifier=f"88.500.1/ADV-{n:05d}", carrier=Carrier.passive, serial=f"SN-{n}",
                          device_type=device_type, owner_id=owner.id, district_id=district(code).id,
                          installed_at=datetime(2025, 3, 1, 2, 0, tzinfo=UTC), installed_on=date(2025, 3, 1),
                          state=state)
    db.session.add(row)
    db.session.commit()
    return row


def household(code="500103", **fields):
    return make_user(Role.resident, resident_kind=ResidentKind.household, home_district_id=district(code).id,
                     **fields)


def organisation(code="500103", **fields):
    return make_user(Role.resident, resident_kind=ResidentKind.organisation,
                     organisation_kind=OrganisationKind.restaurant, home_district_id=district(code).id, **fields)


def claim(user, category="low_income", status=ClaimStatus.verified, code="500103"):
    decided = {} if status == ClaimStatus.pending else {"decided_at": datetime(2025, 1, 2, tzinfo=UTC)}
    if status == ClaimStatus.rejected:
        decided["decision_reason"] = "证件号不符"
    row = HouseholdCategoryClaim(user_id=user.id, district_id=district(code).id, category=category, status=status,
                                 full_name="王小明", address="民族路 88 号", certificate_number="DB-1", **decided)
    db.session.add(row)
    db.session.commit()
    return row


# --- the public page ---------------------------------------------------------------------------------------

def test_the_page_asks_the_questions_without_login(client):
    page = ask(client)
    for name in ("kind", "organisation_kind", "over_100m", "gas_user", "category", "district"):
        assert f'name="{name}"' in page
    assert 'id="answer"' not in page and "请修正" not in page


def test_existing_old_community_household_over_100m_needs_a_valve_and_an_alarm_by_end_2022(client):
    page = ask(client, **HOUSEHOLD, over_100m="yes", category="old_community", district="500103")
    assert answer(page) == {("self_closing_valve", None): "overdue", ("leak_alarm", "household"): "overdue"}
    assert "2022年12月31日" in page and "既有居民用户全面推进" in page
    assert "您需要安装：安全自闭阀和家用燃气泄漏报警装置。" in page
    assert 'href="/districts/500103?device_type=self_closing_valve"' in page
    assert 'href="/districts/500103?device_type=leak_alarm&amp;usage=household"' in page
    assert "可按本区县的政策享受安装补贴" in page and 'href="/household/category"' in page


def test_household_at_most_100m_needs_no_alarm(client):
    page = ask(client, **HOUSEHOLD, over_100m="no", category="low_income")
    assert answer(page) == {("self_closing_valve", None): "overdue"}
    assert "不要求安装燃气泄漏报警装置" in page


def test_household_not_knowing_its_height_is_told_when_the_alarm_applies(client):
    page = ask(client, **HOUSEHOLD, over_100m="unknown", category="registered_poor")
    assert answer(page) == {("self_closing_valve", None): "overdue", ("leak_alarm", "household"): "check_height"}
    assert "楼高超过 100 米才需要" in page and "可以问物业" in page
    assert "您需要安装：安全自闭阀。 楼高超过 100 米的，还需要：家用燃气泄漏报警装置。" in page


def test_a_conditional_alarm_alone_is_announced_as_conditional(client, as_user):
    user = as_user(Role.resident)
    device(user, "self_closing_valve")
    page = ask(client, **HOUSEHOLD, over_100m="unknown", category="low_income")
    assert "楼高超过 100 米的，您需要安装：家用燃气泄漏报警装置。" in page
    assert "您需要安装：" not in page.replace("您需要安装：家用", "")


def test_other_existing_household_is_encouraged_with_no_deadline_and_no_subsidy_text(client):
    page = ask(client, **HOUSEHOLD, over_100m="no", category="other")
    assert answer(page) == {("self_closing_valve", None): "encouraged"}
    assert "您没有必须安装的装置，但鼓励安装：安全自闭阀。" in page
    assert "补贴" not in page


def test_new_household_installs_before_the_gas_is_connected_whatever_its_category(client):
    page = ask(client, kind="household", gas_user="new", over_100m="yes")
    assert answer(page) == {("self_closing_valve", None): "before_gas", ("leak_alarm", "household"): "before_gas"}
    assert "新增用户全覆盖" in page and "通气验收前" in page


@pytest.mark.parametrize("gas_user", ["existing", "new"])
def test_organisation_needs_a_commercial_alarm_and_never_sees_household_subsidies(client, gas_user):
    page = ask(client, **(ORGANISATION | {"gas_user": gas_user}), district="500103")
    status = "overdue" if gas_user == "existing" else "before_gas"
    assert answer(page) == {("leak_alarm", "commercial"): status}
    if gas_user == "existing":
        assert "2022年1月31日" in page and "既有单位用户全覆盖" in page
    else:
        assert "通气验收前" in page
    assert 'href="/districts/500103?device_type=leak_alarm&amp;usage=commercial"' in page
    assert "没有要求安装安全自闭阀" in page
    assert "补贴" not in page


def test_organisation_answer_ignores_the_household_questions(client):
    page = ask(client, **ORGANISATION, over_100m="bogus", category="rich")
    assert answer(page) == {("leak_alarm", "commercial"): "overdue"}
    assert "不在列表中" not in page


def test_without_a_district_the_answer_offers_search_and_the_district_lists(client):
    page = ask(client, **HOUSEHOLD, over_100m="no", category="low_income")
    assert 'href="/search?device_type=self_closing_valve"' in page
    assert 'href="/districts"' in page and "/districts/500103?" not in page


def test_a_link_from_a_district_page_preselects_the_district(client):
    page = ask(client, district="500103")
    assert 'id="answer"' not in page
    assert re.search(r'<option selected value="500103">|<option value="500103" selected>', page)


@pytest.mark.parametrize(("args", "message"), [
    ({"kind": "company"}, "这个选项不在列表中"),
    ({"kind": ""}, "请选择居民用户或单位用户"),
    ({"gas_user": "existing"}, "请选择居民用户或单位用户"),
    ({"kind": "household", "gas_user": "soon"}, "这个选项不在列表中"),
    ({"kind": "household"}, "请选择已经在用气还是新开户"),
    ({**HOUSEHOLD, "over_100m": "42"}, "这个选项不在列表中"),
    ({**HOUSEHOLD, "category": "rich"}, "这个选项不在列表中"),
    ({**HOUSEHOLD}, "已经在用气的居民用户请选择住户类别"),
    ({**HOUSEHOLD, "category": "other", "district": "999999"}, "这个选项不在列表中"),
    ({**HOUSEHOLD, "category": "other", "district": "<script>"}, "这个选项不在列表中"),
    ({"kind": "organisation", "gas_user": "existing"}, "单位用户请选择单位类型"),
    ({"kind": "organisation", "gas_user": "new", "organisation_kind": "bank"}, "这个选项不在列表中"),
    ({"kind": "x" * 5000, "category": "rich"}, "这个选项不在列表中"),
])
def test_bad_answers_get_a_clear_message_not_an_error(client, args, message):
    page = ask(client, **args)
    assert message in page and "请修正下列标出的问题后再看答案。" in page
    assert 'id="answer"' not in page


def test_bad_answers_are_explained_in_english(client):
    page = ask(client, kind="company", gas_user="soon", lang="en")
    assert "This option is not in the list" in page
    assert "不在列表中" not in page


def test_repeated_and_odd_parameters_never_fail(client):
    for query in ("kind=household&kind=organisation&gas_user=new", "kind[]=household", "kind=%FF%FE&gas_user=%C0",
                  "over_100m=yes&over_100m=no&kind=household&gas_user=new", "district=" + "9" * 3000,
                  "kind=household&gas_user=existing&category=other&district=500103&device_type=boiler"):
        assert client.get("/advisor?" + query).status_code == 200, query


def test_a_nul_byte_gets_the_sites_own_message(client):
    """NUL bytes are refused before any view runs (core.web), in words, like everywhere else."""
    response = client.get("/advisor?kind=household&category=%00")
    assert response.status_code == 400 and "含有无效字符" in response.get_data(as_text=True)


def test_a_resident_sees_what_is_already_installed(client):
    user = household(building_over_100m=True)
    device(user, "self_closing_valve")
    device(user, "leak_alarm", state=DeviceState.removed)  # no longer in place: does not count
    login(client, user)
    page = ask(client, **HOUSEHOLD, over_100m="yes", category="low_income", district="500103")
    assert answer(page) == {("self_closing_valve", None): "installed", ("leak_alarm", "household"): "overdue"}
    assert "您需要安装：家用燃气泄漏报警装置。" in page and "不用再装" in page


def test_anonymous_answer_does_not_claim_to_know_installed_devices(client):
    page = ask(client, **HOUSEHOLD, over_100m="no", category="other")
    assert "您已安装" not in page and "登录后，答案会算上您已经安装的设备。" in page


def test_the_form_starts_from_a_residents_profile(client):
    user = household(building_over_100m=False)
    claim(user, "low_income")
    login(client, user)
    page = ask(client)
    for name, value in (("kind", "household"), ("over_100m", "no"), ("category", "low_income"),
                        ("gas_user", "existing")):
        assert re.search(rf'<input checked[^>]*name="{name}"[^>]*value="{value}"', page), name
    assert re.search(r'<option selected value="500103">|<option value="500103" selected>', page)


# --- the resident's dashboard ------------------------------------------------------------------------------

def test_dashboard_needs_a_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.supplier, Role.district_official, Role.regulator, Role.inspector, Role.admin])
def test_dashboard_is_for_residents_only(client, role):
    login(client, make_user(role, districts=("500103",) if role in (Role.district_official, Role.inspector) else ()))
    assert client.get("/dashboard").status_code == 403


def test_household_dashboard_says_what_is_still_needed_and_lists_the_devices(client):
    user = household(building_over_100m=True)
    claim(user, "low_income")
    valve = device(user, "self_closing_valve", state=DeviceState.offline)
    login(client, user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert headline(page) == "您还需要安装：家用燃气泄漏报警装置"
    assert answer(page) == {("self_closing_valve", None): "installed", ("leak_alarm", "household"): "overdue"}
    assert valve.identifier in page and 'data-device-state="offline"' in page and "离线" in page
    assert 'href="/districts/500103?device_type=leak_alarm&amp;usage=household"' in page
    assert 'href="/household/category"' in page and 'href="/orders"' in page and "我的订单" in page
    assert "城镇低保户" in page and "已核验" in page


def test_household_dashboard_without_claim_or_height_says_what_to_fill_in(client):
    user = household()
    login(client, user)
    page = client.get("/dashboard").get_data(as_text=True)
    # no category: an "other" household, encouraged; height unknown: the alarm is conditional
    assert answer(page) == {("self_closing_valve", None): "encouraged", ("leak_alarm", "household"): "encouraged"}
    assert "没有必须安装的装置，鼓励安装：安全自闭阀和家用燃气泄漏报警装置" in page
    assert "您还没有申报住户类别" in page and "您的账号还没有填写楼高" in page
    assert "还没有登记的设备" in page and "还没有订单" in page


def test_household_of_unknown_height_is_told_the_alarm_is_conditional(client):
    user = household()
    claim(user, "low_income")
    login(client, user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert headline(page) == "您还需要安装：安全自闭阀"
    device(user, "self_closing_valve")
    page = client.get("/dashboard").get_data(as_text=True)
    assert headline(page) == "楼高超过 100 米的，您还需要安装：家用燃气泄漏报警装置"


def test_a_rejected_claim_counts_as_other(client):
    user = household(building_over_100m=False)
    claim(user, "low_income", status=ClaimStatus.rejected)
    login(client, user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert answer(page) == {("self_closing_valve", None): "encouraged"}
    assert "类别未通过核验" in page


def test_household_with_everything_installed_is_thanked(client):
    user = household(building_over_100m=True)
    claim(user, "low_income")
    device(user, "self_closing_valve")
    device(user, "leak_alarm")
    login(client, user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert headline(page) == "要求的装置您都已安装，谢谢！"


def test_organisation_dashboard_needs_a_commercial_alarm_and_shows_no_household_text(client):
    user = organisation()
    login(client, user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert answer(page) == {("leak_alarm", "commercial"): "overdue"}
    assert headline(page) == "您还需要安装：商用燃气泄漏报警装置"
    assert 'href="/districts/500103?device_type=leak_alarm&amp;usage=commercial"' in page
    assert "补贴" not in page and "住户类别" not in page and "/household/category" not in page
    assert 'href="/orders"' in page


def test_dashboard_without_a_district_sends_the_resident_to_the_account(client):
    login(client, make_user(Role.resident))
    page = client.get("/dashboard").get_data(as_text=True)
    assert "您的账号还没有填写所在区县" in page and 'href="/account"' in page
    assert "/districts/500103" not in page


def test_dashboard_in_english(client):
    user = organisation(locale="en")
    login(client, user)
    page = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert headline(page) == "You still need to install: commercial gas leak alarm"

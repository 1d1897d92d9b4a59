"""The district register (SPEC 3.4): outside-platform registration, search, counts, masking, the supplier's view."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.clock import today_shanghai
from core.db import db
from core.errors import DomainError, NotAllowed
from core.permissions import Role
from core.personal_data import VIEWED
from devices import register
from devices.models import Alarm, AlarmState, DeviceState, InstalledDevice
from registry.districts.models import Township
from tests.conftest import district, login, make_user
from tests.devices.factories import ADDRESS, make_device, make_device_world

MASKED = "解放碑街道民****"
URL = "/utility/devices/new"


@pytest.fixture
def world():
    return make_device_world()


@pytest.fixture
def township():
    t = Township(district_id=district("500103").id, name="解放碑街道")
    db.session.add(t)
    db.session.commit()
    return t


def _form(**overrides) -> dict:
    data = {"district": str(district("500103").id), "township": "", "identifier": "88.118.8/out-2026-0001",
            "carrier": "passive", "serial": "OUT0001", "device_type": "leak_alarm", "brand_model": "海湾 GST-JT",
            "installer_name": "某燃气器具店", "gas_type": "natural_gas", "household_category": "low_income",
            "installed_on": (today_shanghai() - timedelta(days=10)).isoformat(),
            "address": "较场口街道日月光 7 栋 1201"}
    data.update(overrides)
    return data


def _devices() -> list[InstalledDevice]:
    return list(db.session.scalars(select(InstalledDevice).order_by(InstalledDevice.id)))


def _page(response) -> str:
    return response.get_data(as_text=True)


def _audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# Registration ------------------------------------------------------------------------------------------------


def test_inspector_registers_an_outside_platform_device(client, world, township):
    login(client, world.inspector)
    form_page = _page(client.get(URL))
    for name in ("district", "township", "identifier", "carrier", "serial", "device_type", "brand_model",
                 "installer_name", "gas_type", "household_category", "installed_on", "address"):
        assert f'name="{name}"' in form_page
    assert "解放碑街道" in form_page
    response = client.post(URL, data=_form(township=str(township.id)))
    assert response.status_code == 303
    [device] = _devices()
    assert response.headers["Location"].endswith(f"/utility/devices/{device.id}")
    assert device.identifier == "88.118.8/OUT-2026-0001" and device.serial == "OUT0001"
    assert device.household_category == "low_income"  # counted in the priority households' coverage
    assert device.outside_platform and device.product_id is None and device.supplier_id is None
    assert device.state == DeviceState.active and device.township_id == township.id
    assert device.brand_model == "海湾 GST-JT" and device.installer_name == "某燃气器具店"
    assert device.registered_by_id == world.inspector.id and device.owner_id is None
    installed = today_shanghai() - timedelta(days=10)
    assert device.installed_on == installed and device.replace_by == installed.replace(year=installed.year + 5)
    assert device.address == "较场口街道日月光 7 栋 1201" and device.address_tokens
    [entry] = _audits("device.registered")
    assert entry.after["outside_platform"] is True and entry.after["identifier"] == device.identifier
    html = _page(client.get(f"/utility/devices/{device.id}"))
    assert "平台外安装" in html and "某燃气器具店" in html and "海湾 GST-JT" in html


@pytest.mark.parametrize(("overrides", "message"), [
    ({"identifier": "中文标识"}, "工业互联网标识格式不正确"),
    ({"identifier": "ab"}, "工业互联网标识格式不正确"),
    ({"identifier": ""}, ""),
    ({"serial": "SN 1"}, "序列号格式不正确"),
    ({"carrier": "laser"}, ""),
    ({"device_type": "boiler"}, ""),
    ({"gas_type": "coal"}, ""),
    ({"household_category": "royalty"}, ""),
    ({"brand_model": "   "}, ""),
    ({"address": ""}, ""),
    ({"installed_on": "2026-13-40"}, ""),
    ({"installed_on": (today_shanghai() + timedelta(days=3)).isoformat()}, "安装日期不能晚于今天"),
    ({"installed_on": "1999-12-31"}, "不能早于 2000 年"),
    ({"township": "999999"}, "请选择该区县的街道或乡镇"),
    ({"identifier": "88.118.8/X\x00"}, ""),
])
def test_bad_input_re_renders_with_a_message_and_creates_nothing(client, world, overrides, message):
    login(client, world.inspector)
    response = client.post(URL, data=_form(**overrides))
    assert response.status_code == 400
    assert message in _page(response) and "请修正下列标出的问题" in _page(response)
    assert _devices() == [] and not _audits("device.registered")


def test_a_taken_identifier_is_refused(client, world):
    make_device(world.supplier, world.product, world.resident, identifier="88.118.8/OUT-2026-0001")
    login(client, world.inspector)
    response = client.post(URL, data=_form(identifier=" 88.118.8/out-2026-0001 "))
    assert response.status_code == 400 and "已登记在另一台设备上" in _page(response)
    assert len(_devices()) == 1


def test_another_districts_township_or_district_is_refused(client, world):
    other_township = Township(district_id=district("500105").id, name="观音桥街道")
    db.session.add(other_township)
    db.session.commit()
    login(client, world.inspector)
    response = client.post(URL, data=_form(township=str(other_township.id)))
    assert response.status_code == 400 and "请选择该区县的街道或乡镇" in _page(response)
    response = client.post(URL, data=_form(district=str(district("500105").id)))
    assert response.status_code == 403 and "只能登记您负责的区县的设备" in _page(response)
    assert client.post(URL, data=_form(district="xx")).status_code == 403
    assert _devices() == []


def test_the_registration_form_is_csrf_protected(csrf_app, client, world):
    login(client, world.inspector)
    assert 'name="csrf_token"' in _page(client.get(URL))
    assert client.post(URL, data=_form()).status_code == 400
    assert _devices() == []


def test_only_inspectors_of_the_district_register_in_the_service(world):
    for user in (world.official, world.other_inspector, world.staff):
        with pytest.raises(NotAllowed):
            register.register_outside_device(
                user, district_id=district("500103").id, township_id=None, identifier="GS-1234",
                carrier="active", serial="S1", device_type="leak_alarm", brand_model="X", installer_name=None,
                gas_type="natural_gas", installed_on=date(2024, 1, 1), address="民族路 1 号")
    with pytest.raises(DomainError) as exc:
        register.register_outside_device(
            world.inspector, district_id=district("500103").id, township_id=None, identifier="GS-1234",
            carrier="tape", serial="S1", device_type="leak_alarm", brand_model="X", installer_name=None,
            gas_type="natural_gas", installed_on=date(2024, 1, 1), address="民族路 1 号")
    assert exc.value.field == "carrier"


# Search and counts --------------------------------------------------------------------------------------------


@pytest.fixture
def register_world(world):
    a = make_device(world.supplier, world.product, world.resident, identifier="88.118.8/GS-2026-000101",
                    address="解放碑街道民族路 88 号 3 单元 502")
    b = make_device(world.supplier, world.product, world.resident, identifier="88.118.8/GS-2026-000202",
                    address="较场口街道日月光广场 7 栋", state=DeviceState.offline)
    c = make_device(world.other_supplier, world.other_product, world.resident, identifier="88.118.8/XY-0303",
                    address="七星岗街道中山一路 12 号", state=DeviceState.alarm)
    elsewhere = make_device(world.supplier, world.product, world.other_resident, code="500105",
                            identifier="88.118.8/GS-2026-000909", address="观音桥街道建新北路 9 号")
    return world, a, b, c, elsewhere


def _listed(html: str, devices) -> list[bool]:
    return [f'data-device-id="{d.id}"' in html for d in devices]


@pytest.mark.parametrize(("query", "expected"), [
    ("88.118.8/gs-2026-000101", [True, False, False, False]),  # exact, normalised
    ("88.118.8/GS-2026", [True, True, False, False]),         # prefix
    ("88.118.8/GS-2026-000909", [False, False, False, False]),  # another district's
    ("%", [False, False, False, False]),                        # wildcards are literal
    ("民族路", [True, False, False, False]),                    # a part of the address
    ("日月光", [False, True, False, False]),
    ("中山一路 12", [False, False, True, False]),
    ("路", [False, False, False, False]),                       # too short to search by address
])
def test_search_by_identifier_serial_and_address(client, register_world, query, expected):
    world, *devices = register_world
    login(client, world.official)
    html = _page(client.get("/utility/devices", query_string={"q": query}))
    assert _listed(html, devices) == expected


def test_search_by_serial_and_state(client, register_world):
    world, a, b, c, elsewhere = register_world
    login(client, world.inspector)
    assert _listed(_page(client.get("/utility/devices", query_string={"q": b.serial})), [a, b, c]) == [False, True,
                                                                                                       False]
    assert _listed(_page(client.get("/utility/devices?state=alarm")), [a, b, c]) == [False, False, True]
    assert client.get("/utility/devices?q=%00").status_code == 400
    html = _page(client.get("/utility/devices?state=melted&district=xx&page=abc&q=%09"))
    assert _listed(html, [a, b, c, elsewhere]) == [True, True, True, False]


def test_counts_by_state_by_one_group_by(register_world):
    world, a, b, c, elsewhere = register_world
    assert register.state_counts({district("500103").id}) == {"active": 1, "offline": 1, "alarm": 1}
    assert register.state_counts(None) == {"active": 2, "offline": 1, "alarm": 1}


def test_counts_are_shown_and_the_district_filter_appears_for_several_districts(client, register_world):
    world, a, b, c, elsewhere = register_world
    login(client, world.official)
    html = _page(client.get("/utility/devices"))
    assert 'name="district"' not in html
    assert '<a class="btn btn-sm btn-outline-secondary" href="/utility/devices?state=offline" ' \
           'data-count-state="offline">' in html
    both = make_user(Role.district_official, districts=("500103", "500105"))
    login(client, both)
    html = _page(client.get("/utility/devices"))
    assert 'name="district"' in html and _listed(html, [a, elsewhere]) == [True, True]
    html = _page(client.get(f"/utility/devices?district={district('500105').id}"))
    assert _listed(html, [a, elsewhere]) == [False, True]


def test_regulator_sees_the_city_masked_and_unaudited(client, register_world):
    world, a, b, c, elsewhere = register_world
    login(client, make_user(Role.regulator))
    html = _page(client.get("/utility/devices"))
    assert _listed(html, [a, b, c, elsewhere]) == [True] * 4 and ADDRESS not in html
    html = _page(client.get(f"/utility/devices/{a.id}"))
    assert ADDRESS not in html and MASKED in html and 'data-address="masked"' in html
    assert not _audits(VIEWED)
    # searching by address is for the district's staff only
    assert _listed(_page(client.get("/utility/devices?q=民族路")), [a]) == [False]
    assert _listed(_page(client.get(f"/utility/devices?q={a.serial}")), [a]) == [True]


def test_lists_mask_addresses_and_the_detail_shows_it_to_the_districts_staff(client, register_world):
    world, a, b, c, elsewhere = register_world
    for user in (world.official, world.inspector):
        login(client, user)
        assert ADDRESS not in _page(client.get("/utility/devices")) and MASKED in _page(client.get("/utility/devices"))
        html = _page(client.get(f"/utility/devices/{a.id}"))
        assert ADDRESS in html and 'data-address="unmasked"' in html
    viewers = [e.actor_id for e in _audits(VIEWED)]
    assert viewers == [world.official.id, world.inspector.id]
    login(client, world.other_official)
    assert client.get(f"/utility/devices/{a.id}").status_code == 404


def test_device_detail_shows_replace_by_flag_and_alarms(client, world):
    device = make_device(world.supplier, world.product, world.resident,
                         replace_by=today_shanghai() - timedelta(days=1), installed_days_ago=2000)
    alarm = Alarm(device_id=device.id, district_id=device.district_id, supplier_id=device.supplier_id,
                  opened_at=device.installed_at, value=20.0, state=AlarmState.closed, outcome="false_alarm")
    db.session.add(alarm)
    db.session.commit()
    login(client, world.inspector)
    html = _page(client.get(f"/utility/devices/{device.id}"))
    assert 'data-replace-due="yes"' in html and f'data-alarm-id="{alarm.id}"' in html and "误报" in html
    assert f'href="/utility/alarms/{alarm.id}"' in html
    assert 'data-replace-due="yes"' in _page(client.get("/utility/devices"))


# The supplier ------------------------------------------------------------------------------------------------


def test_supplier_sees_its_devices_counts_and_open_alarms_first(client, register_world):
    world, a, b, c, elsewhere = register_world
    alarm = Alarm(device_id=a.id, district_id=a.district_id, supplier_id=a.supplier_id, opened_at=a.installed_at,
                  value=30.0, state=AlarmState.open)
    db.session.add(alarm)
    db.session.commit()
    login(client, world.staff)
    html = _page(client.get("/supplier/devices"))
    assert _listed(html, [a, b, c, elsewhere]) == [True, True, False, True]
    assert "请立即联系用户" in html and f'data-alarm-id="{alarm.id}"' in html
    assert html.index(f'data-alarm-id="{alarm.id}"') < html.index(f'data-device-id="{a.id}"')
    assert ADDRESS not in html and MASKED in html
    assert _listed(_page(client.get("/supplier/devices?state=offline")), [a, b]) == [False, True]
    assert client.get("/supplier/devices?state=junk&page=-3").status_code == 200
    html = _page(client.get(f"/supplier/devices/{a.id}"))
    assert ADDRESS in html and f'href="/utility/alarms/{alarm.id}"' not in html
    [entry] = _audits(VIEWED)
    assert entry.actor_id == world.staff.id and entry.after["subject_user_id"] == world.resident.id
    assert client.get(f"/supplier/devices/{c.id}").status_code == 404


def test_another_company_sees_only_its_own_devices(client, register_world):
    world, *_ = register_world
    login(client, world.other_staff)
    html = _page(client.get("/supplier/devices"))
    assert html.count("data-device-id=") == 1  # only the other supplier's device c
    assert db.session.scalar(select(func.count()).select_from(InstalledDevice)) == 4

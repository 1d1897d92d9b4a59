"""Who may open which device page (SPEC 2, 3.4, 8): every page of the devices blueprint against every kind of viewer.

One row per (method, rule) of the blueprint; a route added without a row fails `test_the_matrix_covers_every_page`.
A refused request changes nothing: the alarm's state, the number of devices and the alarm/device audit entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.clock import today_shanghai
from core.db import db
from core.permissions import Role
from devices.models import AlarmState, InstalledDevice
from tests.conftest import district, login, make_user
from tests.devices.factories import make_device, make_device_world
from tests.devices.test_alarm_pages import make_alarm

ACTORS = ("anonymous", "resident", "staff", "other_staff", "inspector", "other_inspector", "official",
          "other_official", "regulator", "admin")

LOGIN = "login"    # 302 to the login page
SHOWN = "shown"    # 200 with the device's identifier on the page
HIDDEN = "hidden"  # 200, the viewer's own list: the device is not on it
OK = "ok"          # 200 (a form)
DONE = "done"      # 303: the POST did its work


@dataclass(frozen=True)
class Row:
    method: str
    rule: str
    expected: tuple  # in ACTORS order
    form: object = dict


def _registration() -> dict:
    return {"district": str(district("500103").id), "township": "", "identifier": "88.118.8/PERM-0001",
            "carrier": "active", "serial": "PERM1", "device_type": "self_closing_valve", "brand_model": "某品牌 V1",
            "installer_name": "", "gas_type": "natural_gas",
            "installed_on": (today_shanghai() - timedelta(days=1)).isoformat(), "address": "民族路 1 号"}


#                                anon   resident staff  other  insp    o.insp  official o.off   regul   admin
ROWS = {
    ("GET", "/utility/alarms"): Row("GET", "/utility/alarms",
                                    (LOGIN, 403, 403, 403, SHOWN, HIDDEN, SHOWN, HIDDEN, 403, 403)),
    ("GET", "/utility/alarms/<int:alarm_id>"): Row("GET", "/utility/alarms/{alarm}",
                                                   (LOGIN, 403, 403, 403, SHOWN, 404, SHOWN, 404, 403, 403)),
    ("POST", "/utility/alarms/<int:alarm_id>/acknowledge"): Row(
        "POST", "/utility/alarms/{alarm}/acknowledge", (LOGIN, 403, 403, 403, DONE, 404, 403, 403, 403, 403)),
    ("POST", "/utility/alarms/<int:alarm_id>/close"): Row(
        "POST", "/utility/alarms/{alarm}/close", (LOGIN, 403, 403, 403, DONE, 404, 403, 403, 403, 403),
        form=lambda: {"outcome": "false_alarm", "note": ""}),
    ("GET", "/utility/devices"): Row("GET", "/utility/devices",
                                     (LOGIN, 403, 403, 403, SHOWN, HIDDEN, SHOWN, HIDDEN, SHOWN, SHOWN)),
    ("GET", "/utility/devices/<int:device_id>"): Row("GET", "/utility/devices/{device}",
                                                     (LOGIN, 403, 403, 403, SHOWN, 404, SHOWN, 404, SHOWN, SHOWN)),
    ("GET", "/utility/devices/new"): Row("GET", "/utility/devices/new",
                                         (LOGIN, 403, 403, 403, OK, OK, 403, 403, 403, 403)),
    ("POST", "/utility/devices/new"): Row("POST", "/utility/devices/new",
                                          (LOGIN, 403, 403, 403, DONE, 403, 403, 403, 403, 403), form=_registration),
    ("GET", "/supplier/devices"): Row("GET", "/supplier/devices",
                                      (LOGIN, 403, SHOWN, HIDDEN, 403, 403, 403, 403, 403, 403)),
    ("GET", "/supplier/devices/<int:device_id>"): Row("GET", "/supplier/devices/{device}",
                                                      (LOGIN, 403, SHOWN, 404, 403, 403, 403, 403, 403, 403)),
}


def _actor(world, name: str):
    if name == "anonymous":
        return None
    if name == "regulator":
        return make_user(Role.regulator)
    if name == "admin":
        return make_user(Role.admin)
    return getattr(world, name)


def _state() -> tuple:
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.action.in_(["alarm.acknowledged", "alarm.closed", "device.registered", "device.state_changed"])))
    return (db.session.scalar(select(func.count()).select_from(InstalledDevice)), sorted(actions))


def test_the_matrix_covers_every_page(app):
    rules = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("devices.")
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert rules == set(ROWS)


@pytest.mark.parametrize("key", list(ROWS), ids=[f"{m} {r}" for m, r in ROWS])
@pytest.mark.parametrize("actor", ACTORS)
def test_who_may_open_each_page(client, key, actor):
    row = ROWS[key]
    expected = row.expected[ACTORS.index(actor)]
    world = make_device_world()
    device = make_device(world.supplier, world.product, world.resident)
    alarm = make_alarm(device)
    user = _actor(world, actor)
    if user is not None:
        login(client, user)
    url = row.rule.format(alarm=alarm.id, device=device.id)
    before = _state()
    if row.method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=row.form())
    status = response.status_code
    if expected == LOGIN:
        assert status == 302 and urlsplit(response.headers["Location"]).path == "/login"
    elif expected in (SHOWN, HIDDEN):
        assert status == 200
        assert (device.identifier in response.get_data(as_text=True)) == (expected == SHOWN)
    elif expected == OK:
        assert status == 200
    elif expected == DONE:
        assert status == 303
        assert _state() != before
        return
    else:
        assert status == expected
    db.session.refresh(alarm)
    assert alarm.state == AlarmState.open and _state() == before

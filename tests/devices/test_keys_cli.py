"""`flask --app wsgi keys create|list|revoke` and `flask --app wsgi devices sweep`."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.audit import AuditEntry
from core.db import db
from devices.models import DeviceState
from suppliers import keys
from suppliers.keys import PlatformKey
from tests.devices.factories import make_device, make_device_world, supplier_key, utility_key

TOKEN = re.compile(r"^gsk_[0-9a-f]{10}_[A-Za-z0-9_-]{43}$")


@pytest.fixture
def world():
    return make_device_world()


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def _run(*args):
        result = runner.invoke(args=list(args))
        db.session.expire_all()
        return result

    return _run


def _all_keys():
    return list(db.session.scalars(select(PlatformKey).order_by(PlatformKey.id)))


def test_create_for_a_supplier_prints_the_key_alone_on_the_last_line(run, world):
    result = run("keys", "create", "--supplier", str(world.supplier.id), "--name", "生产平台")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) >= 2 and TOKEN.match(lines[-1])
    assert all(lines[-1] not in line for line in lines[:-1])
    (key,) = _all_keys()
    assert key.supplier_id == world.supplier.id and key.name == "生产平台" and key.created_by_id is None
    assert f"gsk_{key.prefix}" in lines[0] and str(world.supplier.id) in lines[0]
    assert keys.authenticate(lines[-1]).id == key.id
    (entry,) = [e for e in db.session.scalars(select(AuditEntry)) if e.action == "platform_key.created"]
    assert entry.actor_id is None and entry.actor_label == "system"
    assert lines[-1] not in repr((entry.before, entry.after)) and key.secret_hash != lines[-1]


def test_create_for_a_utility_with_several_districts(run, world):
    result = run("keys", "create", "--utility", "500103", "--utility", "500105")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert TOKEN.match(token)
    (key,) = _all_keys()
    assert key.kind == "utility" and [d.code for d in key.districts] == ["500103", "500105"]
    assert key.name.startswith("cli ")


@pytest.mark.parametrize("args,message", [
    ([], "either --supplier"),
    (["--supplier", "1", "--utility", "500103"], "either --supplier"),
    (["--supplier", "999999"], "no supplier with id 999999"),
    (["--supplier", "abc"], "abc"),
    (["--utility", "500103", "--utility", "123456"], "unknown district code(s): 123456"),
    (["--utility", "500103", "--name", ""], "密钥名称"),
    (["--utility", "500103", "--name", "x" * 101], "密钥名称"),
])
def test_create_refuses_bad_options_without_a_traceback(run, world, args, message):
    result = run("keys", "create", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (TypeError, AttributeError))
    assert _all_keys() == []


def test_list_shows_keys_but_never_their_secrets(run, world):
    live, live_token = supplier_key(world.supplier, name="生产平台")
    used, used_token = supplier_key(world.supplier, name="测试平台")
    keys.authenticate(used_token)
    db.session.commit()
    utility, utility_token = utility_key("500105", name="江北监控")
    keys.revoke_key(utility, None)
    db.session.commit()
    result = run("keys", "list")
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"gsk_{live.prefix}" in out and f"gsk_{used.prefix}" in out and f"gsk_{utility.prefix}" in out
    assert live_token not in out and utility_token not in out
    assert "never" in out and f"supplier {world.supplier.id}" in out and "utility 500105" in out
    line = next(li for li in out.splitlines() if utility.prefix in li)
    assert line.rstrip().split("\t")[-1] != "-"  # revoked at
    only = run("keys", "list", "--supplier", str(world.supplier.id)).output
    assert utility.prefix not in only and live.prefix in only
    by_district = run("keys", "list", "--utility", "500105").output
    assert utility.prefix in by_district and live.prefix not in by_district
    assert "no platform keys" in run("keys", "list", "--utility", "500103").output


def test_list_refuses_bad_filters(run, world):
    assert run("keys", "list", "--supplier", "999999").exit_code != 0
    assert run("keys", "list", "--utility", "nope").exit_code != 0
    both = run("keys", "list", "--supplier", str(world.supplier.id), "--utility", "500103")
    assert both.exit_code != 0 and "not both" in both.output


@pytest.mark.parametrize("form", ["gsk_{p}", "{p}", "gsk_{p}…", "{token}"])
def test_revoke_by_prefix(run, world, form):
    key, token = supplier_key(world.supplier)
    result = run("keys", "revoke", form.format(p=key.prefix, token=token))
    assert result.exit_code == 0, result.output
    assert "revoked" in result.output
    db.session.refresh(key)
    assert key.revoked_at is not None and key.revoked_by_id is None
    assert keys.authenticate(token) is None
    again = run("keys", "revoke", key.prefix)
    assert again.exit_code == 0 and "already revoked" in again.output
    assert len([e for e in db.session.scalars(select(AuditEntry)) if e.action == "platform_key.revoked"]) == 1


def test_revoke_refuses_unknown_or_malformed_prefixes(run, world):
    key, _ = supplier_key(world.supplier)
    unknown = run("keys", "revoke", "0123456789" if key.prefix != "0123456789" else "9876543210")
    assert unknown.exit_code != 0 and "no platform key" in unknown.output
    for junk in ("gsk_", "xyz", "gsk_12345", "GSK_" + key.prefix.upper() + "zz"):
        result = run("keys", "revoke", junk)
        assert result.exit_code != 0 and "Traceback" not in result.output
    db.session.refresh(key)
    assert key.revoked_at is None


def test_devices_sweep_prints_counts(run, world):
    device = make_device(world.supplier, world.product, world.resident)
    result = run("devices", "sweep")
    assert result.exit_code == 0, result.output
    assert "devices marked offline: 1" in result.output and "alarms escalated: 0" in result.output
    db.session.refresh(device)
    assert device.state == DeviceState.offline
    assert "devices marked offline: 0" in run("devices", "sweep").output


def test_devices_sweep_as_of_a_time(run, world):
    device = make_device(world.supplier, world.product, world.resident, installed_days_ago=0,
                         last_seen_at=clock.now_utc())
    early = run("devices", "sweep", "--now", (clock.now_utc() + timedelta(hours=1)).isoformat())
    assert early.exit_code == 0 and "devices marked offline: 0" in early.output
    later = (clock.now_utc() + timedelta(hours=30)).astimezone(clock.SHANGHAI).replace(tzinfo=None)
    naive = run("devices", "sweep", "--now", later.isoformat())  # read as UTC: 38 h ahead
    assert naive.exit_code == 0 and "devices marked offline: 1" in naive.output
    db.session.refresh(device)
    assert device.state == DeviceState.offline


def test_devices_sweep_refuses_a_bad_time(run, world):
    result = run("devices", "sweep", "--now", "yesterday")
    assert result.exit_code == 2 and "ISO 8601" in result.output

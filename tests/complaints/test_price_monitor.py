"""The price monitor (issue 12 part 4): inflated prices, sharp raises after listing, concerted moves; one JC- case
per finding, never twice; the CLI command and the regulators' page with its button."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from catalog.models import DeviceType, Tier
from complaints import price_monitor
from complaints.models import Case, CaseCategory, CaseEvent, CaseKind, CaseState
from core.audit import AuditEntry
from core.clock import now_utc
from core.db import db
from core.notifications import Notification
from core.permissions import Role
from registry.lists.models import ListVersion, ListVersionItem
from tests.conftest import district, make_user
from tests.registry.factories import make_product, make_supplier

CODE = "500103"
T0 = now_utc() - timedelta(days=60)


class Lists:
    """Versions of one district's list written directly (price and publication time under the test's control)."""

    def __init__(self, code: str = CODE) -> None:
        self.district = district(code)
        self.number = 0

    def publish(self, prices: dict, *, day: float = 0) -> ListVersion:
        """A new version carrying {product: price_fen}, published `day` days after T0."""
        self.number += 1
        version = ListVersion(district_id=self.district.id, number=self.number,
                              published_at=T0 + timedelta(days=day), snapshot={"suppliers": []}, problems=[])
        version.items = [ListVersionItem(district_id=self.district.id, supplier_id=p.supplier_id, product_id=p.id,
                                         price_fen=price, install_fee_fen=5000) for p, price in prices.items()]
        db.session.add(version)
        db.session.commit()
        return version


def valve(tier=Tier.low, device_type=DeviceType.self_closing_valve, supplier=None):
    return make_product(supplier or make_supplier(), tier, device_type=device_type)


def keys(cases) -> list[str]:
    return [c.monitor_key for c in cases]


def run(**kwargs) -> list[Case]:
    opened = price_monitor.run_monitor(**kwargs)
    db.session.commit()
    return opened


def of_rule(rule: str, cases) -> list[Case]:
    return [c for c in cases if c.monitor_key.startswith(rule + ":")]


def all_cases() -> list[Case]:
    return list(db.session.scalars(select(Case).order_by(Case.id)))


# -- (a) inflated price ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("price", "flagged"), [(12000, False), (12001, True), (12010, True)])
def test_inflated_flags_only_above_the_threshold(price, flagged):
    a, b, c = valve(), valve(), valve()
    Lists().publish({a: 10000, b: 10000, c: price})  # median 100.00 yuan; exactly +20 % is not flagged
    opened = run()
    assert keys(opened) == ([f"inflated:{district(CODE).id}:{c.id}:{price}"] if flagged else [])


def test_inflated_median_of_an_even_group_is_the_mean_of_the_two_middle_prices():
    products = [valve() for _ in range(4)]
    lists = Lists()
    lists.publish(dict(zip(products, (10000, 11000, 12000, 13800), strict=True)))  # median 115.00, 138.00 = +20 %
    assert run() == []
    lists.publish(dict(zip(products, (10000, 11000, 12000, 13801), strict=True)))
    (case,) = run()
    assert case.product_id == products[3].id and case.category == CaseCategory.inflated_price
    assert case.evidence["median_fen"] == 11500 and case.evidence["peers"] == 4
    assert case.evidence["price_fen"] == 13801 and case.evidence["rule"] == "inflated"
    assert [r["price_fen"] for r in case.evidence["rows"]] == [10000, 11000, 12000, 13801]
    assert "115.00" in case.description and "138.01" in case.description and "20.0%" in case.description


def test_inflated_compares_only_the_same_district_device_type_and_tier():
    s1, s2, s3 = make_supplier(districts=(CODE, "500104")), make_supplier(), make_supplier()
    low = [valve(supplier=s) for s in (s1, s2, s3)]
    high = valve(Tier.high, supplier=s1)
    alarm = valve(Tier.low, DeviceType.leak_alarm, supplier=s2)
    Lists().publish({low[0]: 10000, low[1]: 10000, low[2]: 10000, high: 90000, alarm: 30000})
    Lists("500104").publish({low[0]: 10000})
    lone = valve(supplier=s1)
    Lists("500105").publish({lone: 99900})
    assert run() == []


def test_inflated_compares_commercial_alarms_with_commercial_alarms_only():
    suppliers = [make_supplier() for _ in range(4)]
    household = [make_product(s, Tier.mid, device_type=DeviceType.leak_alarm) for s in suppliers[:3]]
    commercial = make_product(suppliers[3], Tier.mid, device_type=DeviceType.leak_alarm, usage="commercial")
    lists = Lists()
    lists.publish({household[0]: 33000, household[1]: 34000, household[2]: 35000, commercial: 89000})
    assert run() == []
    pricier = make_product(suppliers[0], Tier.mid, device_type=DeviceType.leak_alarm, usage="commercial")
    cheaper = make_product(suppliers[1], Tier.mid, device_type=DeviceType.leak_alarm, usage="commercial")
    lists.publish({household[0]: 33000, household[1]: 34000, household[2]: 35000, commercial: 89000,
                   pricier: 130000, cheaper: 88000}, day=40)
    assert [c.product_id for c in run()] == [pricier.id]


def test_inflated_looks_at_the_current_version_only():
    a, b, c = valve(), valve(), valve()
    lists = Lists()
    lists.publish({a: 10000, b: 10000, c: 20000})
    lists.publish({a: 10000, b: 10000, c: 11000})
    assert run() == []


# -- (b) price raised soon after listing ----------------------------------------------------------------------

@pytest.mark.parametrize(("raised", "day", "flagged"), [
    (11500, 10, False),  # exactly +15 %
    (11501, 10, True),
    (13000, 29.9, True),
    (13000, 30.5, False),  # after the 30-day window
])
def test_raise_within_the_window_of_first_listing(raised, day, flagged):
    p = valve()
    lists = Lists()
    lists.publish({p: 10000}, day=0)
    lists.publish({p: raised}, day=day)
    opened = of_rule("raise", run())
    assert keys(opened) == ([f"raise:{district(CODE).id}:{p.id}:{raised}"] if flagged else [])
    if flagged:
        (case,) = opened
        assert case.category == CaseCategory.price_manipulation and case.supplier_id == p.supplier_id
        assert case.evidence["first_price_fen"] == 10000 and case.evidence["price_fen"] == raised
        assert case.evidence["first_version"] == 1 and case.evidence["version"] == 2
        assert [r["price_fen"] for r in case.evidence["rows"]] == [10000, raised]


def test_raise_counts_from_the_first_listing_not_from_a_later_version():
    p = valve()
    lists = Lists()
    lists.publish({p: 10000}, day=0)
    lists.publish({p: 10500}, day=20)
    lists.publish({p: 12000}, day=35)  # +14 % on the previous version, +20 % on the first, but after 30 days
    assert run() == []


def test_raise_of_a_product_no_longer_listed_is_ignored_and_the_biggest_raise_is_the_evidence():
    gone, kept = valve(), valve()
    lists = Lists()
    lists.publish({gone: 10000, kept: 10000}, day=0)
    lists.publish({gone: 20000, kept: 12000}, day=5)
    lists.publish({kept: 13000}, day=10)
    lists.publish({kept: 12500}, day=15)
    (case,) = run()
    assert case.product_id == kept.id and case.evidence["price_fen"] == 13000 and case.evidence["version"] == 3


# -- (c) concerted moves --------------------------------------------------------------------------------------

def _three(tier=Tier.mid):
    return [valve(tier) for _ in range(3)]


def test_concert_three_suppliers_moving_by_the_same_ratio_open_one_case():
    a, b, c = _three()
    lists = Lists()
    lists.publish({a: 20000, b: 30000, c: 25000}, day=0)
    lists.publish({a: 22000, b: 33000, c: 25000}, day=10)
    lists.publish({a: 22000, b: 33000, c: 27750}, day=13)  # +10 %, +10 %, +11 % (within 1 point)
    (case,) = of_rule("concert", run())
    assert case.category == CaseCategory.price_manipulation and case.supplier_id == a.supplier_id
    assert case.evidence["suppliers"] == 3
    assert case.evidence["supplier_ids"] == [a.supplier_id, b.supplier_id, c.supplier_id]
    assert [(r["old_price_fen"], r["price_fen"]) for r in case.evidence["rows"]] == [
        (20000, 22000), (30000, 33000), (25000, 27750)]
    assert case.evidence["change_percent"] == 10.0
    assert all(name in case.description for name in (a.supplier.legal_name, c.supplier.legal_name))


def test_concert_two_suppliers_are_not_enough():
    a, b, c = _three()
    lists = Lists()
    lists.publish({a: 20000, b: 30000, c: 25000}, day=0)
    lists.publish({a: 22000, b: 33000, c: 25000}, day=10)
    assert of_rule("concert", run()) == []


def test_concert_tolerance_is_one_percentage_point():
    a, b, c = _three()
    lists = Lists()
    lists.publish({a: 20000, b: 30000, c: 25000}, day=0)
    lists.publish({a: 22000, b: 33000, c: 27751}, day=10)  # +10 %, +10 %, +11.004 %
    assert of_rule("concert", run()) == []


def test_concert_moves_must_fall_within_seven_days():
    a, b, c = _three()
    lists = Lists()
    lists.publish({a: 20000, b: 30000, c: 25000}, day=0)
    lists.publish({a: 22000, b: 30000, c: 25000}, day=10)
    lists.publish({a: 22000, b: 33000, c: 25000}, day=13)
    lists.publish({a: 22000, b: 33000, c: 27500}, day=17.1)  # 7.1 days after the first move
    assert of_rule("concert", run()) == []


def test_concert_counts_suppliers_not_products_and_needs_the_same_tier():
    s = make_supplier()
    a, b, c = valve(Tier.mid, supplier=s), valve(Tier.mid, supplier=s), valve(Tier.mid)
    d = valve(Tier.high)
    lists = Lists()
    lists.publish({a: 20000, b: 30000, c: 25000, d: 40000}, day=0)
    lists.publish({a: 22000, b: 33000, c: 27500, d: 44000}, day=2)  # two suppliers in mid, one in high
    assert of_rule("concert", run()) == []


def test_concert_four_suppliers_in_one_move_open_a_single_case():
    products = [valve(Tier.low) for _ in range(4)]
    lists = Lists()
    lists.publish(dict.fromkeys(products, 20000), day=0)
    lists.publish({p: 18000 + i for i, p in enumerate(products)}, day=1)  # all about −10 %
    (case,) = of_rule("concert", run())
    assert case.evidence["suppliers"] == 4 and len(case.evidence["rows"]) == 4


# -- cases: once, with number, deadline, timeline, audit and notice -------------------------------------------

def test_case_is_opened_once_with_timeline_audit_deadline_and_notice(calendar):
    regulator = make_user(Role.regulator)
    a, b, c = valve(), valve(), valve()
    Lists().publish({a: 10000, b: 10000, c: 20000})
    (case,) = run()
    assert case.number.startswith("JC-") and case.number.endswith("-000001")
    assert case.kind == CaseKind.monitor and case.state == CaseState.submitted
    assert case.district_id == district(CODE).id and case.supplier_id == c.supplier_id and case.product_id == c.id
    assert case.complainant_id is None and case.due_on is not None and case.due_rule == "report_check"
    assert case.evidence["detected_on"] and "中位价" in case.description
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
    assert event.message == price_monitor.OPENED and event.audience == "all"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.monitor_opened"))
    assert entry.target_id == str(case.id) and entry.actor_label == "system"
    note = db.session.scalar(select(Notification).where(Notification.user_id == regulator.id))
    assert note.link == f"/regulator/cases/{case.number}" and note.params["number"] == case.number

    assert run() == []  # a second run opens nothing new
    assert len(all_cases()) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_a_new_inflated_price_is_a_new_finding():
    a, b, c = valve(), valve(), valve()
    lists = Lists()
    lists.publish({a: 10000, b: 10000, c: 20000})
    assert len(run()) == 1
    lists.publish({a: 10000, b: 10000, c: 25000}, day=1)
    opened = run()
    assert keys(of_rule("inflated", opened)) == [f"inflated:{district(CODE).id}:{c.id}:25000"]
    assert keys(of_rule("raise", opened)) == [f"raise:{district(CODE).id}:{c.id}:25000"]  # +25 % within a day
    assert run() == []


def test_the_unique_key_is_the_last_guard_against_a_racing_run():
    a, b, c = valve(), valve(), valve()
    Lists().publish({a: 10000, b: 10000, c: 20000})
    (finding,) = price_monitor.findings()
    kwargs = {"today": now_utc().date(), "actor": None, "cal": price_monitor.Calendar.load(), "told": []}
    first = price_monitor._open_case(finding, **kwargs)
    assert price_monitor._open_case(finding, **kwargs) is None  # the key check was passed by: the constraint refuses
    db.session.commit()
    assert all_cases() == [first]


def test_nothing_on_the_lists_finds_nothing():
    assert run() == []


# -- the CLI command -----------------------------------------------------------------------------------------

def test_cli_command_opens_cases_and_commits_and_a_second_run_opens_nothing(app):
    a, b, c = valve(), valve(), valve()
    Lists().publish({a: 10000, b: 10000, c: 20000})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["complaints", "price-monitor"])
    assert result.exit_code == 0, result.output
    (case,) = all_cases()
    assert "new cases: 1" in result.output and case.number in result.output
    db.session.rollback()  # committed: still there
    assert len(all_cases()) == 1
    again = runner.invoke(args=["complaints", "price-monitor"])
    assert again.exit_code == 0 and "new cases: 0" in again.output
    assert len(all_cases()) == 1


# -- the page and its button ---------------------------------------------------------------------------------

URL = "/regulator/price-flags"


def test_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(URL + "/run")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.resident, Role.supplier, Role.admin])
def test_page_and_button_refuse_other_roles(client, as_user, role):
    a, b, c = valve(), valve(), valve()
    Lists().publish({a: 10000, b: 10000, c: 20000})
    as_user(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL + "/run").status_code == 403
    assert all_cases() == []


def test_regulator_sees_the_cases_with_their_evidence_in_yuan(client, as_user):
    a, b, c = valve(), valve(), valve()
    Lists().publish({a: 10000, b: 10000, c: 20000})
    (case,) = run()
    as_user(Role.regulator)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert case.number in html and f'href="/regulator/cases/{case.number}"' in html
    assert "¥200.00" in html and "¥100.00" in html  # price and median, from fen
    assert "虚高价格" in html and "立即运行价格监测" in html and c.supplier.legal_name in html
    english = client.get(URL + "?lang=en").get_data(as_text=True)
    assert case.number in english and "¥200.00" in english
    assert client.get(URL + "?category=price_manipulation").get_data(as_text=True).count(case.number) == 0
    assert client.get(URL + "?category=junk").status_code == 200


def test_regulator_page_without_cases(client, as_user):
    as_user(Role.regulator)
    response = client.get(URL)
    assert response.status_code == 200 and "价格监测尚未发现价格异常" in response.get_data(as_text=True)


def test_the_nav_shows_the_page_to_regulators_only(client, as_user):
    as_user(Role.regulator)
    assert f'href="{URL}"' in client.get("/").get_data(as_text=True)
    as_user(Role.resident)
    assert f'href="{URL}"' not in client.get("/").get_data(as_text=True)


def test_button_runs_the_monitor_commits_and_says_how_many(client, as_user):
    a, b, c = valve(), valve(), valve()
    Lists().publish({a: 10000, b: 10000, c: 20000})
    regulator = as_user(Role.regulator)
    response = client.post(URL + "/run", follow_redirects=True)
    assert response.status_code == 200
    (case,) = all_cases()
    html = response.get_data(as_text=True)
    assert "新立案 1 件" in html and case.number in html
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.monitor_opened"))
    assert entry.actor_id == regulator.id
    response = client.post(URL + "/run", follow_redirects=True)
    assert "没有发现新的价格异常" in response.get_data(as_text=True) and len(all_cases()) == 1
    assert client.get(URL + "/run").status_code == 405


def test_button_without_csrf_token_changes_nothing(csrf_app, client, as_user):
    a, b, c = valve(), valve(), valve()
    Lists().publish({a: 10000, b: 10000, c: 20000})
    as_user(Role.regulator)
    assert client.post(URL + "/run").status_code == 400
    assert all_cases() == []
    page = client.get(URL).get_data(as_text=True)
    assert 'name="csrf_token"' in page

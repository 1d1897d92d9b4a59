"""order_subsidy: the household subsidy of one unit, from the claim in force and the district's policy."""

from __future__ import annotations

from datetime import date

import pytest

from core.accounts.models import OrganisationKind, ResidentKind
from core.db import db, now_utc
from core.permissions import Role
from registry.districts.household_claims import HouseholdCategoryClaim
from registry.districts.models import OldCommunity, SubsidyKind, SubsidyPolicy
from registry.districts.subsidy import NO_SUBSIDY, SubsidyQuote, order_subsidy
from tests.conftest import district, make_user

ON = date(2026, 6, 1)
VALVE = "self_closing_valve"


def policy(category="low_income", device_type=VALVE, code="500103", **fields):
    values = {"kind": SubsidyKind.fixed, "amount_fen": 20000, "valid_from": date(2026, 1, 1),
              "valid_until": date(2026, 12, 31)} | fields
    row = SubsidyPolicy(district_id=district(code).id, category=category, device_type=device_type, **values)
    db.session.add(row)
    db.session.commit()
    return row


def resident(category="low_income", status="verified", code="500103", claim_code=None, **fields):
    user = make_user(Role.resident, home_district_id=district(code).id, **fields)
    if category is None:
        return user, None
    where = district(claim_code or code).id
    extra = {}
    if category == "old_community":
        community = OldCommunity(district_id=where, name="较场口小区", address="较场口 1 号")
        db.session.add(community)
        db.session.flush()
        extra["old_community_id"] = community.id
    if category in ("low_income", "registered_poor"):
        extra["certificate_number"] = "DB-1"
    if status != "pending":
        extra["decided_at"] = now_utc()
    if status == "rejected":
        extra["decision_reason"] = "不符"
    claim = HouseholdCategoryClaim(user_id=user.id, district_id=where, category=category, status=status,
                                   full_name="张三", address="渝中区", **extra)
    db.session.add(claim)
    db.session.commit()
    return user, claim


def quote(user, price=30000, device_type=VALVE, code="500103", on=ON):
    return order_subsidy(user, district(code).id, device_type, price, on)


def test_fixed_subsidy_of_a_verified_claim():
    row = policy()
    user, claim = resident()
    assert quote(user) == SubsidyQuote(20000, "low_income", row.id, claim.id)
    assert quote(user, price=15000).fen == 15000  # never more than the price


def test_percentage_subsidy_with_a_cap():
    policy(category="registered_poor", kind=SubsidyKind.percentage, amount_fen=None, percent=50, cap_fen=10000)
    user, _claim = resident("registered_poor")
    assert quote(user, price=15000).fen == 7500
    assert quote(user, price=30000).fen == 10000


def test_old_community_claim():
    policy(category="old_community", amount_fen=5000)
    user, _claim = resident("old_community")
    assert quote(user).fen == 5000 and quote(user).category == "old_community"


def test_expired_or_not_yet_valid_policy_gives_nothing():
    policy(valid_until=date(2026, 3, 31))
    user, claim = resident()
    assert quote(user, on=date(2026, 4, 1)) == SubsidyQuote(0, "low_income", None, claim.id)
    assert quote(user, on=date(2025, 12, 31)).fen == 0
    assert quote(user, on=date(2026, 3, 31)).fen == 20000


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_unverified_or_rejected_claim_gives_nothing(status):
    policy()
    user, _claim = resident(status=status)
    assert quote(user) == NO_SUBSIDY


def test_other_needs_no_verification():
    policy(category="other", amount_fen=3000)
    user, _claim = resident("other", status="pending")
    assert quote(user).fen == 3000


def test_device_type_not_covered_gives_nothing():
    policy(device_type="leak_alarm")
    user, claim = resident()
    assert quote(user) == SubsidyQuote(0, "low_income", None, claim.id)
    assert quote(user, device_type="leak_alarm").fen == 20000


def test_other_district_gives_nothing():
    policy()
    policy(code="500105")
    user, _claim = resident()
    assert quote(user, code="500105") == NO_SUBSIDY  # bought outside the home district
    moved, _claim = resident(code="500105", claim_code="500103")  # claim of a district they left
    assert quote(moved, code="500105") == NO_SUBSIDY and quote(moved, code="500103") == NO_SUBSIDY


def test_organisation_and_anonymous_get_nothing():
    policy()
    org, _claim = resident(resident_kind=ResidentKind.organisation, organisation_kind=OrganisationKind.restaurant)
    assert quote(org) == NO_SUBSIDY
    assert order_subsidy(None, district("500103").id, VALVE, 30000, ON) == NO_SUBSIDY


def test_no_claim_gives_nothing():
    policy()
    user, _claim = resident(None)
    assert quote(user) == NO_SUBSIDY

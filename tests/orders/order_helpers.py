"""A district with a published list, townships and a subsidy policy, and the order form as residents fill it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from catalog.models import DeviceType, Tier
from core.accounts.models import User
from core.db import db, now_utc
from core.permissions import Role
from orders.models import Order
from registry.districts.household_claims import HouseholdCategoryClaim
from registry.districts.models import OldCommunity, SubsidyKind, SubsidyPolicy, Township
from registry.lists.models import ListVersion
from tests.conftest import district, make_user
from tests.registry.helpers import published_list


@dataclass
class Listed:
    code: str
    official: User
    suppliers: list  # [(supplier, [low, mid, high] valves)]
    version: ListVersion
    township: Township
    community: OldCommunity

    @property
    def valve(self):
        """The first supplier's low-tier valve: ¥199 + ¥50 installation."""
        return self.suppliers[0][1][0]

    @property
    def supplier(self):
        return self.suppliers[0][0]


def listed(code: str = "500103") -> Listed:
    official, suppliers, version = published_list(code, 3)
    d = district(code)
    township = Township(district_id=d.id, name="解放碑街道")
    db.session.add(township)
    db.session.flush()
    community = OldCommunity(district_id=d.id, township_id=township.id, name="较场口小区", address="较场口 1 号")
    db.session.add(community)
    db.session.commit()
    return Listed(code, official, suppliers, version, township, community)


def policy(code: str = "500103", category: str = "low_income", device_type: str = "self_closing_valve",
           **fields) -> SubsidyPolicy:
    values = {"kind": SubsidyKind.fixed, "amount_fen": 10000, "valid_from": date(2020, 1, 1),
              "valid_until": None} | fields
    row = SubsidyPolicy(district_id=district(code).id, category=category, device_type=device_type, **values)
    db.session.add(row)
    db.session.commit()
    return row


def household(code: str = "500103", category: str | None = None, status: str = "verified",
              community: OldCommunity | None = None, **fields) -> User:
    """A household resident living in `code`, with a claim of `category` in `status` (none when None)."""
    user = make_user(Role.resident, home_district_id=district(code).id, **fields)
    if category is not None:
        extra = {}
        if category == "old_community":
            extra["old_community_id"] = community.id
        if category in ("low_income", "registered_poor"):
            extra["certificate_number"] = "渝民低保 2026-0001"
        if status != "pending":
            extra["decided_at"] = now_utc()
        if status == "rejected":
            extra["decision_reason"] = "证件号码与民政记录不符"
        db.session.add(HouseholdCategoryClaim(user_id=user.id, district_id=district(code).id, category=category,
                                              status=status, full_name="王小明", address="民族路 88 号", **extra))
        db.session.commit()
    return user


def form(world: Listed, **changes) -> dict:
    """The order form as a resident fills it in (SPEC 3.3 field names)."""
    values = {"quantity": "1", "township": str(world.township.id), "address": "民族路 88 号 3 单元 502",
              "contact_name": "王小明", "contact_phone": "13800138000",
              "preferred_date": (date.today() + timedelta(days=3)).isoformat()}
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def order_url(world: Listed, product=None, code: str | None = None) -> str:
    return f"/orders/new?product={(product or world.valve).id}&district={code or world.code}"


def orders_of(user) -> list[Order]:
    db.session.expire_all()
    return db.session.scalars(select(Order).where(Order.resident_id == user.id).order_by(Order.id)).all()


__all__ = ["DeviceType", "Tier"]

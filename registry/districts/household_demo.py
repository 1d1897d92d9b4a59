"""Demo data of the registry: the demo households' category claims, one in every category and state
(idempotent; after registry.demo, which gives the districts their old-community lists)."""

from __future__ import annotations

from sqlalchemy import select

from core.accounts.models import User
from core.db import db, now_utc
from core.demo import district_id
from registry.districts.household_claims import ClaimStatus, HouseholdCategoryClaim
from registry.districts.models import HouseholdCategory, OldCommunity

#: email, district code, category, status, household name, address, certificate number, official's reason.
DEMO_CLAIMS = (
    ("resident@demo.local", "500103", HouseholdCategory.old_community, ClaimStatus.verified,
     "张秀英", "渝中区解放碑街道民族路 88 号 3 单元 502", None, None),
    ("resident2@demo.local", "500105", HouseholdCategory.low_income, ClaimStatus.pending,
     "陈建国", "江北区观音桥街道建新北路 16 号 2-1", "DB500105-2026-0412", None),
    ("resident.poor@demo.local", "500103", HouseholdCategory.registered_poor, ClaimStatus.verified,
     "刘德福", "渝中区化龙桥街道红岩村 12 号 1-3", "JD500103-2019-0087", None),
    ("resident.lowincome@demo.local", "500103", HouseholdCategory.low_income, ClaimStatus.verified,
     "周桂兰", "渝中区七星岗街道中山一路 45 号 6-2", "DB500103-2025-1130", None),
    ("resident.rejected@demo.local", "500103", HouseholdCategory.low_income, ClaimStatus.rejected,
     "吴志强", "渝中区大溪沟街道人和街 7 号 4-4", "DB500103-2020-0001",
     "证件编号与区县城镇低保名单不符（该证已于 2023 年注销），请核对后重新申报。"),
)


def _claim(email, code, category, status, full_name, address, certificate, reason) -> None:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or db.session.scalar(select(HouseholdCategoryClaim.id).where(
            HouseholdCategoryClaim.user_id == user.id)):
        return
    community = None
    if category == HouseholdCategory.old_community:
        community = db.session.scalar(select(OldCommunity).where(OldCommunity.district_id == district_id(code))
                                      .order_by(OldCommunity.id).limit(1))
        if community is None:
            return
    official = db.session.scalar(select(User).where(User.email == f"official.{code}@demo.local"))
    decided = status != ClaimStatus.pending
    db.session.add(HouseholdCategoryClaim(
        user_id=user.id, district_id=district_id(code), category=category,
        old_community_id=community.id if community else None, status=status, full_name=full_name,
        address=address, certificate_number=certificate, decision_reason=reason,
        decided_by_id=official.id if decided and official else None, decided_at=now_utc() if decided else None))


def seed() -> None:
    """resident@: verified old community (渝中区); resident2@: pending low income (江北区); resident.poor@ and
    resident.lowincome@: verified (渝中区); resident.rejected@: rejected with the official's reason."""
    for row in DEMO_CLAIMS:
        _claim(*row)
    db.session.flush()

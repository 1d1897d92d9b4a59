"""Household category claims (SPEC 3.3): a resident declares, a district official verifies or rejects (audited).

Audit entries name the category, status and which personal fields changed, never their values.
"""

from __future__ import annotations

from sqlalchemy import update

from core import audit
from core.accounts.models import User
from core.db import db, now_utc
from core.errors import DomainError, NotAllowed
from core.i18n import N_, _
from core.notifications import notify
from registry.districts.household_claims import CERTIFICATE_CATEGORIES, ClaimStatus, HouseholdCategoryClaim
from registry.districts.household_queries import pending_claim
from registry.districts.models import HouseholdCategory, OldCommunity

#: Message ids of the category titles, for notifications stored untranslated (same msgids as the titles).
CATEGORY_MESSAGE_IDS = {
    HouseholdCategory.old_community: N_("老旧小区居民"),
    HouseholdCategory.registered_poor: N_("建档贫困户"),
    HouseholdCategory.low_income: N_("城镇低保户"),
    HouseholdCategory.other: N_("其他用户"),
}
CLAIM_PAGE = "/household/category"


class ClaimAlreadyDecided(DomainError):
    """Someone decided the claim first (or it needs no decision)."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__(_("该申报已处理过，无需再次处理。"), code="already_decided")


def declare_category(user: User, *, category: HouseholdCategory, full_name: str, address: str,
                     community: OldCommunity | None = None,
                     certificate_number: str | None = None) -> HouseholdCategoryClaim:
    """A household declares its category in its home district; a new declaration replaces a pending one.

    A verified claim stays as it is (and in force) until the new one is decided.
    """
    if user.is_organisation:
        raise NotAllowed(_("单位用户不适用住户类别。"))
    if user.home_district_id is None:
        raise DomainError(_("请先在“我的账号”中填写所在区县。"), code="no_home_district")
    category = HouseholdCategory(category)
    if category == HouseholdCategory.old_community:
        if community is None or community.district_id != user.home_district_id:
            raise DomainError(_("请从您所在区县的老旧小区名单中选择小区。"), field="community")
    else:
        community = None
    certificate_number = (certificate_number or "").strip() or None
    if category in CERTIFICATE_CATEGORIES:
        if certificate_number is None:
            raise DomainError(_("建档贫困户和城镇低保户请填写证件编号。"), field="certificate_number")
    else:
        certificate_number = None
    claim = pending_claim(user)
    replaced = claim is not None
    if claim is None:
        claim = HouseholdCategoryClaim(user_id=user.id, status=ClaimStatus.pending)
        db.session.add(claim)
    before = {"category": claim.category, "old_community_id": claim.old_community_id,
              "district_id": claim.district_id}
    personal = {"full_name": full_name, "address": address, "certificate_number": certificate_number}
    changed_personal = sorted(name for name, value in personal.items() if getattr(claim, name) != value)
    claim.district_id = user.home_district_id
    claim.category = category
    claim.old_community_id = community.id if community else None
    for name, value in personal.items():
        setattr(claim, name, value)
    db.session.flush()
    changes = {name: (value, getattr(claim, name)) for name, value in before.items()}
    audit.record(user, "household_claim.replaced" if replaced else "household_claim.declared", claim, changes,
                 extra={"personal_fields": changed_personal})
    return claim


def _decide(claim: HouseholdCategoryClaim, *, actor: User, status: ClaimStatus, reason: str | None) -> None:
    if not claim.can_decide(actor):
        raise NotAllowed()
    if not claim.awaiting_decision:
        raise ClaimAlreadyDecided()
    before = {"status": claim.status, "decided_by_id": None, "decision_reason": None}
    # One decision only, even when two officials press the button at once.
    decided = db.session.execute(
        update(HouseholdCategoryClaim)
        .where(HouseholdCategoryClaim.id == claim.id, HouseholdCategoryClaim.status == ClaimStatus.pending)
        .values(status=status, decided_by_id=actor.id, decided_at=now_utc(), decision_reason=reason)
        .execution_options(synchronize_session=False))
    if decided.rowcount != 1:
        raise ClaimAlreadyDecided()
    db.session.refresh(claim)
    audit.record(actor, f"household_claim.{status}", claim,
                 {name: (value, getattr(claim, name)) for name, value in before.items()}, reason=reason)


def verify_claim(claim: HouseholdCategoryClaim, *, actor: User, note: str | None = None) -> None:
    """The district official confirms the claim against the district's household lists; the resident is told."""
    _decide(claim, actor=actor, status=ClaimStatus.verified, reason=(note or "").strip() or None)
    notify([claim.user], N_("您的住户类别已核验通过"),
           N_("您申报的住户类别“%(category)s”已由区县经济信息部门核验通过，购买目录清单上的产品时可按政策享受补贴。"),
           params={"category": CATEGORY_MESSAGE_IDS[claim.category]}, link=CLAIM_PAGE)


def reject_claim(claim: HouseholdCategoryClaim, *, actor: User, reason: str) -> None:
    """The district official rejects the claim with a reason that the resident sees."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写不通过的理由。"), field="reason")
    _decide(claim, actor=actor, status=ClaimStatus.rejected, reason=reason)
    notify([claim.user], N_("您的住户类别申报未通过核验"),
           N_("您申报的住户类别“%(category)s”未通过核验。理由：%(reason)s。您可以修改后重新申报。"),
           params={"category": CATEGORY_MESSAGE_IDS[claim.category], "reason": reason}, link=CLAIM_PAGE)

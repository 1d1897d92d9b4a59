"""District administration: townships, old communities, targets, subsidy policies (all audited)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.accounts.models import User
from core.db import db
from core.districts import District
from core.errors import DomainError, NotAllowed
from core.i18n import _
from registry.districts.models import OldCommunity, SubsidyKind, SubsidyPolicy, Target, Township, TownshipKind


def _require(actor: User, district: District) -> None:
    """Officials edit their own districts only (District.can_manage)."""
    if not district.can_manage(actor):
        raise NotAllowed()


def _flush_unique(message: str, field: str) -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise DomainError(message, field=field) from exc


def save_township(district: District, *, actor: User, name: str, kind: TownshipKind,
                  township: Township | None = None) -> Township:
    """Create or rename a township/street."""
    _require(actor, district)
    if township is not None and township.district_id != district.id:
        raise NotAllowed()
    before = (township.name, township.kind) if township else (None, None)
    if township is None:
        township = Township(district_id=district.id, name=name.strip(), kind=kind)
        db.session.add(township)
    else:
        township.name, township.kind = name.strip(), kind
    _flush_unique(_("该区县已有同名乡镇/街道。"), "name")
    audit.record(actor, "township.saved", township, {"name": (before[0], township.name),
                                                     "kind": (before[1], township.kind)},
                 extra={"district": district.code})
    return township


def delete_township(township: Township, *, actor: User) -> None:
    """Delete a township that no target or community refers to."""
    _require(actor, township.district)
    in_use = db.session.scalar(select(Target.id).where(Target.township_id == township.id).limit(1)) or \
        db.session.scalar(select(OldCommunity.id).where(OldCommunity.township_id == township.id).limit(1))
    if in_use:
        raise DomainError(_("该乡镇/街道仍有目标任务或老旧小区，不能删除。"))
    audit.record(actor, "township.deleted", township, {"name": (township.name, None)})
    db.session.delete(township)
    db.session.flush()


def save_community(district: District, *, actor: User, name: str, address: str, township: Township | None,
                   community: OldCommunity | None = None) -> OldCommunity:
    """Create or edit an old community (老旧小区)."""
    _require(actor, district)
    if (community is not None and community.district_id != district.id) or (
            township is not None and township.district_id != district.id):
        raise NotAllowed()
    before = (community.name, community.address, community.township_id) if community else (None, None, None)
    if community is None:
        community = OldCommunity(district_id=district.id)
        db.session.add(community)
    community.name, community.address = name.strip(), address.strip()
    community.township_id = township.id if township else None
    _flush_unique(_("该区县已有同名老旧小区。"), "name")
    audit.record(actor, "old_community.saved", community, {
        "name": (before[0], community.name), "address": (before[1], community.address),
        "township_id": (before[2], community.township_id)}, extra={"district": district.code})
    return community


def delete_community(community: OldCommunity, *, actor: User) -> None:
    """Delete an old community that no household's category claim refers to."""
    _require(actor, community.district)
    name = community.name
    try:
        with db.session.begin_nested():  # a household's claim may refer to it (orders, a higher layer)
            db.session.delete(community)
            db.session.flush()
    except IntegrityError as exc:
        raise DomainError(_("已有住户申报该老旧小区，不能删除；如名称有误请修改。")) from exc
    audit.record(actor, "old_community.deleted", community, {"name": (name, None)})


def set_target(district: District, *, actor: User, township: Township, category: str, device_type: str,
               count: int) -> Target:
    """Set how many users of a category in a township must be covered with a device type."""
    _require(actor, district)
    if township.district_id != district.id:
        raise NotAllowed()
    if count < 0:
        raise DomainError(_("目标数不能为负。"), field="count")
    target = db.session.scalar(select(Target).where(Target.township_id == township.id,
                                                    Target.category == category, Target.device_type == device_type))
    before = target.count if target else None
    if target is None:
        target = Target(district_id=district.id, township_id=township.id, category=category,
                        device_type=device_type, count=count)
        db.session.add(target)
    target.count = count
    db.session.flush()
    audit.record(actor, "target.set", target, {"count": (before, count)},
                 extra={"district": district.code, "township": township.name, "category": category,
                        "device_type": device_type})
    return target


def add_subsidy_policy(district: District, *, actor: User, category: str, device_type: str, kind: SubsidyKind,
                       amount_fen: int | None, percent: int | None, cap_fen: int | None, valid_from: date,
                       valid_until: date | None) -> SubsidyPolicy:
    """Add a subsidy policy: a fixed amount, or a percentage with a cap, between dates."""
    _require(actor, district)
    if kind == SubsidyKind.fixed:
        if amount_fen is None or amount_fen < 0:
            raise DomainError(_("请填写补贴金额。"), field="amount")
        percent = cap_fen = None
    else:
        if percent is None or not 1 <= percent <= 100:
            raise DomainError(_("补贴比例应在 1% 到 100% 之间。"), field="percent")
        if cap_fen is None or cap_fen < 0:
            raise DomainError(_("按比例补贴须填写封顶金额。"), field="cap")
        amount_fen = None
    if valid_until is not None and valid_until < valid_from:
        raise DomainError(_("结束日期不能早于开始日期。"), field="valid_until")
    policy = SubsidyPolicy(district_id=district.id, category=category, device_type=device_type, kind=kind,
                           amount_fen=amount_fen, percent=percent, cap_fen=cap_fen, valid_from=valid_from,
                           valid_until=valid_until)
    db.session.add(policy)
    db.session.flush()
    audit.record(actor, "subsidy_policy.added", policy, {
        "category": (None, category), "device_type": (None, device_type), "kind": (None, kind),
        "amount_fen": (None, amount_fen), "percent": (None, percent), "cap_fen": (None, cap_fen),
        "valid_from": (None, valid_from), "valid_until": (None, valid_until)}, extra={"district": district.code})
    return policy


def end_subsidy_policy(policy: SubsidyPolicy, *, actor: User, on: date) -> None:
    """End a policy on a date (policies are never deleted: orders may refer to them)."""
    _require(actor, policy.district)
    if on < policy.valid_from:
        raise DomainError(_("结束日期不能早于开始日期。"), field="valid_until")
    before = policy.valid_until
    policy.valid_until = on
    db.session.flush()
    audit.record(actor, "subsidy_policy.ended", policy, {"valid_until": (before, on)})

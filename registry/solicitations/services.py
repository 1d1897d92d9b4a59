"""Solicitations (公开征集): open, apply, review in rounds, close."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from catalog.models import Product, ProductStatus
from core import audit
from core.accounts.models import User
from core.accounts.queries import officials_of
from core.clock import today_shanghai
from core.db import db, now_utc
from core.districts import District
from core.errors import DomainError, InvalidTransition, NotAllowed
from core.i18n import N_, _, date_local
from core.notifications import notify
from registry.lists import services as list_services
from registry.lists.models import (
    CRITERIA,
    Application,
    ApplicationItem,
    ApplicationStatus,
    Solicitation,
    SolicitationStatus,
)
from suppliers.models import Supplier, SupplierStatus


def _check_weights(weights: dict[str, int]) -> None:
    if set(weights) != set(CRITERIA) or any(not 0 <= int(v) <= 100 for v in weights.values()):
        raise DomainError(_("每项权重应在 0 到 100 之间。"), field="weight_qualification")
    if sum(int(v) for v in weights.values()) != 100:
        raise DomainError(_("四项权重之和必须为 100（现为 %(total)s）。", total=sum(weights.values())),
                          field="weight_qualification")


def open_solicitation(district: District, *, actor: User, title: str, requirements: str, device_types: list[str],
                      deadline: date, weights: dict[str, int], today: date | None = None) -> Solicitation:
    """Open a public call in the actor's district."""
    if not district.can_manage(actor):
        raise NotAllowed()
    if deadline < (today or today_shanghai()):
        raise DomainError(_("截止日期不能早于今天。"), field="deadline")
    if not device_types:
        raise DomainError(_("请至少选择一种装置类型。"), field="device_types")
    _check_weights(weights)
    call = Solicitation(district_id=district.id, title=title.strip(), requirements=requirements.strip(),
                        device_types=list(device_types), deadline=deadline, opened_by_id=actor.id,
                        **{f"weight_{c}": int(weights[c]) for c in CRITERIA})
    db.session.add(call)
    db.session.flush()
    audit.record(actor, "solicitation.opened", call, {"title": (None, call.title), "deadline": (None, deadline),
                                                      "weights": (None, weights)},
                 extra={"district": district.code})
    return call


def close_solicitation(call: Solicitation, *, actor: User) -> None:
    """Close a call: no more applications (pending ones can still be reviewed)."""
    if not call.can_manage(actor):
        raise NotAllowed()
    if call.status == SolicitationStatus.closed:
        raise InvalidTransition(_("该征集已结束。"))
    call.status, call.closed_at = SolicitationStatus.closed, now_utc()
    audit.record(actor, "solicitation.closed", call, {"status": ("open", "closed")})
    db.session.flush()


def supplier_may_apply(supplier: Supplier, today: date | None = None) -> str | None:
    """None when the supplier may apply, else the translated reason it may not.

    A blacklisted company may not apply up to and including `blacklisted_until` (SPEC 3.6); from the day after,
    the blacklist no longer bars it from applying.
    """
    if supplier.status == SupplierStatus.blacklisted:
        until = supplier.blacklisted_until
        if until is None or (today or today_shanghai()) <= until:
            return (_("贵单位已被列入黑名单，%(date)s（含）前不能参加公开征集。", date=date_local(until)) if until
                    else _("贵单位已被列入黑名单，不能参加公开征集。"))
        return None
    if supplier.is_barred():
        return _("贵单位已被暂停销售安装，不能参加公开征集。")
    if supplier.status != SupplierStatus.verified:
        return _("贵单位尚未通过核验，核验通过后方可参加公开征集。")
    return None


def apply(call: Solicitation, supplier: Supplier, *, actor: User, items: list[tuple[int, int, int]],
          note: str | None = None, today: date | None = None) -> Application:
    """A verified supplier applies with (product id, price fen, install fee fen) of its valid products."""
    if not supplier.has_staff(actor):
        raise NotAllowed()
    refusal = supplier_may_apply(supplier, today)
    if refusal:
        raise NotAllowed(refusal)
    if not call.is_accepting(today or today_shanghai()):
        raise InvalidTransition(_("该征集已截止或已结束。"))
    if db.session.scalar(select(Application.id).where(
            Application.solicitation_id == call.id, Application.supplier_id == supplier.id,
            Application.status == ApplicationStatus.submitted)):
        raise InvalidTransition(_("贵单位在该征集中已有待评审的申请。"))
    if not items:
        raise DomainError(_("请至少选择一款产品。"), field="products")
    application = Application(solicitation_id=call.id, supplier_id=supplier.id, submitted_by_id=actor.id,
                              note=(note or "").strip() or None)
    for product_id, price_fen, fee_fen in items:
        product = db.session.get(Product, product_id)
        if product is None or product.supplier_id != supplier.id or product.status != ProductStatus.valid:
            raise DomainError(_("只能申报本单位有效状态的产品。"), field="products")
        if str(product.device_type) not in call.device_types:
            raise DomainError(_("产品 %(model)s 不属于本次征集的装置类型。", model=product.model), field="products")
        if price_fen is None or fee_fen is None or price_fen <= 0 or fee_fen < 0:
            raise DomainError(_("产品 %(model)s 的价格须大于 0，安装费不能为负。", model=product.model),
                              field="products")
        application.items.append(ApplicationItem(product_id=product.id, price_fen=price_fen, install_fee_fen=fee_fen))
    db.session.add(application)
    if call.district not in supplier.districts:
        supplier.districts.append(call.district)
    db.session.flush()
    audit.record(actor, "application.submitted", application, {
        "items": (None, [[i.product_id, i.price_fen, i.install_fee_fen] for i in application.items])},
        extra={"solicitation_id": call.id, "supplier_id": supplier.id})
    notify(officials_of([call.district_id]), N_("新的征集申请：%(supplier)s"),
           N_("%(supplier)s 申请参加“%(title)s”，请评审。"),
           params={"supplier": supplier.legal_name, "title": call.title},
           link=f"/official/applications/{application.id}")
    return application


def review_application(application: Application, *, actor: User, scores: dict[str, int], comment: str | None,
                       decision: str | None, reason: str | None) -> None:
    """Score an application (0–100 on each criterion) and optionally accept or reject it with a reason."""
    call = application.solicitation
    if not call.can_manage(actor):
        raise NotAllowed()
    if application.status != ApplicationStatus.submitted:
        raise InvalidTransition(_("该申请已评审完毕。"))
    for c in CRITERIA:
        value = scores.get(c)
        if value is not None and not 0 <= int(value) <= 100:
            raise DomainError(_("评分应在 0 到 100 之间。"), field=f"score_{c}")
    before = {**application.scores(), "status": application.status}
    for c in CRITERIA:
        setattr(application, f"score_{c}", scores.get(c))
    application.comment = (comment or "").strip() or None
    if decision in ("accept", "reject"):
        if any(v is None for v in application.scores().values()):
            raise DomainError(_("作出决定前请为四项标准全部评分。"), field="decision")
        if not (reason or "").strip():
            raise DomainError(_("请填写入选或不入选的理由。"), field="reason")
        application.status = ApplicationStatus.accepted if decision == "accept" else ApplicationStatus.rejected
        application.decision_reason = reason.strip()
        application.reviewed_by_id, application.reviewed_at = actor.id, now_utc()
    db.session.flush()
    audit.record(actor, "application.reviewed", application,
                 {k: (before[k], v) for k, v in {**application.scores(), "status": application.status}.items()},
                 reason=application.decision_reason)
    if application.status == ApplicationStatus.submitted:
        return
    if application.status == ApplicationStatus.accepted:
        list_services.admit_application(application, actor=actor)
    body = (N_("您的申请已入选，将列入目录清单候选名单。理由：%(reason)s") if decision == "accept"
            else N_("您的申请未入选。理由：%(reason)s"))
    notify(application.supplier.staff, N_("征集结果：%(title)s"), body,
           params={"title": call.title, "reason": application.decision_reason}, link="/applications")

"""Sanctions against a supplier and their effects (SPEC 3.6, 附件1 四(三)): they flush, never commit.

Every sanction comes from a case about the supplier (any state but merged), is audited, appears on the case's
timeline and is told to the supplier's staff and the complainant.

- warning: recorded and told;
- rectification: a deadline after today, tracked (`overdue_rectifications`), completed by a regulator;
- suspension: the company's status becomes suspended (suppliers.services.set_status): its products leave search
  and the API at once (market listens to the status signal) and no new order may be placed; lifted by `complete`;
- delisting: from one district or every district whose current list carries the company, through the registry's
  removal service (a new list version and a public announcement with the case number and category in each, never
  the complainant; officials told when the list falls below the minimum), then its open orders there are
  withdrawn (orders.withdrawal: unpaid canceled, paid but not installed flagged and the resident offered a
  refund or another supplier);
- blacklist: status blacklisted until a date (included): as a suspension, and no solicitation application until
  the day after (registry.solicitations.services.supplier_may_apply).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from complaints.models import (
    CASE_CATEGORY_TITLES,
    SANCTION_KIND_TITLES,
    Case,
    CaseState,
    Sanction,
    SanctionKind,
)
from complaints.services import record_event, tell_complainant
from core import audit
from core.accounts.models import User
from core.clock import now_utc, to_shanghai, today_shanghai
from core.db import db
from core.districts import District
from core.errors import DomainError, InvalidTransition, NotAllowed
from core.i18n import N_, _, message_node, msgid_of, stored_message
from core.notifications import notify
from orders.withdrawal import withdraw_supplier
from registry.lists import queries as list_queries
from registry.lists import services as list_services
from suppliers import services as supplier_services
from suppliers.models import Supplier, SupplierStatus

K = SanctionKind
#: Sanctions that stay open until a regulator completes (rectification) or lifts (suspension, blacklist) them.
COMPLETABLE = frozenset({K.rectification, K.suspension, K.blacklist})

IMPOSED_EVENT = N_("已作出处理：%(kind)s")
COMPLETED_EVENT = N_("处理已完成或解除：%(kind)s")
CASE_TOLD = N_("案件 %(number)s：已作出处理（%(kind)s）")
STAFF_SUBJECT = N_("%(company)s 受到处理：%(kind)s（案件编号 %(number)s）")
STAFF_BODY = {
    K.warning: N_("市场监管部门对贵单位予以警告。请依法依规经营。"),
    K.rectification: N_("市场监管部门责令贵单位整改，请于 %(due_on)s 前完成整改并报告。"),
    K.suspension: N_("贵单位已被暂停销售安装：产品已从搜索中撤下，用户不能下新订单。"),
    K.delisting: N_("贵单位已被移出以下区县的目录清单：%(districts)s。"),
    K.blacklist: N_("贵单位已被列入黑名单，%(until)s（含）前不能参加公开征集，产品不能销售。"),
}
LIFTED_SUBJECT = N_("%(company)s：%(kind)s已完成或解除")
#: The reason the registry records and announces: the case's category and the regulator's note.
DELIST_REASON = N_("%(category)s：%(note)s")



def _kind_param(kind: SanctionKind) -> str:
    return msgid_of(SANCTION_KIND_TITLES[SanctionKind(kind)])


def case_for_sanction(number: str | None, supplier: Supplier) -> Case:
    """The case a sanction against `supplier` comes from: an existing case about it, not merged."""
    number = (number or "").strip().upper()
    case = db.session.scalar(select(Case).where(Case.number == number)) if number else None
    if case is None:
        raise DomainError(_("没有编号为 %(number)s 的案件。", number=number) if number else _("请填写案件编号。"),
                          field="case_number")
    check_case(case, supplier)
    return case


def check_case(case: Case, supplier: Supplier | None = None) -> None:
    if case.supplier_id is None:
        raise DomainError(_("案件 %(number)s 涉及的单位未在平台登记，不能据此处理。", number=case.number),
                          field="case_number")
    if supplier is not None and case.supplier_id != supplier.id:
        raise DomainError(_("案件 %(number)s 涉及的不是该单位。", number=case.number), field="case_number")
    if CaseState(case.state) == CaseState.merged:
        raise DomainError(_("案件 %(number)s 已合并到其他案件，请使用合并后的案件编号。", number=case.number),
                          field="case_number")


def _staff(supplier: Supplier) -> list[User]:
    return [u for u in supplier.staff if u.active]


def _districts_to_delist(supplier: Supplier, district: District | None) -> list[District]:
    listed = list_queries.supplier_listed_districts(supplier.id)
    if district is None:
        if not listed:
            raise DomainError(_("%(name)s 目前不在任何区县的现行目录清单上。", name=supplier.legal_name),
                              field="district")
        return listed
    if district.id not in {d.id for d in listed}:
        raise DomainError(_("%(name)s 不在%(district)s的现行目录清单上。", name=supplier.legal_name,
                            district=district.name), field="district")
    return [district]


def impose(case: Case, kind: SanctionKind, *, actor: User, note: str, district: District | None = None,
           due_on: date | None = None, until: date | None = None, today: date | None = None) -> Sanction:
    """Impose a sanction of `kind` on the case's supplier, with all its effects; refuses bad input unchanged."""
    if not Case.is_regulator(actor):
        raise NotAllowed(_("只有市场监管部门可以作出处理。"))
    kind = SanctionKind(kind)
    check_case(case)
    supplier = case.supplier
    today = today or today_shanghai()
    note = (note or "").strip()
    if not note:
        raise DomainError(_("请填写处理说明。"), field="note")
    if kind == K.rectification:
        if due_on is None:
            raise DomainError(_("责令整改须写明整改期限。"), field="due_on")
        if due_on <= today:
            raise DomainError(_("整改期限须晚于今天。"), field="due_on")
    if kind == K.blacklist:
        if until is None:
            raise DomainError(_("列入黑名单须写明截止日期。"), field="until")
        if until <= today:
            raise DomainError(_("黑名单截止日期须晚于今天。"), field="until")
    if kind == K.suspension and SupplierStatus(supplier.status) in (SupplierStatus.suspended,
                                                                    SupplierStatus.blacklisted):
        raise InvalidTransition(_("%(name)s 已处于暂停或黑名单状态。", name=supplier.legal_name))
    if kind == K.blacklist and SupplierStatus(supplier.status) == SupplierStatus.blacklisted:
        raise InvalidTransition(_("%(name)s 已在黑名单中（至 %(date)s），请先解除原黑名单。", name=supplier.legal_name,
                                  date=supplier.blacklisted_until.isoformat() if supplier.blacklisted_until else "—"))
    districts = _districts_to_delist(supplier, district) if kind == K.delisting else []

    sanction = Sanction(case=case, supplier_id=supplier.id, kind=kind, note=note, created_by_id=actor.id,
                        created_at=now_utc(), district_id=district.id if (kind == K.delisting and district) else None,
                        due_on=due_on if kind == K.rectification else None,
                        until=until if kind == K.blacklist else None)
    db.session.add(sanction)
    db.session.flush()
    effects: dict = {}
    if kind in (K.suspension, K.blacklist):
        effects["status_before"] = SupplierStatus(supplier.status).value
        supplier_services.set_status(
            supplier, SupplierStatus.suspended if kind == K.suspension else SupplierStatus.blacklisted, actor,
            f"{case.number}: {note}", blacklisted_until=until if kind == K.blacklist else None)
    if kind == K.delisting:
        effects.update(_delist(case, supplier, districts, actor=actor, note=note, today=today))
    sanction.effects = effects or None
    audit.record(actor, "sanction.imposed", sanction, {"kind": (None, kind)}, reason=note,
                 extra={"case_number": case.number, "supplier_id": supplier.id,
                        "due_on": sanction.due_on, "until": sanction.until, "effects": effects})
    params = {"kind": _kind_param(kind)}
    record_event(case, IMPOSED_EVENT, actor=actor, params=params, note=note, audience="all")
    tell_complainant(case, CASE_TOLD, params=params)
    body_params = {"company": supplier.legal_name, "number": case.number, "kind": _kind_param(kind),
                   "due_on": due_on.isoformat() if due_on else "", "until": until.isoformat() if until else "",
                   "districts": "、".join(d.name for d in districts),
                   "districts_en": ", ".join(d.name_en or d.name for d in districts)}
    notify(_staff(supplier), STAFF_SUBJECT, STAFF_BODY[kind], params=body_params, link="/supplier/cases")
    db.session.flush()
    return sanction


def _delist(case: Case, supplier: Supplier, districts: list[District], *, actor: User, note: str,
            today: date) -> dict:
    """Take the supplier off each district's list (new version + announcement each), then withdraw its orders."""
    reason = stored_message(DELIST_REASON, category=message_node(CASE_CATEGORY_TITLES[case.category]),
                            note=note.rstrip("。．. "))  # the announcement adds its own punctuation
    versions: dict[str, int | None] = {}
    for district in districts:
        version = list_services.remove_supplier(district, supplier, actor=actor, reason=reason,
                                                case_number=case.number, today=today)
        versions[district.code] = version.number if version is not None else None
    withdrawn = withdraw_supplier(supplier, [d.id for d in districts], actor=actor, case_number=case.number)
    return {"districts": [d.code for d in districts], "versions": versions, **withdrawn.as_dict()}


def complete(sanction: Sanction, actor: User, note: str) -> None:
    """Record a rectification as done, or lift a suspension or a blacklist (the company is verified again)."""
    if not Case.is_regulator(actor):
        raise NotAllowed(_("只有市场监管部门可以作出处理。"))
    kind = SanctionKind(sanction.kind)
    note = (note or "").strip()
    if kind not in COMPLETABLE:
        raise InvalidTransition(_("“%(kind)s”无需完成或解除。", kind=SANCTION_KIND_TITLES[kind]))
    if sanction.completed_at is not None:
        raise InvalidTransition(_("该处理已于 %(date)s 完成或解除。",
                                  date=to_shanghai(sanction.completed_at).date().isoformat()))
    if not note:
        raise DomainError(_("请填写完成或解除的说明。"), field="note")
    supplier: Supplier = sanction.supplier
    sanction.completed_at, sanction.completed_note = now_utc(), note
    if kind in (K.suspension, K.blacklist):
        held = SupplierStatus.suspended if kind == K.suspension else SupplierStatus.blacklisted
        if SupplierStatus(supplier.status) == held and not _other_open(sanction, kind):
            # a suspension still open under a lifted blacklist keeps the company suspended
            back = (SupplierStatus.suspended if kind == K.blacklist and _other_open(sanction, K.suspension)
                    else SupplierStatus.verified)
            supplier_services.set_status(supplier, back, actor, f"{sanction.case.number}: {note}")
    db.session.flush()
    audit.record(actor, "sanction.completed", sanction, {"completed_at": (None, sanction.completed_at)},
                 reason=note, extra={"case_number": sanction.case.number, "kind": kind})
    params = {"kind": _kind_param(kind)}
    record_event(sanction.case, COMPLETED_EVENT, actor=actor, params=params, note=note, audience="all")
    notify(_staff(supplier), LIFTED_SUBJECT, params={"company": supplier.legal_name, **params},
           link="/supplier/cases")
    db.session.flush()


def _other_open(sanction: Sanction, kind: SanctionKind) -> bool:
    """Another open sanction of `kind` against the same company."""
    return db.session.scalar(select(Sanction.id).where(
        Sanction.supplier_id == sanction.supplier_id, Sanction.kind == kind, Sanction.completed_at.is_(None),
        Sanction.id != sanction.id).limit(1)) is not None


# -- reads ---------------------------------------------------------------------------------------------------

def supplier_sanctions(supplier: Supplier) -> list[Sanction]:
    """The company's sanctions, newest first."""
    return list(db.session.scalars(select(Sanction).where(Sanction.supplier_id == supplier.id)
                                   .order_by(Sanction.created_at.desc(), Sanction.id.desc())))


def open_rectifications(supplier: Supplier | None = None) -> list[Sanction]:
    """Rectification orders not completed yet, soonest deadline first."""
    query = select(Sanction).where(Sanction.kind == K.rectification, Sanction.completed_at.is_(None))
    if supplier is not None:
        query = query.where(Sanction.supplier_id == supplier.id)
    return list(db.session.scalars(query.order_by(Sanction.due_on, Sanction.id)))


def overdue_rectifications(today: date | None = None, supplier: Supplier | None = None) -> list[Sanction]:
    """Rectification orders past their deadline and not completed."""
    today = today or today_shanghai()
    return [s for s in open_rectifications(supplier) if s.due_on is not None and s.due_on < today]


def is_overdue(sanction: Sanction, today: date | None = None) -> bool:
    return (SanctionKind(sanction.kind) == K.rectification and sanction.completed_at is None
            and sanction.due_on is not None and sanction.due_on < (today or today_shanghai()))


def lift_lapsed_blacklists(today: date | None = None) -> list[Supplier]:
    """Blacklists whose last day has passed: the company is verified again (system, audited); for a daily job."""
    today = today or today_shanghai()
    lifted = []
    rows = db.session.scalars(select(Supplier).where(Supplier.status == SupplierStatus.blacklisted,
                                                     Supplier.blacklisted_until < today))
    for supplier in rows.all():
        for sanction in db.session.scalars(select(Sanction).where(
                Sanction.supplier_id == supplier.id, Sanction.kind == K.blacklist, Sanction.completed_at.is_(None))):
            sanction.completed_at, sanction.completed_note = now_utc(), N_("黑名单期限届满")
        supplier_services.set_status(supplier, SupplierStatus.verified, None, N_("黑名单期限届满"))
        lifted.append(supplier)
    db.session.flush()
    return lifted

"""The list publication check of SPEC section 4: every problem at once, each naming its rule."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from catalog.models import TIER_ORDER, TIER_TITLES, CertificateStatus, ProductStatus
from core.i18n import _, _l, join_list, ngettext
from core.policy_source import source_reference

MIN_SUPPLIERS = 3

#: Rule ids with the policy text they come from.
RULES = {
    "list.min_suppliers": "附件1 四(二) 原则上不少于3家",
    "list.tiers": "附件1 四(二) 低、中、高档产品",
    "list.public_fields": "附件1 四(二) 向社会公开",
    "list.supplier_status": "附件1 四(三)",
    "list.certificate_expired": "附件3 一、1",
    "list.product_invalid": "附件3",
}


#: What each list rule asks for, in plain words (the rule ids stay internal).
RULE_TITLES = {
    "list.min_suppliers": _l("入选单位原则上不少于 3 家"),
    "list.tiers": _l("每家单位低、中、高档产品齐全"),
    "list.public_fields": _l("向社会公开的信息完整"),
    "list.supplier_status": _l("单位未被暂停或列入黑名单"),
    "list.certificate_expired": _l("产品证书在有效期内"),
    "list.product_invalid": _l("产品处于有效状态"),
}


def source_label(source: str | None) -> str:
    """The annex and clause of a stored source in the reader's language, without the quote that follows them:
    "附件1 四(二) 原则上不少于3家" shows as 「附件1 四(二)」 / "Annex 1, IV(2)" ('' when there is none)."""
    return source_reference(" ".join((source or "").split()[:2]))


def rule_title(rule: str | None) -> str:
    """A rule in plain words ('' for an unknown rule: the problem's message still says what is wrong)."""
    title = RULE_TITLES.get(rule or "")
    return str(title) if title is not None else ""


@dataclass
class Candidate:
    """A supplier as it would stand on the list, with its products and district prices."""

    supplier: object
    items: list[tuple[object, int, int]] = field(default_factory=list)  # (product, price_fen, install_fee_fen)


@dataclass
class Problem:
    """One reason the list cannot be published."""

    rule: str
    message: str
    supplier_id: int | None = None
    supplier_name: str | None = None
    product_id: int | None = None
    product_model: str | None = None

    @property
    def source(self) -> str:
        return RULES[self.rule]

    def as_dict(self) -> dict:
        return {**asdict(self), "source": self.source}


def _certificate_problem(certificate, today: date) -> str | None:
    if certificate.status == CertificateStatus.valid and certificate.valid_until >= today:
        return None
    return certificate.number


def _supplier_field_problems(supplier) -> list[str]:
    labels = {
        "legal_name": _("单位名称"), "qualification_level": _("资质等级"), "contact_person": _("联系人"),
        "phone": _("联系电话"), "service_content": _("服务内容"),
    }
    return [str(label) for attr, label in labels.items() if not (getattr(supplier, attr) or "").strip()]


def _product_usable(product, today: date) -> bool:
    return product.status == ProductStatus.valid and all(
        _certificate_problem(c, today) is None for c in product.certificates)


def check(candidates: list[Candidate], *, today: date, exception_reason: str | None = None) -> list[Problem]:
    """All section 4 problems of a would-be list; `list.min_suppliers` is excused by an exception reason."""
    problems: list[Problem] = []
    if len(candidates) < MIN_SUPPLIERS and not (exception_reason or "").strip():
        problems.append(Problem("list.min_suppliers", ngettext(
            "清单上只有 %(count)s 家单位，原则上不少于 3 家；少于 3 家须填写书面例外理由。",
            "清单上只有 %(count)s 家单位，原则上不少于 3 家；少于 3 家须填写书面例外理由。",
            len(candidates), count=len(candidates))))
    for cand in candidates:
        problems.extend(_supplier_problems(cand, today))
    return problems


def _supplier_problems(cand: Candidate, today: date) -> list[Problem]:
    s = cand.supplier
    who = {"supplier_id": s.id, "supplier_name": s.legal_name}
    found: list[Problem] = []
    if s.is_barred():
        found.append(Problem("list.supplier_status", _("%(name)s 已被暂停或列入黑名单，不能列入清单。",
                                                       name=s.legal_name), **who))
    missing = _supplier_field_problems(s)
    if not cand.items:
        missing.append(_("产品型号和价格"))
    if missing:
        found.append(Problem("list.public_fields", _("%(name)s 的公开信息不完整：%(fields)s。",
                                                     name=s.legal_name, fields=join_list(missing)), **who))
    for product, price_fen, _fee in cand.items:
        what = {**who, "product_id": product.id, "product_model": product.model}
        if not (product.model or "").strip() or price_fen is None or price_fen <= 0:
            found.append(Problem("list.public_fields", _("%(name)s 的产品 %(model)s 缺少型号或价格。",
                                                         name=s.legal_name, model=product.model), **what))
        if product.status != ProductStatus.valid:
            found.append(Problem("list.product_invalid", _("%(name)s 的产品 %(model)s 当前不是有效状态。",
                                                           name=s.legal_name, model=product.model), **what))
        for cert in product.certificates:
            if _certificate_problem(cert, today):
                found.append(Problem("list.certificate_expired", _(
                    "%(name)s 的产品 %(model)s 的证书 %(number)s 已过期或失效（有效期至 %(until)s）。",
                    name=s.legal_name, model=product.model, number=cert.number,
                    until=cert.valid_until.isoformat()), **what))
    usable_tiers = {p.tier for p, _price, _fee in cand.items if _product_usable(p, today)}
    lacking = [str(TIER_TITLES[t]) for t in TIER_ORDER if t not in usable_tiers]
    if lacking:
        found.append(Problem("list.tiers", _("%(name)s 缺少有效的%(tiers)s产品（低、中、高档各至少一款）。",
                                             name=s.legal_name, tiers=join_list(lacking)), **who))
    return found


def rule_source(rule: str | None) -> str:
    """The policy text a rule comes from, as stored ('' for an unknown rule)."""
    return RULES.get(rule or "", "")


#: What list pages use to show a problem: its rule in plain words and its source clause (never the rule id).
TEMPLATE_HELPERS = {"rule_title": rule_title, "rule_source": rule_source, "source_label": source_label}

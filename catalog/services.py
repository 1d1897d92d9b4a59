"""Catalog services: products and certificates change state here, audited; callers commit.

Signals (catalog.signals) are sent inside the transaction, after the change was flushed, so that
receivers in higher layers (registry) can record their own consequences in the same commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from catalog import tiers
from catalog.models import (
    CERTIFICATE_STATUS_TITLES,
    CHECKED,
    Certificate,
    CertificateKind,
    CertificateStatus,
    DeviceType,
    Product,
    ProductStatus,
    Tier,
    Usage,
)
from catalog.signals import product_changed, product_invalidated, product_withdrawn
from core import audit
from core.accounts.models import User
from core.clock import today_shanghai
from core.db import db
from core.errors import DomainError, EditConflict, NotAllowed
from core.i18n import N_, _, join_list, message_node, stored_join, stored_message
from core.notifications import notify
from core.uploads import discard_upload

#: Fields whose change on a listed product matters to lists, search and the price monitor.
PUBLIC_FIELDS = ("brand", "manufacturer", "model", "device_type", "usage", "tier", "features", "standards",
                 "price_fen", "install_fee_fen", "early_price_fen", "early_price_until", "warranty_months",
                 "service_content", "smart")
AUTHORISATION_SOURCE = "附件1 四(二)"


@dataclass
class ProductData:
    """The supplier-editable fields of a product declaration (prices in fen)."""

    device_type: DeviceType
    usage: Usage | None
    tier: Tier
    brand: str
    manufacturer: str
    model: str
    is_own_manufacture: bool
    price_fen: int
    install_fee_fen: int
    warranty_months: int
    features: list[str] = field(default_factory=list)
    standards: list[str] = field(default_factory=list)
    service_content: str | None = None
    early_price_fen: int | None = None
    early_price_until: date | None = None


@dataclass
class CertificateData:
    """The fields of a certificate as the supplier declares them."""

    kind: CertificateKind
    number: str
    issuer: str
    valid_until: date
    standard_edition: str | None = None
    valid_from: date | None = None


def _check_data(data: ProductData) -> ProductData:
    device_type = DeviceType(data.device_type)
    if device_type == DeviceType.leak_alarm and not data.usage:
        raise DomainError(_("报警装置请选择用途（家用或商用）。"), field="usage")
    data.usage = Usage(data.usage) if device_type == DeviceType.leak_alarm else None
    unknown = [f for f in data.features if f not in tiers.FEATURE_LABELS]
    if unknown:
        raise DomainError(_("未知的功能：%(names)s", names=join_list(unknown)), field="features")
    if data.price_fen < 0 or data.install_fee_fen < 0:
        raise DomainError(_("价格不能为负数。"), field="price")
    if (data.early_price_fen is None) != (data.early_price_until is None):
        raise DomainError(_("早鸟价和截止日期须同时填写或同时留空。"), field="early_price")
    if data.warranty_months < 0:
        raise DomainError(_("质保期不能为负数。"), field="warranty_months")
    data.features = [f for f in tiers.FEATURE_LABELS if f in set(data.features)]  # vocabulary order, no dups
    data.standards = [s.strip() for s in data.standards if s.strip()]
    return data


def _apply(product: Product, data: ProductData) -> dict:
    """Copy `data` onto the product; returns {field: (old, new)} for what changed."""
    changes = {}
    values = {name: getattr(data, name) for name in ProductData.__dataclass_fields__}
    values["smart"] = tiers.is_smart(data.features)
    for name, new in values.items():
        old = getattr(product, name)
        if old != new:
            changes[name] = (old, new)
            setattr(product, name, new)
    return changes


def _require_may_sell(product_or_supplier) -> None:
    supplier = getattr(product_or_supplier, "supplier", product_or_supplier)
    if not supplier.can_sell():
        raise NotAllowed(_("单位已被暂停或列入黑名单，不能变更产品。"))


def create_product(supplier, data: ProductData, *, actor: User, authorisation_file: str | None = None) -> Product:
    """Create a draft product for `supplier`."""
    _require_may_sell(supplier)
    data = _check_data(data)
    product = Product(supplier_id=supplier.id, status=ProductStatus.draft, authorisation_file=authorisation_file)
    product.supplier = supplier
    _apply(product, data)
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "product.created", product, {"model": (None, product.model),
                                                     "tier": (None, product.tier),
                                                     "price_fen": (None, product.price_fen)})
    return product


def _changed_by_someone_else() -> EditConflict:
    return EditConflict(_("该产品已被他人修改，以下为当前内容。请核对后重新修改并保存。"))


def update_product(product: Product, data: ProductData, *, actor: User, authorisation_file: str | None = None,
                   as_of: date | None = None, seen_version: int | None = None) -> dict:
    """Change a draft, invalid or valid product; a valid one is re-validated at once.

    `seen_version` is the product's version_id the editor loaded: the row is re-read (locked on PostgreSQL)
    so the audit's before values are current, and an edit based on an older version raises EditConflict.
    """
    if seen_version is not None:
        db.session.refresh(product, with_for_update=True)
        if product.version_id != seen_version:
            raise _changed_by_someone_else()
    _require_may_sell(product)
    if not product.can_edit(actor):
        raise NotAllowed()
    data = _check_data(data)
    changes = _apply(product, data)
    if authorisation_file and authorisation_file != product.authorisation_file:
        changes["authorisation_file"] = (product.authorisation_file, authorisation_file)
        discard_upload(product.authorisation_file)
        product.authorisation_file = authorisation_file
    if not changes:
        return changes
    try:
        db.session.flush()
    except StaleDataError as exc:  # committed by someone else between the re-read and this UPDATE
        raise _changed_by_someone_else() from exc
    audit.record(actor, "product.updated", product, changes)
    if "price_fen" in changes or "install_fee_fen" in changes:
        price_changes = {k: v for k, v in changes.items() if k in ("price_fen", "install_fee_fen")}
        audit.record(actor, "product.price_changed", product, price_changes)
    if product.status == ProductStatus.valid:
        public = {k: v for k, v in changes.items() if k in PUBLIC_FIELDS}
        if revalidate(product, actor=actor, as_of=as_of, reason=_("产品资料修改后不再符合档次要求。")) and public:
            product_changed.send(product, changes=public)
    return changes


def evaluate(product: Product, as_of: date | None = None) -> dict:
    """The validator's verdict on the product, plus the authorisation requirement."""
    as_of = as_of or today_shanghai()
    declaration = tiers.declaration_from_product(product, as_of)
    verdict = dict(tiers.validate(declaration, as_of))
    if product.authorisation_missing:
        verdict["violations"] = [*verdict.get("violations", []), _authorisation_violation()]
        verdict["valid"] = False
    return _annotated(verdict, declaration, as_of)


def preview_verdict(data: ProductData, *, product: Product | None = None, has_authorisation: bool = False,
                    declared_certificates: tuple[tiers.CertificateDeclaration, ...] = (),
                    as_of: date | None = None) -> dict:
    """The verdict a declaration would get, before it is saved (the form's "check" button).

    It counts the product's registered certificates and `declared_certificates`, ones the supplier typed into
    the pre-check without uploading them yet (nothing of them is stored).
    """
    as_of = as_of or today_shanghai()
    certificates = tiers.declaration_from_product(product, as_of).certificates if product is not None else ()
    declaration = tiers.TierDeclaration(
        device_type=str(data.device_type), tier=str(data.tier), usage=str(data.usage) if data.usage else None,
        features=frozenset(f for f in data.features if f in tiers.FEATURE_LABELS),
        standards=tuple(s for s in data.standards if s.strip()),
        certificates=(*certificates, *declared_certificates), as_of=as_of)
    verdict = dict(tiers.validate(declaration, as_of))
    if not data.is_own_manufacture and not has_authorisation:
        verdict["violations"] = [*verdict["violations"], _authorisation_violation()]
        verdict["valid"] = False
    verdict["declared_certificates"] = len(declared_certificates)
    verdict["registered_certificates"] = len(certificates)
    return _annotated(verdict, declaration, as_of)


def _annotated(verdict: dict, declaration: tiers.TierDeclaration, as_of: date) -> dict:
    """What pages add to the validator's verdict (the open API's answer stays exactly SPEC section 5).

    `certificates_unknown`: an alarm with no certificate at all, whose certificate rule cannot be judged yet;
    `qualifies_without_certificates`: the highest tier its other declarations meet.
    """
    verdict["as_of"] = as_of.isoformat()
    unknown = declaration.device_type == tiers.ALARM and not declaration.certificates
    verdict["certificates_unknown"] = unknown
    if unknown:
        verdict["qualifies_without_certificates"] = tiers.highest_tier(
            declaration, as_of, ignore=("alarm.certificates",))
    return verdict


AUTHORISATION_MESSAGE = N_("贵单位不是该产品的生产厂家，请上传生产厂家出具的授权书。")


def _authorisation_violation() -> dict:
    return {"rule": "catalog.authorisation", "source": AUTHORISATION_SOURCE,
            "message": _(AUTHORISATION_MESSAGE)}


def submit_product(product: Product, *, actor: User, as_of: date | None = None) -> dict:
    """Submit for validation: valid when the validator passes and any needed authorisation exists."""
    _require_may_sell(product)
    before = product.status
    product.transition_to(ProductStatus.submitted)
    verdict = evaluate(product, as_of)
    product.verdict = verdict
    product.transition_to(ProductStatus.valid if verdict["valid"] else ProductStatus.invalid)
    db.session.flush()
    audit.record(actor, "product.submitted", product, {"status": (before, product.status)},
                 extra={"violations": [v["rule"] for v in verdict.get("violations", [])]})
    if before == ProductStatus.valid and product.status == ProductStatus.invalid:
        _after_invalidation(product, _("重新提交后未通过校验。"))
    return verdict


def withdraw_product(product: Product, *, actor: User, reason: str | None = None) -> None:
    """The supplier takes a product off the market (it leaves every list)."""
    before = product.status
    product.transition_to(ProductStatus.withdrawn)
    db.session.flush()
    audit.record(actor, "product.withdrawn", product, {"status": (before, product.status)}, reason=reason)
    product_withdrawn.send(product)


def reopen_product(product: Product, *, actor: User) -> None:
    """Bring a withdrawn product back as a draft."""
    _require_may_sell(product)
    before = product.status
    product.transition_to(ProductStatus.draft)
    product.verdict = None
    db.session.flush()
    audit.record(actor, "product.reopened", product, {"status": (before, product.status)})


def revalidate(product: Product, *, actor: User | None, as_of: date | None = None, reason: str | None = None) -> bool:
    """Re-run the validator on a submitted or valid product; returns True when it is (still) valid."""
    if product.status not in CHECKED:
        return product.status == ProductStatus.valid
    verdict = evaluate(product, as_of)
    product.verdict = verdict
    before = product.status
    if verdict["valid"]:
        if before == ProductStatus.submitted:
            product.transition_to(ProductStatus.valid)
            audit.record(actor, "product.validated", product, {"status": (before, product.status)})
        db.session.flush()
        return True
    product.transition_to(ProductStatus.invalid)
    db.session.flush()
    reason = reason or _stored_reason(product, as_of or today_shanghai())
    audit.record(actor, "product.invalidated", product, {"status": (before, product.status)}, reason=reason,
                 extra={"violations": [v["rule"] for v in verdict.get("violations", [])]})
    if before == ProductStatus.valid:
        _after_invalidation(product, reason)
    return False


def _stored_reason(product: Product, as_of: date) -> str:
    """Why the product is invalid, as message ids with parameters (shown in each reader's language)."""
    nodes = tiers.violation_nodes(tiers.declaration_from_product(product, as_of), as_of)
    if product.authorisation_missing:
        nodes.append(message_node(AUTHORISATION_MESSAGE))
    return stored_join(nodes)


def _after_invalidation(product: Product, reason: str) -> None:
    """Tell the company; signal registry, which tells the officials of the districts whose list carries it."""
    params = {"model": product.title, "reason": reason}
    staff = [u for u in product.supplier.staff if u.active]
    notify(staff, N_("产品 %(model)s 已失效"), N_("原因：%(reason)s。请更新证书或资料后重新提交。"),
           params=params, link=f"/supplier/products/{product.id}")
    product_invalidated.send(product, reason=reason)


def add_certificate(product: Product, data: CertificateData, *, actor: User,
                    scan_file: str | None = None) -> Certificate:
    """Bind a certificate to a product model."""
    _require_may_sell(product)
    _check_certificate(data)
    cert = Certificate(product=product, kind=CertificateKind(data.kind), number=data.number, issuer=data.issuer,
                       standard_edition=data.standard_edition or None, valid_from=data.valid_from,
                       valid_until=data.valid_until, status=CertificateStatus.valid, scan_file=scan_file)
    db.session.add(cert)
    db.session.flush()
    audit.record(actor, "certificate.added", cert, {"kind": (None, cert.kind), "number": (None, cert.number),
                                                     "valid_until": (None, cert.valid_until)},
                 extra={"product_id": product.id})
    return cert


def update_certificate(cert: Certificate, data: CertificateData, *, actor: User, scan_file: str | None = None,
                       as_of: date | None = None) -> dict:
    """Correct a certificate; a valid product is re-validated at once."""
    _require_may_sell(cert.product)
    _check_certificate(data)
    changes = {}
    for name in ("kind", "number", "issuer", "standard_edition", "valid_from", "valid_until"):
        new = getattr(data, name)
        if name == "standard_edition":
            new = new or None
        if getattr(cert, name) != new:
            changes[name] = (getattr(cert, name), new)
            setattr(cert, name, new)
    if scan_file and scan_file != cert.scan_file:
        changes["scan_file"] = (cert.scan_file, scan_file)
        discard_upload(cert.scan_file)
        cert.scan_file = scan_file
    if changes:
        db.session.flush()
        audit.record(actor, "certificate.updated", cert, changes, extra={"product_id": cert.product_id})
        revalidate(cert.product, actor=actor, as_of=as_of, reason=_("证书信息修改后产品不再符合要求。"))
    return changes


def _check_certificate(data: CertificateData) -> None:
    if data.valid_from and data.valid_from > data.valid_until:
        raise DomainError(_("有效期起始日期不能晚于截止日期。"), field="valid_until")


def set_certificate_status(cert: Certificate, status: CertificateStatus, *, actor: User | None, reason: str,
                           as_of: date | None = None) -> None:
    """A regulator records the register status (suspended, revoked ...); the product is re-validated at once."""
    status = CertificateStatus(status)
    if not reason or not reason.strip():
        raise DomainError(_("请填写变更原因。"), field="reason")
    if cert.status == status:
        raise DomainError(_("证书已是该状态。"), field="status")
    before = cert.status
    cert.status, cert.status_reason = status, reason.strip()
    db.session.flush()
    audit.record(actor, "certificate.status_changed", cert, {"status": (before, status)}, reason=cert.status_reason,
                 extra={"product_id": cert.product_id})
    if status != CertificateStatus.valid:
        reason = stored_message(N_("%(kind)s %(number)s 状态变为“%(status)s”：%(reason)s"),
                                kind=message_node(CertificateKind(cert.kind).title), number=cert.number,
                                status=message_node(CERTIFICATE_STATUS_TITLES[status]), reason=cert.status_reason)
        revalidate(cert.product, actor=actor, as_of=as_of, reason=reason)



@dataclass
class RecheckSummary:
    """What a daily re-check did."""

    as_of: date
    checked: int = 0
    expired_certificates: int = 0
    invalidated: list[int] = field(default_factory=list)
    validated: int = 0


def recheck(as_of: date | None = None) -> RecheckSummary:
    """Daily job: expire certificates past their end date, then re-validate every submitted or valid product."""
    as_of = as_of or today_shanghai()
    summary = RecheckSummary(as_of=as_of)
    expired = db.session.scalars(select(Certificate).where(
        Certificate.status == CertificateStatus.valid, Certificate.valid_until < as_of).order_by(Certificate.id)).all()
    for cert in expired:
        cert.status, cert.status_reason = CertificateStatus.expired, _("有效期已于 %(day)s 届满。",
                                                                       day=cert.valid_until.isoformat())
        audit.record(None, "certificate.expired", cert, {"status": (CertificateStatus.valid, cert.status)},
                     extra={"product_id": cert.product_id})
        summary.expired_certificates += 1
    db.session.flush()
    products = db.session.scalars(select(Product).where(Product.status.in_(CHECKED)).order_by(Product.id)).all()
    for product in products:
        summary.checked += 1
        before = product.status
        if revalidate(product, actor=None, as_of=as_of):
            summary.validated += before == ProductStatus.submitted
        else:
            summary.invalidated.append(product.id)
    return summary

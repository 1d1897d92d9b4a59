"""Products, certificates and manufacturer authorisations (SPEC 3.2)."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.vocabulary import (  # noqa: F401 - TIER_ORDER re-exported with the column enums
    TIER_ORDER,
    CertificateKind,
    CertificateStatus,
    DeviceType,
    Tier,
    Usage,
    titles,
)
from core.db import TimestampMixin, db, enum_column
from core.errors import InvalidTransition
from core.i18n import _, _l
from core.permissions import Role
from suppliers.models import Supplier


class ProductStatus(enum.StrEnum):
    """Lifecycle of a product declaration."""

    draft = "draft"
    submitted = "submitted"
    valid = "valid"
    invalid = "invalid"
    withdrawn = "withdrawn"


DEVICE_TYPE_TITLES = titles(DeviceType)
USAGE_TITLES = titles(Usage)
TIER_TITLES = titles(Tier)
PRODUCT_STATUS_TITLES = {
    ProductStatus.draft: _l("草稿"),
    ProductStatus.submitted: _l("已提交"),
    ProductStatus.valid: _l("有效"),
    ProductStatus.invalid: _l("无效"),
    ProductStatus.withdrawn: _l("已撤回"),
}
CERTIFICATE_KIND_TITLES = titles(CertificateKind)
CERTIFICATE_STATUS_TITLES = titles(CertificateStatus)


#: The product state machine: draft → submitted → valid | invalid → withdrawn (SPEC 3.2).
ALLOWED: dict[ProductStatus, frozenset[ProductStatus]] = {
    ProductStatus.draft: frozenset({ProductStatus.submitted, ProductStatus.withdrawn}),
    ProductStatus.submitted: frozenset({ProductStatus.valid, ProductStatus.invalid, ProductStatus.withdrawn}),
    ProductStatus.valid: frozenset({ProductStatus.submitted, ProductStatus.invalid, ProductStatus.withdrawn}),
    ProductStatus.invalid: frozenset({ProductStatus.submitted, ProductStatus.withdrawn}),
    ProductStatus.withdrawn: frozenset({ProductStatus.draft}),
}
#: States in which the supplier may still change the declaration.
EDITABLE = frozenset({ProductStatus.draft, ProductStatus.invalid, ProductStatus.valid})
#: States that the daily re-check re-validates.
CHECKED = frozenset({ProductStatus.submitted, ProductStatus.valid})


class Product(TimestampMixin, db.Model):
    """A device model offered by a supplier, with its declared features, standards and prices."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("price_fen >= 0 AND install_fee_fen >= 0", name="prices_not_negative"),
        CheckConstraint("early_price_fen IS NULL OR (early_price_fen >= 0 AND early_price_until IS NOT NULL)",
                        name="early_price_has_end"),
        CheckConstraint("(device_type = 'leak_alarm') = (usage IS NOT NULL)", name="usage_for_alarms"),
        CheckConstraint("warranty_months >= 0", name="warranty_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Raised by every UPDATE (optimistic locking): an edit based on an older version is refused.
    version_id: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    device_type: Mapped[DeviceType] = enum_column(DeviceType, "device_type")
    usage: Mapped[Usage | None] = enum_column(Usage, "usage", nullable=True)
    tier: Mapped[Tier] = enum_column(Tier, "tier")
    brand: Mapped[str] = mapped_column(String(100))
    manufacturer: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(100), index=True)
    #: Feature ids from the vocabulary of SPEC section 5.
    features: Mapped[list] = mapped_column(JSON, default=list)
    #: Declared standards with edition, e.g. "GB 15322.2-2019".
    standards: Mapped[list] = mapped_column(JSON, default=list)
    price_fen: Mapped[int] = mapped_column(Integer)
    install_fee_fen: Mapped[int] = mapped_column(Integer)
    #: Limited-time price for early applicants (附件1 四(五) 差别化激励).
    early_price_fen: Mapped[int | None] = mapped_column(Integer)
    early_price_until: Mapped[date | None] = mapped_column(Date)
    warranty_months: Mapped[int] = mapped_column(Integer, default=12)
    service_content: Mapped[str | None] = mapped_column(Text)
    #: Has data transmission (derived from features; promoted by 附件1 四(二)).
    smart: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    status: Mapped[ProductStatus] = enum_column(ProductStatus, "product_status", default=ProductStatus.draft)
    #: The validator's last verdict (SPEC section 5 output) for display.
    verdict: Mapped[dict | None] = mapped_column(JSON)
    #: Stored upload name of the manufacturer's authorisation letter (授权书), when not the manufacturer.
    authorisation_file: Mapped[str | None] = mapped_column(String(100))
    is_own_manufacture: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    supplier: Mapped[Supplier] = relationship()
    certificates: Mapped[list[Certificate]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Certificate.id"
    )

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.model} {self.tier}>"

    @property
    def title(self) -> str:
        return f"{self.brand} {self.model}"

    @property
    def needs_authorisation(self) -> bool:
        """A supplier that is not the manufacturer must upload the manufacturer's authorisation (授权书)."""
        return not self.is_own_manufacture

    @property
    def authorisation_missing(self) -> bool:
        return self.needs_authorisation and not self.authorisation_file

    def transition_to(self, status: ProductStatus) -> None:
        """Move to `status` if the state machine allows it, else raise InvalidTransition."""
        status = ProductStatus(status)
        if status not in ALLOWED[self.status]:
            raise InvalidTransition(_("产品状态不能从“%(old)s”变为“%(new)s”。",
                                      old=PRODUCT_STATUS_TITLES[self.status], new=PRODUCT_STATUS_TITLES[status]))
        self.status = status

    def can_manage(self, user) -> bool:
        """Staff of the owning company (whatever the state), e.g. to see the product in their workbench."""
        return self.supplier.has_staff(user)

    def can_edit(self, user) -> bool:
        return self.can_manage(user) and self.status in EDITABLE and self.supplier.can_sell()

    def can_submit(self, user) -> bool:
        return (self.can_manage(user) and ProductStatus.submitted in ALLOWED[self.status]
                and self.supplier.can_sell())

    def can_withdraw(self, user) -> bool:
        return self.can_manage(user) and ProductStatus.withdrawn in ALLOWED[self.status]

    def can_reopen(self, user) -> bool:
        return self.can_manage(user) and self.status == ProductStatus.withdrawn and self.supplier.can_sell()

    def can_view_documents(self, user) -> bool:
        return self.supplier.can_view_documents(user)

    def can_oversee(self, user) -> bool:
        """Regulators (and admins) see every product; officials those of companies serving their district."""
        return self.supplier.can_view_documents(user)


class Certificate(TimestampMixin, db.Model):
    """A certificate bound to a product model."""

    __tablename__ = "certificate"
    __table_args__ = (CheckConstraint("valid_from IS NULL OR valid_from <= valid_until", name="validity_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CertificateKind] = enum_column(CertificateKind, "certificate_kind")
    number: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(200))
    #: The standard edition the model was tested against, e.g. "GB 15322.2-2019".
    standard_edition: Mapped[str | None] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[CertificateStatus] = enum_column(
        CertificateStatus, "certificate_status", default=CertificateStatus.valid
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    #: Stored upload name of the scan (PDF/PNG/JPEG).
    scan_file: Mapped[str | None] = mapped_column(String(100))

    product: Mapped[Product] = relationship(back_populates="certificates")

    @property
    def kind_title(self) -> str:
        return str(CertificateKind(self.kind).title)

    def can_edit(self, user) -> bool:
        return self.product.can_edit(user)

    def can_set_status(self, user) -> bool:
        """Only market regulation changes a certificate's register status."""
        return getattr(user, "is_authenticated", False) and user.has_role(Role.regulator)

    def is_valid_on(self, day: date) -> bool:
        """Valid on `day`: register status valid and `day` within its validity (inclusive)."""
        return (self.status == CertificateStatus.valid and day <= self.valid_until
                and (self.valid_from is None or self.valid_from <= day))

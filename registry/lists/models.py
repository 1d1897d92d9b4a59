"""Solicitations, applications, the working list, immutable list versions and announcements (SPEC 3.1)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import TimestampMixin, db, enum_column, now_utc
from core.districts import District
from core.errors import DomainError
from core.i18n import _l, translate_stored

CRITERIA = ("qualification", "quality", "after_sales", "price")
CRITERIA_TITLES = {
    "qualification": _l("资质齐全"),
    "quality": _l("质量可靠"),
    "after_sales": _l("售后完备"),
    "price": _l("价格合理"),
}


class SolicitationStatus(enum.StrEnum):
    """A call is open (rolling admission) until the official closes it."""

    open = "open"
    closed = "closed"


SOLICITATION_STATUS_TITLES = {SolicitationStatus.open: _l("征集中"), SolicitationStatus.closed: _l("已结束")}


class ApplicationStatus(enum.StrEnum):
    """Outcome of an application."""

    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"


APPLICATION_STATUS_TITLES = {
    ApplicationStatus.submitted: _l("待评审"),
    ApplicationStatus.accepted: _l("入选"),
    ApplicationStatus.rejected: _l("未入选"),
}


class AnnouncementKind(enum.StrEnum):
    """Kinds of public announcement (公告)."""

    list_published = "list_published"
    supplier_added = "supplier_added"
    supplier_removed = "supplier_removed"
    product_removed = "product_removed"
    list_below_minimum = "list_below_minimum"


ANNOUNCEMENT_KIND_TITLES = {
    AnnouncementKind.list_published: _l("目录清单发布"),
    AnnouncementKind.supplier_added: _l("新增入选单位"),
    AnnouncementKind.supplier_removed: _l("移出目录清单"),
    AnnouncementKind.product_removed: _l("产品移出清单"),
    AnnouncementKind.list_below_minimum: _l("清单低于最低要求"),
}


class Solicitation(TimestampMixin, db.Model):
    """A public call (公开征集) for sellers/installers in one district."""

    __tablename__ = "solicitation"
    __table_args__ = (
        CheckConstraint("weight_qualification + weight_quality + weight_after_sales + weight_price = 100",
                        name="weights_sum_100"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    requirements: Mapped[str] = mapped_column(Text)
    #: Device types wanted (DeviceType values).
    device_types: Mapped[list] = mapped_column(JSON, default=list)
    deadline: Mapped[date] = mapped_column(Date)
    weight_qualification: Mapped[int] = mapped_column(Integer, default=25)
    weight_quality: Mapped[int] = mapped_column(Integer, default=25)
    weight_after_sales: Mapped[int] = mapped_column(Integer, default=25)
    weight_price: Mapped[int] = mapped_column(Integer, default=25)
    status: Mapped[SolicitationStatus] = enum_column(SolicitationStatus, "solicitation_status",
                                                     default=SolicitationStatus.open)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    district: Mapped[District] = relationship()
    applications: Mapped[list[Application]] = relationship(back_populates="solicitation",
                                                           order_by="Application.id")

    def weights(self) -> dict[str, int]:
        return {c: getattr(self, f"weight_{c}") for c in CRITERIA}

    def is_accepting(self, today: date) -> bool:
        return self.status == SolicitationStatus.open and today <= self.deadline

    def can_manage(self, user) -> bool:
        """Open, close and review: the officials of the call's district."""
        return self.district.can_manage(user)

    def can_oversee(self, user) -> bool:
        """See the call and its applications on the workbench: its district's officials and regulators."""
        return self.district.can_oversee(user)


class Application(TimestampMixin, db.Model):
    """A supplier's application to a solicitation, with products and district prices, and its review."""

    __tablename__ = "application"
    __table_args__ = tuple(
        CheckConstraint(f"score_{c} IS NULL OR score_{c} BETWEEN 0 AND 100", name=f"score_{c}_range")
        for c in CRITERIA
    ) + (CheckConstraint("status = 'submitted' OR reviewed_at IS NOT NULL", name="decided_has_review"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitation.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ApplicationStatus] = enum_column(ApplicationStatus, "application_status",
                                                    default=ApplicationStatus.submitted)
    score_qualification: Mapped[int | None] = mapped_column(Integer)
    score_quality: Mapped[int | None] = mapped_column(Integer)
    score_after_sales: Mapped[int | None] = mapped_column(Integer)
    score_price: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    #: Why the application was accepted or rejected (shown to the supplier).
    decision_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    solicitation: Mapped[Solicitation] = relationship(back_populates="applications")
    supplier = relationship("Supplier")
    items: Mapped[list[ApplicationItem]] = relationship(back_populates="application",
                                                        cascade="all, delete-orphan",
                                                        order_by="ApplicationItem.id")

    def scores(self) -> dict[str, int | None]:
        return {c: getattr(self, f"score_{c}") for c in CRITERIA}

    @property
    def weighted_total(self) -> float | None:
        """Weighted score 0–100, or None until every criterion is scored."""
        scores = self.scores()
        if any(v is None for v in scores.values()):
            return None
        weights = self.solicitation.weights()
        return round(sum(scores[c] * weights[c] for c in CRITERIA) / 100, 1)


class ApplicationItem(db.Model):
    """A product offered in an application, with its price and installation fee in that district."""

    __tablename__ = "application_item"
    __table_args__ = (
        UniqueConstraint("application_id", "product_id"),
        CheckConstraint("price_fen >= 0 AND install_fee_fen >= 0", name="prices_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    price_fen: Mapped[int] = mapped_column(Integer)
    install_fee_fen: Mapped[int] = mapped_column(Integer)

    application: Mapped[Application] = relationship(back_populates="items")
    product = relationship("Product")


class ListEntry(TimestampMixin, db.Model):
    """A supplier selected for a district's working list (published by creating a ListVersion)."""

    __tablename__ = "list_entry"
    __table_args__ = (UniqueConstraint("district_id", "supplier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    #: The accepted application the entry comes from.
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"))

    district: Mapped[District] = relationship()
    supplier = relationship("Supplier")
    application: Mapped[Application | None] = relationship()
    products: Mapped[list[ListEntryProduct]] = relationship(back_populates="entry",
                                                            cascade="all, delete-orphan",
                                                            order_by="ListEntryProduct.id")


class ListEntryProduct(db.Model):
    """A product on the working list with the district price and installation fee."""

    __tablename__ = "list_entry_product"
    __table_args__ = (
        UniqueConstraint("entry_id", "product_id"),
        CheckConstraint("price_fen >= 0 AND install_fee_fen >= 0", name="prices_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("list_entry.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    price_fen: Mapped[int] = mapped_column(Integer)
    install_fee_fen: Mapped[int] = mapped_column(Integer)

    entry: Mapped[ListEntry] = relationship(back_populates="products")
    product = relationship("Product")


class ListVersion(db.Model):
    """An immutable published version of a district's list: a frozen copy of suppliers, products, prices."""

    __tablename__ = "list_version"
    __table_args__ = (UniqueConstraint("district_id", "number"),
                      CheckConstraint("number >= 1", name="number_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    #: None when the system created the version (a product became invalid).
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: The written reason for publishing with fewer than 3 suppliers (原则上不少于3家).
    exception_reason: Mapped[str | None] = mapped_column(Text)
    #: Why this version was made (publication, removal, invalid product).
    reason: Mapped[str | None] = mapped_column(Text)
    #: {"suppliers": [supplier public fields + "products": [product public fields]]}.
    snapshot: Mapped[dict] = mapped_column(JSON)
    #: The section 4 problems the list had when frozen ([] for a compliant list).
    problems: Mapped[list] = mapped_column(JSON, default=list)

    district: Mapped[District] = relationship()
    items: Mapped[list[ListVersionItem]] = relationship(back_populates="version", cascade="all",
                                                        order_by="ListVersionItem.id")

    @property
    def suppliers(self) -> list[dict]:
        return self.snapshot.get("suppliers", [])

    @property
    def below_minimum(self) -> bool:
        return bool(self.problems)


class ListVersionItem(db.Model):
    """A product on a version (an index of the snapshot for queries: what is listed where, at what price)."""

    __tablename__ = "list_version_item"
    __table_args__ = (UniqueConstraint("version_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("list_version.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    price_fen: Mapped[int] = mapped_column(Integer)
    install_fee_fen: Mapped[int] = mapped_column(Integer)

    version: Mapped[ListVersion] = relationship(back_populates="items")


class Announcement(db.Model):
    """A public announcement (公告); title and body are msgids with params, translated when read."""

    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    kind: Mapped[AnnouncementKind] = enum_column(AnnouncementKind, "announcement_kind")
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)
    #: Case number of the complaint/sanction behind a removal.
    case_number: Mapped[str | None] = mapped_column(String(50))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("list_version.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))

    district: Mapped[District] = relationship()
    version: Mapped[ListVersion | None] = relationship()

    @property
    def title_text(self) -> str:
        return translate_stored(self.title, self.params)

    @property
    def body_text(self) -> str:
        return translate_stored(self.body, self.params)


def _refuse_change(_mapper, _connection, target) -> None:
    raise DomainError(str(_l("已发布的清单版本和公告不可修改。")), code="immutable")


for _cls in (ListVersion, ListVersionItem, Announcement):
    event.listen(_cls, "before_update", _refuse_change)
    event.listen(_cls, "before_delete", _refuse_change)

"""Complaints, reports and sanctions (SPEC 3.6).

A Case is a complaint (投诉, TS-), a report (举报, JB-) or a case the price monitor opened (JC-). Its state
changes only through complaints.services.transition, which checks ALLOWED, writes the timeline (CaseEvent),
the audit log and the inbox of everyone concerned. Sanctions always name the case they come from.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import EncryptedString
from core.db import TimestampMixin, db, enum_column, now_utc
from core.i18n import _l
from core.permissions import Role


class CaseKind(enum.StrEnum):
    complaint = "complaint"  # 投诉: a logged-in resident about their own dealings
    report = "report"  # 举报: anyone, maybe anonymous
    monitor = "monitor"  # opened by the price monitor


#: Case number prefixes: TS-YYYY-NNNNNN, JB-YYYY-NNNNNN, JC-YYYY-NNNNNN.
CASE_PREFIX = {CaseKind.complaint: "TS", CaseKind.report: "JB", CaseKind.monitor: "JC"}

CASE_KIND_TITLES = {
    CaseKind.complaint: _l("投诉"),
    CaseKind.report: _l("举报"),
    CaseKind.monitor: _l("价格监测"),
}


class CaseCategory(enum.StrEnum):
    """The categories of SPEC 3.6 [附件1 四(三), 六(三)]."""

    borrowed_qualification = "borrowed_qualification"
    counterfeit = "counterfeit"
    price_manipulation = "price_manipulation"
    inflated_price = "inflated_price"
    forced_purchase = "forced_purchase"
    no_after_sales = "no_after_sales"
    substandard = "substandard"
    other = "other"


CASE_CATEGORY_TITLES = {
    CaseCategory.borrowed_qualification: _l("挂靠借用资质"),
    CaseCategory.counterfeit: _l("制假售假"),
    CaseCategory.price_manipulation: _l("价格操纵"),
    CaseCategory.inflated_price: _l("虚高价格"),
    CaseCategory.forced_purchase: _l("强制购买、指定消费"),
    CaseCategory.no_after_sales: _l("不履行售后"),
    CaseCategory.substandard: _l("不符合标准/未认证"),
    CaseCategory.other: _l("其他"),
}


class CaseState(enum.StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"
    investigating = "investigating"
    closed = "closed"
    merged = "merged"


C = CaseState
CASE_STATE_TITLES = {
    C.submitted: _l("已提交，待受理"),
    C.accepted: _l("已受理"),
    C.rejected: _l("不予受理"),
    C.investigating: _l("调查处理中"),
    C.closed: _l("已办结"),
    C.merged: _l("已合并"),
}

#: The workflow of SPEC 3.6. A closed or rejected case may be reopened (on the complainant's request,
#: within CASE_REOPEN_DAYS); a merged case is final and points to the surviving one.
ALLOWED: dict[CaseState, frozenset[CaseState]] = {
    C.submitted: frozenset({C.accepted, C.rejected, C.merged}),
    C.accepted: frozenset({C.investigating, C.closed, C.merged}),
    C.investigating: frozenset({C.closed, C.merged}),
    C.rejected: frozenset({C.submitted}),
    C.closed: frozenset({C.investigating}),
    C.merged: frozenset(),
}
#: States in which the case is open (the complainant may add information, deadlines run).
OPEN_STATES = frozenset({C.submitted, C.accepted, C.investigating})
#: States from which the complainant may ask to reopen.
REOPENABLE = frozenset({C.rejected, C.closed})


class Finding(enum.StrEnum):
    unsubstantiated = "unsubstantiated"
    substantiated = "substantiated"


FINDING_TITLES = {
    Finding.unsubstantiated: _l("不属实"),
    Finding.substantiated: _l("属实"),
}


def _in(states) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in sorted(states)) + ")"


class Case(TimestampMixin, db.Model):
    """One complaint, report or monitor case."""

    __tablename__ = "complaint_case"
    __table_args__ = (
        CheckConstraint("(kind = 'complaint') <= (complainant_id IS NOT NULL)", name="complaint_has_complainant"),
        CheckConstraint("supplier_id IS NOT NULL OR supplier_name IS NOT NULL", name="names_a_supplier"),
        CheckConstraint("(state = 'merged') = (merged_into_id IS NOT NULL)", name="merged_iff_target"),
        CheckConstraint("(state = 'closed') <= (finding IS NOT NULL AND closed_at IS NOT NULL)",
                        name="closed_has_finding"),
        CheckConstraint(f"(state IN {_in({C.accepted, C.investigating, C.closed})}) <= (accepted_at IS NOT NULL)",
                        name="accepted_has_time"),
        CheckConstraint("(state = 'investigating') <= (assigned_to_id IS NOT NULL)",
                        name="investigating_has_officer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}

    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[CaseKind] = enum_column(CaseKind, "case_kind")
    category: Mapped[CaseCategory] = enum_column(CaseCategory, "case_category", index=True)
    state: Mapped[CaseState] = enum_column(CaseState, "case_state", default=CaseState.submitted, index=True)

    #: The supplier in the register, or only the name a reporter typed (a seller not on the platform).
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    supplier_name: Mapped[str | None] = mapped_column(String(200))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"))

    #: The logged-in complainant or reporter (None: anonymous report, or the price monitor).
    complainant_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # A reporter's optional contact (confidential: regulators only, never the supplier), encrypted at rest.
    reporter_name: Mapped[str | None] = mapped_column(EncryptedString(200))
    reporter_phone: Mapped[str | None] = mapped_column(EncryptedString(100))
    reporter_email: Mapped[str | None] = mapped_column(EncryptedString(300))
    #: scrypt hash of the anonymous reporter's tracking code (shown once).
    tracking_code_hash: Mapped[str | None] = mapped_column(String(255))

    description: Mapped[str] = mapped_column(Text)
    resolution_wanted: Mapped[str | None] = mapped_column(Text)
    #: The price monitor's evidence (prices, dates, median) and its de-duplication key.
    evidence: Mapped[dict | None] = mapped_column(JSON)
    monitor_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The current deadline (Asia/Shanghai date) and which rule set it; None when no deadline runs or when it
    #: cannot be computed (due_unknown_year names the year without holiday data).
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    due_rule: Mapped[str | None] = mapped_column(String(40))
    due_unknown_year: Mapped[int | None] = mapped_column(Integer)
    #: Set by `complaints deadlines` when the officer was told (once per state of the flag).
    flagged_overdue_on: Mapped[date | None] = mapped_column(Date)
    flagged_due_soon_on: Mapped[date | None] = mapped_column(Date)

    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    finding: Mapped[Finding | None] = enum_column(Finding, "case_finding", nullable=True)
    finding_text: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_case.id"))

    supplier_invited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    supplier_response: Mapped[str | None] = mapped_column(Text)
    supplier_responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopen_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopen_reason: Mapped[str | None] = mapped_column(Text)

    #: Published as a typical case (典型案例) with a regulator-written anonymised summary.
    typical_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    typical_title: Mapped[str | None] = mapped_column(String(200))
    typical_summary: Mapped[str | None] = mapped_column(Text)

    supplier = relationship("Supplier")
    district = relationship("District")
    order = relationship("Order")
    product = relationship("Product")
    complainant = relationship("User", foreign_keys=[complainant_id])
    assigned_to = relationship("User", foreign_keys=[assigned_to_id])
    merged_into = relationship("Case", remote_side=[id])
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                   order_by="CaseEvent.id")
    files: Mapped[list[CaseFile]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                 order_by="CaseFile.id")
    sanctions: Mapped[list[Sanction]] = relationship(back_populates="case", order_by="Sanction.id")

    def __repr__(self) -> str:
        return f"<Case {self.number} {self.state}>"

    @property
    def is_open(self) -> bool:
        return CaseState(self.state) in OPEN_STATES

    def can_go(self, to: CaseState) -> bool:
        return CaseState(to) in ALLOWED[CaseState(self.state)]

    @property
    def supplier_label(self) -> str:
        return self.supplier.legal_name if self.supplier is not None else (self.supplier_name or "")

    # -- who may see and do what (the routes check these; services check them again where it matters) --

    def is_complainant(self, user) -> bool:
        return (getattr(user, "is_authenticated", False) and self.complainant_id is not None
                and self.complainant_id == user.id)

    @staticmethod
    def is_regulator(user) -> bool:
        return getattr(user, "is_authenticated", False) and user.has_role(Role.regulator)

    def is_supplier_staff(self, user) -> bool:
        return self.supplier is not None and self.supplier.has_staff(user)

    def supplier_may_see(self, user) -> bool:
        """The supplier sees a case only once invited to respond (never the reporter's identity or contact)."""
        return self.is_supplier_staff(user) and self.supplier_invited_at is not None


class CaseEvent(db.Model):
    """One entry of a case's timeline; `message` is an N_ msgid rendered in the reader's language.

    `audience` says who sees it: "all" (complainant, regulator and, once invited, the supplier),
    "complainant" (complainant and regulators), "internal" (regulators only), "supplier" (supplier and regulators).
    """

    __tablename__ = "complaint_case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    message: Mapped[str] = mapped_column(String(300))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Free text written by a person (a reason, a note, added information), shown as written.
    note: Mapped[str | None] = mapped_column(Text)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(16), default="complainant")

    case: Mapped[Case] = relationship(back_populates="events")
    actor = relationship("User")


class CaseFile(db.Model):
    """An evidence file (core.uploads rules: PDF/PNG/JPEG by content, 10 MB, stored under a random name)."""

    __tablename__ = "complaint_case_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(200))
    #: "complainant", "supplier" or "regulator": who added it (the supplier never sees complainant files
    #: that could identify a reporter; see complaints.queries.files_for).
    added_by_party: Mapped[str] = mapped_column(String(16), default="complainant")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)

    case: Mapped[Case] = relationship(back_populates="files")


class SanctionKind(enum.StrEnum):
    warning = "warning"
    rectification = "rectification"
    suspension = "suspension"
    delisting = "delisting"
    blacklist = "blacklist"


SANCTION_KIND_TITLES = {
    SanctionKind.warning: _l("警告"),
    SanctionKind.rectification: _l("责令整改"),
    SanctionKind.suspension: _l("暂停销售安装"),
    SanctionKind.delisting: _l("移出目录清单"),
    SanctionKind.blacklist: _l("列入黑名单"),
}


class Sanction(db.Model):
    """A sanction against a supplier; every sanction comes from a case."""

    __tablename__ = "sanction"
    __table_args__ = (
        CheckConstraint("(kind = 'rectification') <= (due_on IS NOT NULL)", name="rectification_has_deadline"),
        CheckConstraint("(kind = 'blacklist') <= (until IS NOT NULL)", name="blacklist_has_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    kind: Mapped[SanctionKind] = enum_column(SanctionKind, "sanction_kind")
    #: Delisting from one district (None: every district it is listed in).
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    #: Rectification deadline.
    due_on: Mapped[date | None] = mapped_column(Date)
    #: Blacklist end (the supplier may apply again from the day after).
    until: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    #: Rectification done (recorded by a regulator), or a suspension/blacklist lifted.
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_note: Mapped[str | None] = mapped_column(Text)
    #: The districts a delisting took the supplier out of (codes), for the record.
    effects: Mapped[dict | None] = mapped_column(JSON)

    case: Mapped[Case] = relationship(back_populates="sanctions")
    supplier = relationship("Supplier")
    district = relationship("District")


class CaseSequence(db.Model):
    """The last case number handed out per prefix and year (UPDATE … RETURNING under the row lock)."""

    __tablename__ = "case_sequence"
    __table_args__ = (UniqueConstraint("prefix", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(2))
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CalendarYear(db.Model):
    """A year whose public holidays and adjusted working days are known (seeded from chinese-calendar)."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class CalendarDay(db.Model):
    """A day that differs from the Monday–Friday rule: a public holiday or an adjusted working day (调休)."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(100))

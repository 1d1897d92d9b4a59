"""Orders (SPEC 3.3): a resident's purchase of listed devices, its payment, fulfilment and inspection.

The state machine is the ALLOWED table below; Order.state changes only through orders.services.transition,
which checks it, stamps the time column of the new state, writes the timeline and the audit log. The CHECK
constraints repeat the invariants in the database, so that no code path can store an impossible order.
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

from catalog.models import DeviceType, Tier
from core.crypto import EncryptedString
from core.db import TimestampMixin, db, enum_column, now_utc
from core.i18n import _l
from core.permissions import Role


class OrderState(enum.StrEnum):
    """States of SPEC 3.3."""

    pending_payment = "pending_payment"
    paid = "paid"
    scheduled = "scheduled"
    installed = "installed"
    confirmed = "confirmed"
    inspected = "inspected"
    canceled = "canceled"
    refunded = "refunded"


S = OrderState
ORDER_STATE_TITLES = {
    S.pending_payment: _l("待支付"),
    S.paid: _l("已支付，待预约"),
    S.scheduled: _l("已预约安装"),
    S.installed: _l("已安装，待确认"),
    S.confirmed: _l("已确认，待验收"),
    S.inspected: _l("已验收"),
    S.canceled: _l("已取消"),
    S.refunded: _l("已退款"),
}

#: The state machine. `canceled` / `refunded` are reachable from every state before `installed`; a paid
#: order that is canceled waits in `canceled` (refund pending) until the refund's webhook makes it `refunded`.
#: A failed inspection sends a confirmed order back to `scheduled` (the installation is reopened).
ALLOWED: dict[OrderState, frozenset[OrderState]] = {
    S.pending_payment: frozenset({S.paid, S.canceled}),
    S.paid: frozenset({S.scheduled, S.canceled, S.refunded}),
    S.scheduled: frozenset({S.installed, S.canceled, S.refunded}),
    S.installed: frozenset({S.confirmed}),
    S.confirmed: frozenset({S.inspected, S.scheduled}),
    S.inspected: frozenset(),
    S.canceled: frozenset({S.refunded}),
    S.refunded: frozenset(),
}
#: States in which the resident may still cancel (before installation).
CANCELABLE = frozenset({S.pending_payment, S.paid, S.scheduled})
#: States at or after payment (money received or nothing payable).
PAID_STATES = frozenset({S.paid, S.scheduled, S.installed, S.confirmed, S.inspected})
#: States with an appointment.
SCHEDULED_STATES = frozenset({S.scheduled, S.installed, S.confirmed, S.inspected})
INSTALLED_STATES = frozenset({S.installed, S.confirmed, S.inspected})
FINAL_STATES = frozenset({S.inspected, S.refunded})


def _in(states) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in sorted(states)) + ")"


class Order(TimestampMixin, db.Model):
    """One resident's order of one listed product from one supplier in one district."""

    __tablename__ = "purchase_order"
    __table_args__ = (
        CheckConstraint("subtotal_fen >= 0 AND subsidy_fen >= 0 AND subsidy_fen <= subtotal_fen",
                        name="subsidy_within_subtotal"),
        CheckConstraint("amount_fen = subtotal_fen - subsidy_fen", name="amount_is_subtotal_less_subsidy"),
        CheckConstraint("paid_fen >= 0 AND paid_fen <= amount_fen", name="paid_within_amount"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= paid_fen", name="refund_within_paid"),
        CheckConstraint(f"(state IN {_in(PAID_STATES)}) <= (paid_at IS NOT NULL)", name="paid_has_time"),
        CheckConstraint(f"(state IN {_in(PAID_STATES)}) <= (paid_fen = amount_fen)", name="paid_in_full"),
        CheckConstraint(f"(state IN {_in(SCHEDULED_STATES)}) <= (appointment_at IS NOT NULL)",
                        name="scheduled_has_appointment"),
        CheckConstraint(f"(state IN {_in(INSTALLED_STATES)}) <= (installed_at IS NOT NULL)",
                        name="installed_has_time"),
        CheckConstraint(f"(state IN {_in({S.confirmed, S.inspected})}) <= (confirmed_at IS NOT NULL)",
                        name="confirmed_has_time"),
        CheckConstraint("(state = 'inspected') = (inspected_at IS NOT NULL)", name="inspected_iff_time"),
        CheckConstraint(f"(state IN {_in({S.canceled, S.refunded})}) = (canceled_at IS NOT NULL)",
                        name="canceled_iff_time"),
        CheckConstraint("(state = 'refunded') = (refunded_at IS NOT NULL)", name="refunded_iff_time"),
        CheckConstraint("(state = 'refunded') <= (refunded_fen = paid_fen AND paid_fen > 0)",
                        name="refunded_in_full"),
        CheckConstraint("payment_attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Raised by every UPDATE: two workers changing the same order at once cannot both win.
    version_id: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}

    resident_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id", ondelete="SET NULL"), index=True)
    #: The old community (old_community households).
    community_id: Mapped[int | None] = mapped_column(ForeignKey("old_community.id", ondelete="SET NULL"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    #: The published list version the prices were taken from.
    list_version_id: Mapped[int] = mapped_column(ForeignKey("list_version.id"))
    state: Mapped[OrderState] = enum_column(OrderState, "order_state", default=OrderState.pending_payment,
                                            index=True)

    # Personal data (PIPL): encrypted at rest, masked for everyone but the resident, the order's supplier and
    # the district's officials (Order.can_see_personal_data).
    address: Mapped[str] = mapped_column(EncryptedString(600))
    contact_name: Mapped[str] = mapped_column(EncryptedString(200))
    contact_phone: Mapped[str] = mapped_column(EncryptedString(100))
    building_over_100m: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    preferred_date: Mapped[date | None] = mapped_column(Date)

    # Money, integer fen: subtotal = Σ quantity × (unit price + install fee); amount = subtotal − subsidy.
    subtotal_fen: Mapped[int] = mapped_column(Integer)
    subsidy_fen: Mapped[int] = mapped_column(Integer, default=0)
    amount_fen: Mapped[int] = mapped_column(Integer)
    paid_fen: Mapped[int] = mapped_column(Integer, default=0)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    #: The household category and policy the subsidy came from (None when no subsidy).
    subsidy_category: Mapped[str | None] = mapped_column(String(32))
    #: The household's category when it ordered (its claim in force in the district, else `other`): the
    #: monthly report counts orders and coverage by it (附件1 四(三)), subsidised or not.
    household_category: Mapped[str] = mapped_column(String(32), nullable=False, server_default="other",
                                                    default="other")
    subsidy_policy_id: Mapped[int | None] = mapped_column(ForeignKey("subsidy_policy.id", ondelete="SET NULL"))

    # Payment: one checkout session per attempt (OrderPayment); the current one is kept here too.
    payment_attempts: Mapped[int] = mapped_column(Integer, default=0)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    refund_id: Mapped[str | None] = mapped_column(String(255))

    # Times of the states (UTC).
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    appointment_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    appointment_note: Mapped[str | None] = mapped_column(Text)
    installed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    inspected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    canceled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Why the order was canceled (the supplier's reason is required and shown to the resident).
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    canceled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: The supplier was delisted or barred while this paid order waited for installation: the resident is offered
    #: a refund or another supplier (SPEC 3.6), with the case number behind it.
    supplier_withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    supplier_withdrawn_case: Mapped[str | None] = mapped_column(String(20))

    resident = relationship("User", foreign_keys=[resident_id])
    district = relationship("District")
    township = relationship("Township")
    community = relationship("OldCommunity")
    supplier = relationship("Supplier")
    list_version = relationship("ListVersion")
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                  order_by="OrderLine.id")
    events: Mapped[list[OrderEvent]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                    order_by="OrderEvent.id")
    payments: Mapped[list[OrderPayment]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                        order_by="OrderPayment.attempt")
    inspections: Mapped[list[Inspection]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                         order_by="Inspection.id")

    @property
    def number(self) -> str:
        """The order number shown to people and on the receipt."""
        return f"DD{self.id:08d}"

    @property
    def device_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def payable(self) -> bool:
        """The resident can (still) pay: pending payment with an amount due, and the company still listed and in
        good standing (an order of a delisted, suspended or blacklisted company is never paid)."""
        return (self.state == OrderState.pending_payment and self.amount_fen > 0 and self.supplier_withdrawn_at is None
                and not (self.supplier is not None and self.supplier.is_barred()))

    @property
    def refund_pending(self) -> bool:
        return self.state == OrderState.canceled and self.paid_fen > 0

    def can_go(self, state: OrderState) -> bool:
        return state in ALLOWED[self.state]

    # Permissions (SPEC 2): the resident, staff of the order's supplier, officials and inspectors of its
    # district; regulators read every order (market regulation), masked.
    def is_resident(self, user) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and user.id == self.resident_id

    def is_supplier_staff(self, user, supplier_id: int | None) -> bool:
        """`supplier_id` is the company the viewer works for (suppliers.queries.supplier_of)."""
        return (supplier_id is not None and supplier_id == self.supplier_id
                and bool(getattr(user, "is_authenticated", False)) and user.has_role(Role.supplier))

    def can_view(self, user, supplier_id: int | None = None) -> bool:
        if not getattr(user, "is_authenticated", False):
            return False
        return (self.is_resident(user) or self.is_supplier_staff(user, supplier_id)
                or user.is_official_of(self.district_id) or user.is_inspector_of(self.district_id)
                or user.has_role(Role.regulator))

    def can_see_personal_data(self, user, supplier_id: int | None = None) -> bool:
        """Unmasked address and contact: the resident, the order's supplier and the district's officials
        (SPEC 8); the district's inspector too once there is something to inspect (he must find the door)."""
        return (self.is_resident(user) or self.is_supplier_staff(user, supplier_id)
                or user.is_official_of(self.district_id)
                or (user.is_inspector_of(self.district_id) and self.state in INSTALLED_STATES))

    def can_pay(self, user) -> bool:
        return self.is_resident(user) and self.payable

    def can_fulfil(self, user, supplier_id: int | None) -> bool:
        """Schedule, install or cancel with a reason: staff of the order's supplier."""
        return self.is_supplier_staff(user, supplier_id)

    def can_inspect(self, user) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and user.is_inspector_of(self.district_id)

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.state}>"


class OrderLine(db.Model):
    """A product on an order at the price and fee published on the list (frozen when ordered)."""

    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("quantity BETWEEN 1 AND 20", name="quantity_range"),
        CheckConstraint("unit_price_fen >= 0 AND install_fee_fen >= 0 AND subsidy_fen >= 0",
                        name="amounts_not_negative"),
        UniqueConstraint("order_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    #: The device price charged per unit: the published price, or the early-application price while valid.
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    #: The installation fee per unit as published.
    install_fee_fen: Mapped[int] = mapped_column(Integer)
    #: The published device price (before an early-application price), for the receipt.
    published_price_fen: Mapped[int] = mapped_column(Integer)
    #: The line's subsidy in fen (all units).
    subsidy_fen: Mapped[int] = mapped_column(Integer, default=0)
    device_type: Mapped[DeviceType] = enum_column(DeviceType, "device_type")
    tier: Mapped[Tier] = enum_column(Tier, "tier")
    #: Brand and model as published, kept for the receipt.
    description: Mapped[str] = mapped_column(String(300))

    order: Mapped[Order] = relationship(back_populates="lines")
    product = relationship("Product")

    @property
    def unit_total_fen(self) -> int:
        return self.unit_price_fen + self.install_fee_fen

    @property
    def total_fen(self) -> int:
        return self.quantity * self.unit_total_fen


class OrderEvent(db.Model):
    """One entry of an order's timeline: a state change, an appointment, an inspection, a payment attempt."""

    __tablename__ = "order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    #: None for the system (the payment webhook, the sweep).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: What happened, as a message id (N_) rendered in the reader's language with `params`.
    message: Mapped[str] = mapped_column(String(300))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Free text a person wrote (a cancellation reason, the inspector's notes), shown as written.
    note: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="events")
    actor = relationship("User")


class PaymentStatus(enum.StrEnum):
    open = "open"
    paid = "paid"
    failed = "failed"
    expired = "expired"


class OrderPayment(db.Model):
    """One payment attempt: a hosted checkout session created with its own idempotency key."""

    __tablename__ = "order_payment"
    __table_args__ = (UniqueConstraint("order_id", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    checkout_session_id: Mapped[str] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str] = mapped_column(String(1000))
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[PaymentStatus] = enum_column(PaymentStatus, "payment_status", default=PaymentStatus.open)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    #: The provider's decline code of the last failure (card_declined, insufficient_funds ...).
    failure_code: Mapped[str | None] = mapped_column(String(100))
    #: The refund of this payment when it was one too many (a second payment of a paid order).
    refund_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)

    order: Mapped[Order] = relationship(back_populates="payments")


class InspectionResult(enum.StrEnum):
    passed = "passed"
    failed = "failed"


INSPECTION_RESULT_TITLES = {InspectionResult.passed: _l("合格"), InspectionResult.failed: _l("不合格")}


class Inspection(db.Model):
    """The gas utility's acceptance check of an installation (入户安检必检, 附件1 四(三))."""

    __tablename__ = "inspection"
    __table_args__ = (CheckConstraint("result = 'passed' OR length(notes) > 0", name="failure_has_notes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    result: Mapped[InspectionResult] = enum_column(InspectionResult, "inspection_result")
    notes: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)

    order: Mapped[Order] = relationship(back_populates="inspections")
    inspector = relationship("User")

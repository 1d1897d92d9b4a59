"""Filing and following a case: a resident's complaint, anyone's report, the anonymous reporter's tracking code,
added information and the request to reopen (they flush, never commit; the routes commit).

A report may name a supplier in the register or only type its name (a seller not on the platform). An
anonymous reporter receives a tracking code once; only its scrypt hash is stored, and `/report/track` asks for
the case number and the code together.
"""

from __future__ import annotations

import functools
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from complaints.models import REOPENABLE, Case, CaseCategory, CaseEvent, CaseKind, CaseState
from complaints.queries import regulators
from complaints.services import compute_due, count_received, next_number, record_event, save_files
from core import audit
from core.clock import now_utc
from core.db import as_utc, db
from core.errors import DomainError, InvalidTransition, NotAllowed
from core.i18n import N_, _
from core.notifications import notify
from orders.models import Order
from suppliers.models import Supplier

#: Letters and digits that cannot be mistaken for one another when copied by hand (no 0/O, 1/I/L).
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS = 4
FILED = N_("已收到，案件编号 %(number)s")
ADDED_INFO = N_("补充了材料")
REOPEN_ASKED = N_("申请重新处理")
NEW_CASE = N_("新案件 %(number)s：%(category)s")


def new_tracking_code() -> str:
    """Four groups of four characters (about 79 bits), e.g. 7KQM-2X9D-HT4P-RW3C."""
    chars = [secrets.choice(_CODE_ALPHABET) for _ in range(4 * CODE_GROUPS)]
    return "-".join("".join(chars[i:i + 4]) for i in range(0, len(chars), 4))


def normalise_code(code: str | None) -> str:
    """Upper case, spaces and dashes dropped, then regrouped as issued (a copied code matches however typed)."""
    raw = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))




def _check_text(description: str, resolution: str | None = None) -> tuple[str, str | None]:
    description = (description or "").strip()
    if len(description) < 10:
        raise DomainError(_("请把事情经过写清楚（至少 10 个字）。"), field="description")
    return description, (resolution or "").strip() or None


def _open(case: Case, *, actor, files) -> Case:
    case.number = next_number(case.kind)
    case.received_at = now_utc()
    case.state = CaseState.submitted
    db.session.add(case)
    save_files(case, files, party="complainant", actor=actor)
    compute_due(case)
    db.session.flush()
    count_received(case)
    record_event(case, FILED, actor=actor, params={"number": case.number}, audience="all",
                 to_state=CaseState.submitted)
    audit.record(actor, f"case.filed.{case.kind.value}", case, {"state": (None, CaseState.submitted.value)},
                 extra={"number": case.number, "category": case.category.value,
                        "supplier_id": case.supplier_id})
    notify(regulators(), NEW_CASE, params={"number": case.number, "category": case.category.value},
           link=f"/regulator/cases/{case.number}")
    db.session.flush()
    return case


def file_complaint(resident, *, supplier: Supplier, category: CaseCategory, description: str,
                   resolution_wanted: str | None = None, order: Order | None = None, product=None,
                   files=()) -> Case:
    """A logged-in resident's complaint about a supplier, optionally about one of their orders or its product."""
    description, resolution_wanted = _check_text(description, resolution_wanted)
    if order is not None and (order.resident_id != resident.id or order.supplier_id != supplier.id):
        raise NotAllowed(_("只能就您本人向该单位下的订单投诉。"), field="order")
    if product is not None and product.supplier_id != supplier.id:
        raise DomainError(_("所选产品不属于该单位。"), field="product")
    district_id = order.district_id if order is not None else None
    if district_id is None and supplier.districts:
        district_id = supplier.districts[0].id if len(supplier.districts) == 1 else None
    case = Case(kind=CaseKind.complaint, category=CaseCategory(category), supplier=supplier,
                supplier_id=supplier.id, complainant_id=resident.id, order_id=getattr(order, "id", None),
                product_id=getattr(product, "id", None), district_id=district_id, description=description,
                resolution_wanted=resolution_wanted)
    return _open(case, actor=resident, files=files)


def file_report(*, category: CaseCategory, description: str, supplier: Supplier | None = None,
                supplier_name: str | None = None, district_id: int | None = None, reporter=None,
                name: str | None = None, phone: str | None = None, email: str | None = None,
                files=()) -> tuple[Case, str | None]:
    """Anyone's report. Returns the case and, for a reporter who is not logged in, the tracking code (shown once)."""
    description, _none = _check_text(description)
    supplier_name = (supplier_name or "").strip() or None
    if supplier is None and not supplier_name:
        raise DomainError(_("请选择或填写被举报的单位名称。"), field="supplier_name")
    logged_in = getattr(reporter, "is_authenticated", False)
    code = None if logged_in else new_tracking_code()
    case = Case(kind=CaseKind.report, category=CaseCategory(category), supplier=supplier,
                supplier_id=getattr(supplier, "id", None), supplier_name=None if supplier else supplier_name,
                district_id=district_id, complainant_id=reporter.id if logged_in else None,
                reporter_name=(name or "").strip() or None, reporter_phone=(phone or "").strip() or None,
                reporter_email=(email or "").strip() or None, description=description,
                tracking_code_hash=generate_password_hash(normalise_code(code)) if code else None)
    _open(case, actor=reporter if logged_in else None, files=files)
    return case, code


def tracked_case(number: str | None, code: str | None) -> Case | None:
    """The report whose number and tracking code match, else None (the same answer for either mistake)."""
    number = (number or "").strip().upper()
    case = db.session.scalar(select(Case).where(Case.number == number)) if number else None
    candidate = normalise_code(code)
    if case is None or not case.tracking_code_hash or not candidate:
        # Spend the same time as a real check, so that timing does not tell which numbers exist.
        check_password_hash(_dummy_hash(), candidate or "x")
        return None
    return case if check_password_hash(case.tracking_code_hash, candidate) else None


@functools.cache
def _dummy_hash() -> str:
    """A hash no code matches, checked when the number is unknown (computed once per process)."""
    return generate_password_hash(new_tracking_code())


def add_information(case: Case, *, actor, text: str, files=()) -> CaseEvent:
    """The complainant (or the tracked anonymous reporter, actor None) adds information to an open case."""
    text = (text or "").strip()
    if not case.is_open:
        raise InvalidTransition(_("案件已结束，不能再补充材料；如对结果有异议，可申请重新处理。"))
    if not text and not [f for f in (files or []) if getattr(f, "filename", "")]:
        raise DomainError(_("请填写补充说明或选择文件。"), field="text")
    saved = save_files(case, files, party="complainant", actor=actor)
    event = record_event(case, ADDED_INFO, actor=actor, note=text or None, audience="complainant",
                         params={"files": len(saved)})
    audit.record(actor, "case.information_added", case, extra={"number": case.number, "files": len(saved)})
    if case.assigned_to is not None:
        notify([case.assigned_to], N_("案件 %(number)s 有补充材料"), params={"number": case.number},
               link=f"/regulator/cases/{case.number}")
    db.session.flush()
    return event


def reopen_deadline(case: Case):
    """The last moment a reopening may be asked (CASE_REOPEN_DAYS after the case was closed or rejected)."""
    if case.closed_at is None:
        return None
    return as_utc(case.closed_at) + timedelta(days=int(current_app.config["CASE_REOPEN_DAYS"]))


def may_ask_reopen(case: Case) -> bool:
    deadline = reopen_deadline(case)
    return (CaseState(case.state) in REOPENABLE and deadline is not None and now_utc() <= deadline
            and case.reopen_requested_at is None)


def ask_reopen(case: Case, *, actor, reason: str) -> None:
    """The complainant asks a regulator to reopen a closed or rejected case (within CASE_REOPEN_DAYS)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请说明申请重新处理的理由。"), field="reason")
    if case.reopen_requested_at is not None:
        raise InvalidTransition(_("已申请过重新处理，请等待监管部门答复。"))
    if not may_ask_reopen(case):
        raise InvalidTransition(_("只有办结或不予受理后 %(days)s 日内的案件可以申请重新处理。",
                                  days=current_app.config["CASE_REOPEN_DAYS"]))
    case.reopen_requested_at = now_utc()
    case.reopen_reason = reason
    record_event(case, REOPEN_ASKED, actor=actor, note=reason, audience="complainant")
    audit.record(actor, "case.reopen_requested", case, extra={"number": case.number}, reason=reason)
    officers = [case.assigned_to] if case.assigned_to is not None else regulators()
    notify(officers, N_("案件 %(number)s 申请重新处理"), params={"number": case.number},
           link=f"/regulator/cases/{case.number}")
    db.session.flush()

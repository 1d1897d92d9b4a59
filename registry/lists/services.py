"""Vetted-list services: the working list, publication, removals and automatic versions (SPEC 3.1, 4)."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from catalog.models import Product
from catalog.public_fields import product_public
from core import audit
from core.accounts.models import User
from core.accounts.queries import officials_of
from core.clock import today_shanghai
from core.db import db, now_utc
from core.districts import District
from core.errors import DomainError, InvalidTransition
from core.i18n import N_, _, join_list, ngettext
from core.notifications import notify
from registry import signals
from registry.lists import publication, queries
from registry.lists.lock import ListVersionConflict, lock_district_list
from registry.lists.models import (
    Announcement,
    AnnouncementKind,
    Application,
    ListEntry,
    ListEntryProduct,
    ListVersion,
    ListVersionItem,
)
from registry.lists.publication import Candidate, Problem
from registry.lists.snapshots import diff, is_empty_diff, supplier_public_dict
from suppliers.models import Supplier

PUBLISHED_TITLE = N_("%(district)s燃气安全装置销售安装单位目录清单（第 %(number)s 版）")
PUBLISHED_BODY = N_("经公开征集、集中比选，%(district)s目录清单第 %(number)s 版现予公布：共 %(count)s 家销售安装单位、"
                    "%(products)s 款产品。")
PUBLISHED_BODY_EXCEPTION = N_("经公开征集、集中比选，%(district)s目录清单第 %(number)s 版现予公布："
                              "共 %(count)s 家销售安装单位、"
                              "%(products)s 款产品。入选单位少于 3 家，书面例外理由：%(exception)s")
ADDED_TITLE = N_("%(district)s目录清单新增销售安装单位")
ADDED_BODY = N_("%(district)s目录清单第 %(number)s 版新增：%(names)s。")
REMOVED_TITLE = N_("%(supplier)s 移出%(district)s目录清单")
REMOVED_BODY = N_("因%(reason)s，%(supplier)s 自即日起移出%(district)s燃气安全装置销售安装单位目录清单"
                  "（现行第 %(number)s 版）。")
REMOVED_BODY_CASE = N_("因%(reason)s（案件编号 %(case_number)s），%(supplier)s 自即日起移出%(district)s"
                       "燃气安全装置销售安装单位目录清单（现行第 %(number)s 版）。")
PRODUCT_TITLE = N_("%(supplier)s 的产品 %(model)s 移出%(district)s目录清单")
PRODUCT_BODY = N_("该产品已不再有效（%(reason)s），自即日起移出目录清单（现行第 %(number)s 版），"
                  "不得再按清单销售安装。")
BELOW_TITLE = N_("%(district)s目录清单暂不符合最低要求")
BELOW_BODY = N_("目录清单第 %(number)s 版有 %(count)s 项不符合公布要求（如入选单位不足 3 家或缺少某一档次的有效产品）。"
                "区县经济信息部门正在补充征集，请以最新公告为准。")


class PublicationRefused(DomainError):
    """The section 4 check found problems; `problems` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(ngettext("清单不符合公布要求，共 %(count)s 项问题。",
                                  "清单不符合公布要求，共 %(count)s 项问题。", len(problems), count=len(problems)),
                         code="list_not_compliant")
        self.problems = problems


class PublicationUnchanged(DomainError):
    """The working list is exactly the current version: publishing would only repeat it."""

    def __init__(self, number: int) -> None:
        super().__init__(_("与当前版本相同：候选名单的单位、产品、价格和公开信息与现行第 %(number)s 版完全一致，"
                           "无需重新公布。", number=number), code="list_unchanged")
        self.number = number


class PublicationChanged(DomainError):
    """The working list changed between the confirmation page and the confirmation."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__(_("您确认之后候选名单又有变化，尚未公布。请核对新的变更后重新确认。"), code="list_changed")


def _district_params(district: District) -> dict:
    """A district's name for stored messages, with its English form for English readers."""
    return {"district": district.name, "district_en": district.name_en}


# --- the working list -------------------------------------------------------------------------------

def working_candidates(district: District) -> list[Candidate]:
    return [Candidate(e.supplier, [(i.product, i.price_fen, i.install_fee_fen) for i in e.products])
            for e in queries.working_entries(district)]


def unpublished_changes(district: District) -> dict:
    """What publishing the working list now would change compared with the current version."""
    current = queries.current_version(district)
    return diff(current.snapshot if current else None, _snapshot(working_candidates(district)))


def check_working_list(district: District, *, today: date | None = None,
                       exception_reason: str | None = None) -> list[Problem]:
    """The section 4 problems of the working list (all of them)."""
    return publication.check(working_candidates(district), today=today or today_shanghai(),
                             exception_reason=exception_reason)


def admit_application(application: Application, *, actor: User) -> ListEntry:
    """Put an accepted application's supplier and products on the district's working list."""
    district_id = application.solicitation.district_id
    entry = db.session.scalar(select(ListEntry).where(ListEntry.district_id == district_id,
                                                      ListEntry.supplier_id == application.supplier_id))
    before = None
    if entry is None:
        entry = ListEntry(district_id=district_id, supplier_id=application.supplier_id)
        db.session.add(entry)
    else:
        before = {i.product_id: (i.price_fen, i.install_fee_fen) for i in entry.products}
        entry.products.clear()
        db.session.flush()
    entry.application_id = application.id
    for item in application.items:
        entry.products.append(ListEntryProduct(product_id=item.product_id, price_fen=item.price_fen,
                                               install_fee_fen=item.install_fee_fen))
    db.session.flush()
    after = {i.product_id: (i.price_fen, i.install_fee_fen) for i in entry.products}
    audit.record(actor, "list.candidate_admitted", entry, {"products": (before, after)},
                 extra={"district_id": district_id, "supplier_id": application.supplier_id,
                        "application_id": application.id})
    return entry


# --- versions -----------------------------------------------------------------------------------------

def _snapshot(candidates: list[Candidate]) -> dict:
    suppliers = []
    for cand in candidates:
        products = [product_public(p, price_fen=price, install_fee_fen=fee) for p, price, fee in cand.items]
        suppliers.append({**supplier_public_dict(cand.supplier), "products": products})
    return {"suppliers": suppliers}


def _candidates_from_snapshot(snapshot: dict) -> list[Candidate]:
    result = []
    for s in snapshot.get("suppliers", []):
        supplier = db.session.get(Supplier, s["id"])
        items = [(db.session.get(Product, p["id"]), p["price_fen"], p["install_fee_fen"]) for p in s["products"]]
        result.append(Candidate(supplier, items))
    return result


def _freeze(district: District, candidates: list[Candidate], *, actor: User | None, reason: str,
            exception_reason: str | None, problems: list[Problem]) -> tuple[ListVersion, dict]:
    previous = queries.current_version(district)
    snapshot = _snapshot(candidates)
    version = ListVersion(district_id=district.id, number=(previous.number + 1) if previous else 1,
                          published_at=now_utc(), published_by_id=getattr(actor, "id", None),
                          exception_reason=exception_reason, reason=reason, snapshot=snapshot,
                          problems=[p.as_dict() for p in problems])
    for cand in candidates:
        for product, price, fee in cand.items:
            version.items.append(ListVersionItem(district_id=district.id, supplier_id=cand.supplier.id,
                                                 product_id=product.id, price_fen=price, install_fee_fen=fee))
    db.session.add(version)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the lock makes this unlikely; the unique (district_id, number) decides
        raise ListVersionConflict(version.number) from exc
    changes = diff(previous.snapshot if previous else None, snapshot)
    audit.record(actor, "list.version_published", version, {"version": (previous.number if previous else None,
                                                                        version.number)},
                 reason=reason, extra={"district": district.code, "diff": changes,
                                       "exception_reason": exception_reason,
                                       "problems": [p.rule for p in problems]})
    return version, changes


def _announce(district: District, kind: AnnouncementKind, title: str, body: str, params: dict, *,
              version: ListVersion | None, supplier_id: int | None = None,
              case_number: str | None = None) -> Announcement:
    item = Announcement(district_id=district.id, kind=kind, title=title, body=body,
                        params={**_district_params(district), **params}, published_at=now_utc(),
                        case_number=case_number, version_id=version.id if version else None,
                        supplier_id=supplier_id)
    db.session.add(item)
    db.session.flush()
    return item


def _product_ids(snapshot: dict | None) -> set[int]:
    return {p["id"] for s in (snapshot or {}).get("suppliers", []) for p in s["products"]}


def _emit(district: District, version: ListVersion, previous_snapshot: dict | None) -> None:
    ids = sorted(_product_ids(previous_snapshot) | _product_ids(version.snapshot))
    signals.list_published.send(district, version=version, product_ids=ids)
    signals.listing_changed.send(None, product_ids=ids)


def _canonical(value) -> str:
    """A snapshot as the JSON column keeps it (tuples become lists ...), keys sorted: to compare two of them."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _digest(snapshot: dict, exception_reason: str | None) -> str:
    """Names exactly what would be published (the confirmation carries it back)."""
    return hashlib.sha256(_canonical([snapshot, exception_reason]).encode()).hexdigest()[:24]


def _would_publish(district: District, exception_reason: str | None, today: date | None,
                   seen_number: int | None) -> tuple[list[Candidate], dict, str | None, ListVersion | None]:
    """The checks of a publication, in order: someone published since (`seen_number`), the section 4 problems,
    nothing changed. Returns (candidates, snapshot, exception reason as kept, current version)."""
    current = queries.current_version(district)
    if seen_number is not None and (current.number if current else 0) != seen_number:
        raise ListVersionConflict(current.number if current else None)
    exception_reason = (exception_reason or "").strip() or None
    candidates = working_candidates(district)
    if exception_reason and len(candidates) >= publication.MIN_SUPPLIERS:
        exception_reason = None  # an exception is only for fewer than 3 suppliers
    problems = publication.check(candidates, today=today or today_shanghai(), exception_reason=exception_reason)
    if problems:
        raise PublicationRefused(problems)
    snapshot = _snapshot(candidates)
    if (current is not None and current.exception_reason == exception_reason
            and _canonical(current.snapshot) == _canonical(snapshot)):
        raise PublicationUnchanged(current.number)
    return candidates, snapshot, exception_reason, current


def preview_publication(district: District, *, exception_reason: str | None = None, today: date | None = None,
                        seen_number: int | None = None) -> dict:
    """What publishing the working list now would do, for the confirmation page (read only; the same refusals
    as `publish_list`): the diff against the current version and the digest the confirmation must carry."""
    _candidates, snapshot, exception_reason, current = _would_publish(district, exception_reason, today,
                                                                      seen_number)
    changes = diff(current.snapshot if current else None, snapshot)
    return {"changes": changes, "digest": _digest(snapshot, exception_reason), "exception_reason": exception_reason,
            "current": current, "first": current is None,
            "details_only": current is not None and is_empty_diff(changes)}


def publish_list(district: District, *, actor: User, exception_reason: str | None = None,
                 today: date | None = None, seen_number: int | None = None,
                 confirmed: str | None = None) -> ListVersion:
    """Run the section 4 check on the working list and, if it passes, freeze a new version and announce it.

    Serialised per district; `seen_number` (the current version number the official looked at, 0 for none)
    refuses with ListVersionConflict when someone else has published since. A working list identical to the
    current version is refused (PublicationUnchanged). `confirmed` (the digest of `preview_publication` the
    official confirmed) refuses with PublicationChanged when the working list changed since.
    """
    lock_district_list(district.id)
    candidates, snapshot, exception_reason, previous = _would_publish(district, exception_reason, today,
                                                                      seen_number)
    if confirmed is not None and confirmed != _digest(snapshot, exception_reason):
        raise PublicationChanged()
    version, changes = _freeze(district, candidates, actor=actor, exception_reason=exception_reason,
                               reason=N_("区县经济信息部门发布"), problems=[])
    params = {"number": version.number, "count": len(candidates),
              "products": sum(len(c.items) for c in candidates), "exception": exception_reason or ""}
    _announce(district, AnnouncementKind.list_published, PUBLISHED_TITLE,
              PUBLISHED_BODY_EXCEPTION if exception_reason else PUBLISHED_BODY, params, version=version)
    if previous and changes["added"]["suppliers"]:
        names = join_list(s["name"] for s in changes["added"]["suppliers"])
        _announce(district, AnnouncementKind.supplier_added, ADDED_TITLE, ADDED_BODY,
                  {"number": version.number, "names": names}, version=version)
    _emit(district, version, previous.snapshot if previous else None)
    return version


def _recheck(district: District, version: ListVersion, candidates: list[Candidate], *, today: date) -> None:
    """After an automatic change: tell officials and the public when the list falls below section 4."""
    if not version.problems:
        return
    _announce(district, AnnouncementKind.list_below_minimum, BELOW_TITLE, BELOW_BODY,
              {"number": version.number, "count": len(version.problems)}, version=version)
    notify(officials_of([district.id]), N_("%(district)s目录清单低于最低要求"),
           N_("目录清单第 %(number)s 版有 %(count)s 项不符合公布要求，请补充征集或调整清单。"),
           params={**_district_params(district), "number": version.number, "count": len(version.problems)},
           link=f"/official/districts/{district.code}/list")


def _auto_problems(candidates: list[Candidate], exception_reason: str | None, today: date) -> list[Problem]:
    return publication.check(candidates, today=today, exception_reason=exception_reason)


def remove_supplier(district: District, supplier: Supplier, *, actor: User | None, reason: str,
                    case_number: str | None = None, today: date | None = None) -> ListVersion | None:
    """Take a supplier off the district's list: a new version and a `supplier_removed` announcement.

    Returns the new version, or None when the supplier was only a candidate on the unpublished working list.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写移出理由。"), field="reason")
    today = today or today_shanghai()
    lock_district_list(district.id)
    entry = db.session.scalar(select(ListEntry).where(ListEntry.district_id == district.id,
                                                      ListEntry.supplier_id == supplier.id))
    current = queries.current_version(district)
    listed = current is not None and any(s["id"] == supplier.id for s in current.suppliers)
    if entry is None and not listed:
        raise InvalidTransition(_("%(name)s 不在该区县清单上。", name=supplier.legal_name))
    if entry is not None:
        db.session.delete(entry)
        audit.record(actor, "list.candidate_removed", supplier, {"district": (district.code, None)},
                     reason=reason, extra={"case_number": case_number})
        db.session.flush()
    if not listed:
        return None
    snapshot = {"suppliers": [s for s in current.suppliers if s["id"] != supplier.id]}
    candidates = _candidates_from_snapshot(snapshot)
    problems = _auto_problems(candidates, current.exception_reason, today)
    version, _changes = _freeze(district, candidates, actor=actor, reason=reason,
                                exception_reason=current.exception_reason, problems=problems)
    params = {"supplier": supplier.legal_name, "reason": reason, "number": version.number,
              "case_number": case_number or ""}
    _announce(district, AnnouncementKind.supplier_removed, REMOVED_TITLE,
              REMOVED_BODY_CASE if case_number else REMOVED_BODY, params, version=version,
              supplier_id=supplier.id, case_number=case_number)
    _recheck(district, version, candidates, today=today)
    _emit(district, version, current.snapshot)
    return version


def delist_product(product: Product, *, reason: str | None = None, today: date | None = None) -> list[ListVersion]:
    """A product stopped being valid: it leaves every working and current list at once (actor: system)."""
    today = today or today_shanghai()
    reason = reason or N_("产品已失效")
    for item in db.session.scalars(select(ListEntryProduct).where(ListEntryProduct.product_id == product.id)):
        db.session.delete(item)
    db.session.flush()
    created = []
    for district_code in queries.listed_product_districts([product.id]).get(product.id, []):
        district = queries.district_by_code(district_code)
        lock_district_list(district.id)
        current = queries.current_version(district)
        if product.id not in _product_ids(current.snapshot):
            continue  # another transaction delisted it while this one waited for the lock
        snapshot = {"suppliers": [{**s, "products": [p for p in s["products"] if p["id"] != product.id]}
                                  for s in current.suppliers]}
        candidates = _candidates_from_snapshot(snapshot)
        problems = _auto_problems(candidates, current.exception_reason, today)
        version, _changes = _freeze(district, candidates, actor=None, reason=reason,
                                    exception_reason=current.exception_reason, problems=problems)
        params = {"supplier": product.supplier.legal_name, "model": product.model, "reason": reason,
                  "number": version.number}
        _announce(district, AnnouncementKind.product_removed, PRODUCT_TITLE, PRODUCT_BODY, params,
                  version=version, supplier_id=product.supplier_id)
        notify(officials_of([district.id]), N_("%(supplier)s 的产品 %(model)s 已移出%(district)s目录清单"),
               N_("原因：%(reason)s。已自动生成清单第 %(number)s 版，请复核清单是否仍符合公布要求。"),
               params={**params, **_district_params(district)}, link=f"/official/districts/{district.code}/list")
        _recheck(district, version, candidates, today=today)
        _emit(district, version, current.snapshot)
        created.append(version)
    return created


def check_current_list(district: District, *, today: date | None = None) -> list[Problem]:
    """Section 4 problems of the district's current published version as it stands today (read only)."""
    version = queries.current_version(district)
    if version is None:
        return []
    return publication.check(_candidates_from_snapshot(version.snapshot), today=today or today_shanghai(),
                             exception_reason=version.exception_reason)

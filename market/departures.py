"""A product that left the published lists: when, where and why, and the announcement that said so.

`/products/<id>` and `/api/v1/products/<id>` answer 410 Gone with this (not a bare 404) for a product that some
district once listed. Read from the registry's frozen versions: the last version of each district that carried
the product, the version after it (its `reason`, its time) and the announcement made with that version. A product
of a suspended or blacklisted company is still on the published versions but no longer listed (market.listing).
A product no list ever carried stays a 404: nothing about it was ever public.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from flask_babel import get_locale
from sqlalchemy import func, select

from catalog.models import PRODUCT_STATUS_TITLES, Product, ProductStatus
from core.db import db
from core.districts import District
from core.i18n import _, render_stored
from core.isodate import iso
from registry.lists.models import (
    Announcement,
    AnnouncementKind,
    ListVersion,
    ListVersionItem,
)
from suppliers.models import BARRED, SUPPLIER_STATUS_TITLES


@dataclass
class Leaving:
    """The product left one district's list."""

    district: District
    left_at: datetime | None
    version: int | None
    reason: str
    announcement: Announcement | None = None


@dataclass
class Departure:
    """Why a once-listed product is no longer on any current list."""

    product: Product
    leavings: list[Leaving] = field(default_factory=list)
    #: The company is suspended or blacklisted (its products left search at once).
    barred: str | None = None
    #: The product's own state when it is no longer valid (withdrawn by its supplier, invalid).
    status: str | None = None

    @property
    def left_at(self) -> datetime | None:
        times = [x.left_at for x in self.leavings if x.left_at]
        return max(times) if times else None

    def message(self) -> str:
        """One sentence for the API's error message."""
        parts = [_("产品 %(model)s 已不在任何区县当前公布的目录清单上。", model=self.product.model)]
        for x in self.leavings:
            parts.append(_("%(date)s 移出%(district)s目录清单（第 %(number)s 版），原因：%(reason)s。",
                           date=x.left_at.date().isoformat() if x.left_at else "—",
                           district=x.district.display_name(_locale()), number=x.version or "—", reason=x.reason))
        if self.barred:
            parts.append(_("销售安装单位状态：%(status)s。", status=self.barred))
        return "".join(parts)


    def as_json(self) -> dict:
        """The API's 410 body: the error, and each district's leaving with its announcement."""
        return {"error": {"code": "gone", "message": self.message(), "field": "id"},
                "left": [{"district": x.district.code, "left_at": iso(x.left_at), "version": x.version,
                          "reason": x.reason, "announcement": x.announcement and {
                              "id": x.announcement.id, "title": x.announcement.title_text,
                              "url": url_for("registry.public.announcements", district=x.district.code,
                                             kind=str(x.announcement.kind))}}
                         for x in self.leavings],
                "supplier_status": self.barred}


def _locale() -> str:
    return str(get_locale() or "zh_CN")


def departure(product_id: int) -> Departure | None:
    """The departure of a product some list once carried and no current listing shows; None when no list ever
    carried it (or it does not exist). The caller has checked that it is not listed now."""
    product = db.session.get(Product, product_id)
    if product is None:
        return None
    last = db.session.execute(
        select(ListVersion.district_id, func.max(ListVersion.number))
        .join(ListVersionItem, ListVersionItem.version_id == ListVersion.id)
        .where(ListVersionItem.product_id == product_id).group_by(ListVersion.district_id)).all()
    if not last:
        return None
    found = Departure(product)
    if product.supplier is not None and product.supplier.status in BARRED:
        found.barred = str(SUPPLIER_STATUS_TITLES.get(product.supplier.status, product.supplier.status))
    if product.status in (ProductStatus.withdrawn, ProductStatus.invalid):
        found.status = str(PRODUCT_STATUS_TITLES[product.status])
    districts = {d.id: d for d in db.session.scalars(select(District).where(District.id.in_([r[0] for r in last])))}
    for district_id, number in last:
        after = db.session.scalar(select(ListVersion).where(ListVersion.district_id == district_id,
                                                            ListVersion.number > number)
                                  .order_by(ListVersion.number).limit(1))
        if after is None:
            continue  # the current version still carries it (a barred company): no leaving here
        note = db.session.scalar(select(Announcement).where(Announcement.version_id == after.id)
                                 .order_by(Announcement.id).limit(1))
        if note is not None and note.kind == AnnouncementKind.list_published:
            reason = _("区县重新公布目录清单时未再列入该产品")
        else:
            reason = render_stored(after.reason) if after.reason else _("未说明")
        found.leavings.append(Leaving(districts[district_id], after.published_at, after.number, reason, note))
    found.leavings.sort(key=lambda x: x.district.code)
    return found

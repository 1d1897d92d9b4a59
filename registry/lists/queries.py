"""Reads of the registry: current list versions, listed products, announcements, solicitations."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select

from core.db import db
from core.districts import District
from registry.lists.models import (
    Announcement,
    Application,
    ApplicationStatus,
    ListEntry,
    ListVersion,
    ListVersionItem,
    Solicitation,
    SolicitationStatus,
)


def district_by_code(code: str) -> District | None:
    return db.session.scalar(select(District).where(District.code == code))


def current_version_ids():
    """Subquery: the id of each district's latest version."""
    latest = (select(ListVersion.district_id, func.max(ListVersion.number).label("number"))
              .group_by(ListVersion.district_id).subquery())
    return (select(ListVersion.id).join(latest, (latest.c.district_id == ListVersion.district_id)
                                        & (latest.c.number == ListVersion.number)))


def current_version(district: District | int) -> ListVersion | None:
    """The district's current (latest) published version, or None if it never published."""
    district_id = getattr(district, "id", district)
    return db.session.scalar(select(ListVersion).where(ListVersion.district_id == district_id)
                             .order_by(ListVersion.number.desc()).limit(1))


def current_versions() -> dict[int, ListVersion]:
    """district id → current version, for every district that has published."""
    rows = db.session.scalars(select(ListVersion).where(ListVersion.id.in_(current_version_ids())))
    return {v.district_id: v for v in rows}


def versions(district: District) -> list[ListVersion]:
    """Every version of the district, newest first."""
    return list(db.session.scalars(select(ListVersion).where(ListVersion.district_id == district.id)
                                   .order_by(ListVersion.number.desc())))


def version_by_number(district: District, number: int) -> ListVersion | None:
    return db.session.scalar(select(ListVersion).where(ListVersion.district_id == district.id,
                                                       ListVersion.number == number))


def previous_version(version: ListVersion) -> ListVersion | None:
    return db.session.scalar(select(ListVersion).where(
        ListVersion.district_id == version.district_id, ListVersion.number < version.number)
        .order_by(ListVersion.number.desc()).limit(1))


def listed_product_districts(product_ids: list[int] | None = None) -> dict[int, list[str]]:
    """product id → codes of the districts whose CURRENT published list carries it."""
    query = (select(ListVersionItem.product_id, District.code)
             .join(District, District.id == ListVersionItem.district_id)
             .where(ListVersionItem.version_id.in_(current_version_ids())))
    if product_ids is not None:
        if not product_ids:
            return {}
        query = query.where(ListVersionItem.product_id.in_(product_ids))
    result: dict[int, list[str]] = {}
    for product_id, code in db.session.execute(query.order_by(District.code)):
        result.setdefault(product_id, []).append(code)
    return result


def listed_product_prices(product_ids: list[int]) -> dict[int, dict[str, tuple[int, int]]]:
    """product id → {district code: (price_fen, install_fee_fen)} as frozen on CURRENT published lists."""
    if not product_ids:
        return {}
    query = (select(ListVersionItem.product_id, District.code, ListVersionItem.price_fen,
                    ListVersionItem.install_fee_fen)
             .join(District, District.id == ListVersionItem.district_id)
             .where(ListVersionItem.version_id.in_(current_version_ids()), ListVersionItem.product_id.in_(product_ids)))
    result: dict[int, dict[str, tuple[int, int]]] = {}
    for product_id, code, price, fee in db.session.execute(query):
        result.setdefault(product_id, {})[code] = (price, fee)
    return result


def listed_item(district_id: int, product_id: int) -> ListVersionItem | None:
    """The product on the district's current list (with its published price and fee), or None."""
    return db.session.scalar(select(ListVersionItem).where(
        ListVersionItem.district_id == district_id, ListVersionItem.product_id == product_id,
        ListVersionItem.version_id.in_(current_version_ids())))


def supplier_listed_districts(supplier_id: int) -> list[District]:
    """Districts whose current list carries the supplier."""
    ids = select(ListVersionItem.district_id).where(
        ListVersionItem.supplier_id == supplier_id, ListVersionItem.version_id.in_(current_version_ids()))
    return list(db.session.scalars(select(District).where(District.id.in_(ids)).order_by(District.code)))


def announcements_query(district: District | None = None, kind=None):
    query = select(Announcement).order_by(Announcement.published_at.desc(), Announcement.id.desc())
    if district is not None:
        query = query.where(Announcement.district_id == district.id)
    if kind is not None:
        query = query.where(Announcement.kind == kind)
    return query


def working_entries(district: District) -> list[ListEntry]:
    return list(db.session.scalars(select(ListEntry).where(ListEntry.district_id == district.id)
                                   .order_by(ListEntry.id)))


def solicitations_query(*, district: District | None = None, status: SolicitationStatus | None = None):
    query = select(Solicitation).order_by(Solicitation.created_at.desc(), Solicitation.id.desc())
    if district is not None:
        query = query.where(Solicitation.district_id == district.id)
    if status is not None:
        query = query.where(Solicitation.status == status)
    return query


def pending_applications(district_ids: set[int]) -> list[Application]:
    if not district_ids:
        return []
    return list(db.session.scalars(
        select(Application).join(Solicitation).where(Solicitation.district_id.in_(district_ids),
                                                     Application.status == ApplicationStatus.submitted)
        .order_by(Application.created_at)))


def supplier_applications(supplier_id: int) -> list[Application]:
    return list(db.session.scalars(select(Application).where(Application.supplier_id == supplier_id)
                                   .order_by(Application.created_at.desc(), Application.id.desc())))


def current_version_stamp(district_id: int) -> tuple[int, int, object] | None:
    """(id, number, published_at) of the district's current version, without loading its snapshot."""
    row = db.session.execute(select(ListVersion.id, ListVersion.number, ListVersion.published_at)
                             .where(ListVersion.district_id == district_id)
                             .order_by(ListVersion.number.desc()).limit(1)).first()
    return tuple(row) if row else None


def announcement_stamps(district_id: int, limit: int = 5) -> list[tuple[int, object]]:
    """(id, published_at) of the district's latest announcements, newest first (what the list page shows)."""
    return [tuple(r) for r in db.session.execute(
        select(Announcement.id, Announcement.published_at).where(Announcement.district_id == district_id)
        .order_by(Announcement.published_at.desc(), Announcement.id.desc()).limit(limit))]


def version_by_id(version_id: int) -> ListVersion | None:
    return db.session.get(ListVersion, version_id)


def supplier_current_listings(supplier_id: int) -> list[tuple[District, ListVersion, dict]]:
    """(district, current version, the supplier's entry in its snapshot) for each current list carrying it."""
    result = []
    versions = db.session.scalars(select(ListVersion).where(
        ListVersion.id.in_(current_version_ids()),
        ListVersion.id.in_(select(ListVersionItem.version_id).where(ListVersionItem.supplier_id == supplier_id))))
    for version in versions:
        entry = next((s for s in version.suppliers if s["id"] == supplier_id), None)
        if entry is not None:
            result.append((version.district, version, entry))
    return sorted(result, key=lambda row: row[0].code)


def _list_stamp_statement():
    latest = (select(func.max(ListVersion.number)).where(ListVersion.district_id == District.id)
              .correlate(District).scalar_subquery())
    notes = select(Announcement.id, Announcement.published_at).where(Announcement.district_id == District.id)
    return (select(District.id, District.code, District.name, District.name_en, ListVersion.id.label("version_id"),
                   ListVersion.number, ListVersion.published_at,
                   notes.with_only_columns(func.max(Announcement.id)).correlate(District).scalar_subquery()
                   .label("notes_last"),
                   notes.with_only_columns(func.count(Announcement.id)).correlate(District).scalar_subquery()
                   .label("notes_count"),
                   notes.with_only_columns(func.max(Announcement.published_at)).correlate(District)
                   .scalar_subquery().label("notes_at"))
            .outerjoin(ListVersion, (ListVersion.district_id == District.id) & (ListVersion.number == latest))
            .where(District.code == bindparam("code")))


_LIST_STAMP = None


def list_stamp(code: str):
    """One light query for a list page's validators: the district (id, code, names), its current version (id,
    number, published_at: None when it never published) and its announcements (last id, count, latest time).

    Versions and announcements are only ever added (never changed or deleted), so these name what is shown.
    """
    global _LIST_STAMP  # noqa: PLW0603 - the statement is built once (building it costs more than running it)
    if _LIST_STAMP is None:
        _LIST_STAMP = _list_stamp_statement()
    with db.engine.connect() as connection:  # Core on its own connection: no ORM session for a warm page
        return connection.execute(_LIST_STAMP, {"code": code}).first()


def version_stamp(district_id: int, number: int) -> tuple[int, object] | None:
    """(id, published_at) of the district's version `number`, without loading its snapshot."""
    row = db.session.execute(select(ListVersion.id, ListVersion.published_at).where(
        ListVersion.district_id == district_id, ListVersion.number == number)).first()
    return tuple(row) if row else None

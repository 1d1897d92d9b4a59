"""Districts: reference data that role scopes in core depend on (registry adds townships, targets ...)."""

from __future__ import annotations

import csv
import enum
from pathlib import Path

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, enum_column
from core.i18n import _l
from core.permissions import Role

DISTRICTS_CSV = Path(__file__).resolve().parent.parent / "data" / "chongqing_districts.csv"


class DistrictKind(enum.StrEnum):
    """Kind of district-level unit."""

    district = "district"
    county = "county"
    autonomous_county = "autonomous_county"
    functional_zone = "functional_zone"


DISTRICT_KIND_TITLES = {
    DistrictKind.district: _l("区"),
    DistrictKind.county: _l("县"),
    DistrictKind.autonomous_county: _l("自治县"),
    DistrictKind.functional_zone: _l("功能区"),
}


class District(db.Model):
    """One of the 41 district-level units (区县) of Chongqing."""

    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: GB/T 2260 code, or LJXQ / GXQ / WSJK for the functional zones.
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))
    kind: Mapped[DistrictKind] = enum_column(DistrictKind, "district_kind")

    def display_name(self, locale: str | None) -> str:
        return self.name_en if locale == "en" else self.name

    def can_manage(self, user) -> bool:
        """Its own district officials change what is kept about the district (lists, calls, base data)."""
        return bool(getattr(user, "is_authenticated", False)) and user.is_official_of(self.id)

    def can_oversee(self, user) -> bool:
        """Who may read the district's administration: its officials, and regulators (read only)."""
        return self.can_manage(user) or (bool(getattr(user, "is_authenticated", False))
                                         and user.has_role(Role.regulator))

    def __repr__(self) -> str:
        return f"<District {self.code} {self.name}>"



def load_districts() -> int:
    """Insert or update the 41 districts from data/chongqing_districts.csv; returns how many were added."""
    existing = {d.code: d for d in db.session.scalars(select(District))}
    added = 0
    with DISTRICTS_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            district = existing.get(row["code"])
            if district is None:
                district = District(code=row["code"])
                db.session.add(district)
                added += 1
            district.name, district.name_en = row["name"], row["name_en"]
            district.kind = DistrictKind(row["kind"])
    db.session.flush()
    return added


def all_districts() -> list[District]:
    """All districts in code order (GB/T 2260 codes first, then the functional zones)."""
    return list(db.session.scalars(select(District).order_by(District.code)))


def district_choices(locale: str | None) -> list[tuple[int, str]]:
    """(id, name) pairs for select fields."""
    return [(d.id, d.display_name(locale)) for d in all_districts()]

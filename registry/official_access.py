"""Who may see and change a district's administration: its officials edit, regulators read."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from core.permissions import Role
from registry.lists import queries


def can_view_district_admin(user, district_id: int) -> bool:
    return user.is_official_of(district_id) or user.has_role(Role.regulator)


def district_for(code: str, *, write: bool = False):
    """The district by code for the current user: 404 unknown, 403 when not theirs (regulators read only)."""
    district = queries.district_by_code(code)
    if district is None:
        abort(404)
    allowed = current_user.is_official_of(district.id) if write else can_view_district_admin(current_user,
                                                                                              district.id)
    if not allowed:
        abort(403)
    return district

"""Account reads shared by the domains: who holds a role where."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from core.accounts.models import RoleGrant, User
from core.db import db
from core.permissions import Role


def holders_of(role: Role, district_ids: Iterable[int]) -> list[User]:
    """Active holders of a district-scoped `role` in any of `district_ids`, each once, by id."""
    ids = list(district_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
            RoleGrant.role == role, RoleGrant.district_id.in_(ids), User.active.is_(True),
        ).distinct().order_by(User.id)))


def officials_of(district_ids: Iterable[int]) -> list[User]:
    """Active district officials of any of `district_ids`, each once, by id."""
    return holders_of(Role.district_official, district_ids)


def inspectors_of(district_ids: Iterable[int]) -> list[User]:
    """Active inspectors (gas utility) of any of `district_ids`, each once, by id."""
    return holders_of(Role.inspector, district_ids)

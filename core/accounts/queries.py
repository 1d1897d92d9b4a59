"""Account reads shared by the domains: who holds a role where."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from core.accounts.models import RoleGrant, User
from core.db import db
from core.permissions import Role


def officials_of(district_ids: Iterable[int]) -> list[User]:
    """Active district officials of any of `district_ids`, each once, by id."""
    ids = list(district_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
            RoleGrant.role == Role.district_official, RoleGrant.district_id.in_(ids), User.active.is_(True),
        ).distinct().order_by(User.id)))

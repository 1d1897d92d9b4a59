"""Roles, the role decorator for coarse access, and helpers for scoped object checks."""

from __future__ import annotations

import enum
from functools import wraps

from flask import abort, request
from flask_login import current_user

from core.extensions import login_manager
from core.i18n import _l


class Role(enum.StrEnum):
    """Roles of SPEC section 2 (public is simply not logged in)."""

    resident = "resident"
    supplier = "supplier"
    district_official = "district_official"
    regulator = "regulator"
    inspector = "inspector"
    admin = "admin"

    @property
    def title(self) -> str:
        return str(ROLE_TITLES[self])


ROLE_TITLES = {
    Role.resident: _l("居民/单位用户"),
    Role.supplier: _l("销售安装单位"),
    Role.district_official: _l("区县经济信息部门"),
    Role.regulator: _l("市场监管部门"),
    Role.inspector: _l("燃气企业安检员"),
    Role.admin: _l("平台管理员"),
}

#: Roles whose grants are scoped to districts.
DISTRICT_SCOPED = frozenset({Role.district_official, Role.inspector})


def require_role(*roles: Role):
    """Allow a view only to logged-in users holding one of `roles` (401 → login page, else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def wants_json() -> bool:
    """True for API requests, which get JSON errors instead of pages."""
    return request.path.startswith("/api/")

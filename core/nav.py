"""Navigation entries contributed by each package; the menu shows what the viewer's roles allow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.permissions import Role


@dataclass(frozen=True)
class NavItem:
    """One menu entry: an endpoint, a lazy label, and who sees it (nobody logged in → `public`)."""

    endpoint: str
    label: object
    roles: frozenset[Role] = field(default_factory=frozenset)
    public: bool = False
    order: int = 50
    #: A further condition on the logged-in user (e.g. households only), or None.
    only_if: Callable[[object], bool] | None = None


_ITEMS: list[NavItem] = []


def add(endpoint: str, label, *, roles: tuple[Role, ...] = (), public: bool = False, order: int = 50,
        only_if: Callable[[object], bool] | None = None) -> None:
    """Register a menu entry (called at import time by a package's routes module)."""
    if any(item.endpoint == endpoint for item in _ITEMS):
        return
    _ITEMS.append(NavItem(endpoint, label, frozenset(roles), public, order, only_if))


def items_for(user) -> list[NavItem]:
    """Entries visible to `user`, public ones first, in order."""
    authenticated = getattr(user, "is_authenticated", False)
    visible = [
        item for item in _ITEMS
        if item.public or (authenticated and any(user.has_role(role) for role in item.roles)
                           and (item.only_if is None or item.only_if(user)))
    ]
    return sorted(visible, key=lambda item: (not item.public, item.order))


_FOOTER: list[NavItem] = []


def add_footer(endpoint: str, label, *, order: int = 50) -> None:
    """Register a footer link (public pages such as the API documentation)."""
    if not any(item.endpoint == endpoint for item in _FOOTER):
        _FOOTER.append(NavItem(endpoint, label, public=True, order=order))


def footer_items() -> list[NavItem]:
    """Footer links in order."""
    return sorted(_FOOTER, key=lambda item: item.order)

"""Navigation entries contributed by each package; the menu shows what the viewer's roles allow."""

from __future__ import annotations

import unicodedata
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


#: What the desktop menu row (≥1200 px: a 1140 px container) leaves for entries, in px, after the brand and the
#: right-hand side (language, notifications and the user menu; or log in and register).
ROW_BUDGET_PX = {"anonymous": 600, "user": 500}
#: Space kept for the "More" dropdown's own button when some entries move into it.
MORE_BUTTON_PX = 80
#: Padding of one entry (.45rem each side) in px.
ENTRY_PADDING_PX = 15


def label_width(text: str, font_px: float = 16) -> float:
    """A rough rendered width of a menu label: wide (CJK) characters one em, others half an em."""
    return sum(font_px if unicodedata.east_asian_width(ch) in "WF" else font_px * 0.5 for ch in text)


@dataclass(frozen=True)
class Menu:
    """The desktop menu: entries shown in the row, and the rest under the "More" dropdown."""

    shown: list[NavItem]
    more: list[NavItem]


def menu_for(user) -> Menu:
    """The viewer's entries split so that the desktop row fits on one line in the active language.

    A logged-in user's own work comes first (their roles' entries), then the public pages; whatever does not
    fit the row's width moves, in that order, into the "More" dropdown.
    """
    authenticated = getattr(user, "is_authenticated", False)
    items = items_for(user)
    if authenticated:
        items = [i for i in items if not i.public] + [i for i in items if i.public]
    budget = ROW_BUDGET_PX["user" if authenticated else "anonymous"]
    widths = [label_width(str(item.label)) + ENTRY_PADDING_PX for item in items]
    if sum(widths) <= budget:
        return Menu(items, [])
    shown, used = [], MORE_BUTTON_PX
    for item, width in zip(items, widths, strict=True):
        if used + width > budget:
            break
        shown.append(item)
        used += width
    return Menu(shown, items[len(shown):])


_FOOTER: list[NavItem] = []


def add_footer(endpoint: str, label, *, order: int = 50) -> None:
    """Register a footer link (public pages such as the API documentation)."""
    if not any(item.endpoint == endpoint for item in _FOOTER):
        _FOOTER.append(NavItem(endpoint, label, public=True, order=order))


def footer_items() -> list[NavItem]:
    """Footer links in order."""
    return sorted(_FOOTER, key=lambda item: item.order)

"""Panels that higher packages contribute to the home page (core cannot import them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HomePanel:
    """A template included on the home page with the context its function returns."""

    template: str
    context: Callable[[], dict]
    order: int = 50


_PANELS: dict[str, HomePanel] = {}


def add_panel(template: str, context: Callable[[], dict], *, order: int = 50) -> None:
    """Register (or replace) a home-page panel; called by the composition root."""
    _PANELS[template] = HomePanel(template, context, order)


def rendered_panels() -> list[tuple[str, dict]]:
    """(template, context) of each panel, in order."""
    return [(p.template, p.context()) for p in sorted(_PANELS.values(), key=lambda p: p.order)]

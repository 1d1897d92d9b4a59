"""Registry's receivers of catalog signals (a lower layer cannot call up; it signals)."""

from __future__ import annotations

from catalog import signals as catalog_signals
from core.i18n import N_
from registry.lists import services as list_services


def _on_product_gone(product, reason: str | None = None, **_kwargs) -> None:
    """An invalid or withdrawn product leaves every list at once (the sender's transaction commits)."""
    list_services.delist_product(product, reason=reason)


def _on_product_withdrawn(product, **_kwargs) -> None:
    list_services.delist_product(product, reason=N_("销售安装单位撤回了该产品"))


def connect() -> None:
    """Connect the receivers (idempotent: blinker ignores a repeated connection)."""
    catalog_signals.product_invalidated.connect(_on_product_gone)
    catalog_signals.product_withdrawn.connect(_on_product_withdrawn)

"""Connect the search index (catalog) to what the registry knows: listings and their changes.

catalog.search cannot import the registry; the composition root calls `connect()` once, which registers the
listing provider and queues index refreshes (the outbox, same transaction) whenever a listing or a product
changes. The outbox is applied after the commit by catalog.search.
"""

from __future__ import annotations

from catalog import search
from catalog import signals as catalog_signals
from registry import queries
from registry import signals as registry_signals


def _queue_product(product, **_kwargs) -> None:
    search.enqueue([product.id])


def _queue_ids(_sender=None, product_ids=None, **_kwargs) -> None:
    search.enqueue(product_ids or [])


def connect() -> None:
    """Register the provider and the receivers (idempotent: blinker ignores repeated connections)."""
    search.set_listing_provider(queries.listed_product_districts)
    search.set_price_provider(queries.listed_product_prices)
    catalog_signals.product_changed.connect(_queue_product)
    catalog_signals.product_invalidated.connect(_queue_product)
    catalog_signals.product_withdrawn.connect(_queue_product)
    registry_signals.list_published.connect(_queue_ids)
    registry_signals.listing_changed.connect(_queue_ids)

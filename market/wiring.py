"""market listens to the packages below it: every change that can alter what buyers see queues an index refresh.

`connect()` is called once by the composition root (wsgi.create_app). It connects market's receivers to the
catalog and registry signals (each receiver queues the product ids in the search outbox, in the sender's
transaction) and the Session hooks that apply the outbox once that transaction has committed.
"""

from __future__ import annotations

from catalog import signals as catalog_signals
from market.search import outbox
from registry import signals as registry_signals


def _queue_product(product, **_kwargs) -> None:
    outbox.enqueue([product.id])


def _queue_ids(_sender=None, product_ids=None, **_kwargs) -> None:
    outbox.enqueue(product_ids or [])


def connect() -> None:
    """Connect the receivers and the after-commit hooks (idempotent: repeated connections are ignored)."""
    catalog_signals.product_changed.connect(_queue_product)
    catalog_signals.product_invalidated.connect(_queue_product)
    catalog_signals.product_withdrawn.connect(_queue_product)
    registry_signals.list_published.connect(_queue_ids)
    registry_signals.listing_changed.connect(_queue_ids)
    outbox.connect_session_hooks()

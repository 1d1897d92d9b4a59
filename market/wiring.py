"""market listens to the packages below it: every change that can alter what buyers see queues an index refresh.

`connect()` is called once by the composition root (wsgi.create_app). It connects market's receivers to the
suppliers, catalog and registry signals (each receiver queues the product ids in the search outbox, in the sender's
transaction) and the Session hooks that apply the outbox once that transaction has committed.
"""

from __future__ import annotations

from sqlalchemy import select

from catalog import signals as catalog_signals
from catalog.models import Product
from core.db import db
from market.search import outbox
from registry import signals as registry_signals
from suppliers import signals as supplier_signals


def _queue_product(product, **_kwargs) -> None:
    outbox.enqueue([product.id])


def _queue_ids(_sender=None, product_ids=None, **_kwargs) -> None:
    outbox.enqueue(product_ids or [])


def _queue_supplier(supplier, **_kwargs) -> None:
    """A company was suspended, blacklisted or reinstated: all its products are looked at again (a barred
    company's products leave search at once, market.listing)."""
    outbox.enqueue(db.session.scalars(select(Product.id).where(Product.supplier_id == supplier.id)).all())


def connect() -> None:
    """Connect the receivers and the after-commit hooks (idempotent: repeated connections are ignored)."""
    catalog_signals.product_changed.connect(_queue_product)
    catalog_signals.product_invalidated.connect(_queue_product)
    catalog_signals.product_withdrawn.connect(_queue_product)
    supplier_signals.supplier_status_changed.connect(_queue_supplier)
    registry_signals.list_published.connect(_queue_ids)
    registry_signals.listing_changed.connect(_queue_ids)
    outbox.connect_session_hooks()

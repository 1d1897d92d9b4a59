"""What the registry lists, as market needs it: the districts and published prices of listed products.

market sits above registry and asks it directly (registry.lists.queries); these are the only functions through
which search, compare, the pages and the API learn whether a product is listed and at what price. A product of a
suspended or blacklisted company (Supplier.is_barred) counts as not listed: it leaves search, the product pages
and the API at once, though the published list version still names it until the company is delisted.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from catalog.models import Product
from core.db import db
from registry.lists.queries import listed_product_districts, listed_product_prices
from suppliers.models import BARRED, Supplier


def barred_product_ids(product_ids: Iterable[int] | None = None) -> set[int]:
    """Products (among `product_ids`, or all) of a suspended or blacklisted company."""
    query = (select(Product.id).join(Supplier, Supplier.id == Product.supplier_id)
             .where(Supplier.status.in_(sorted(BARRED))))
    if product_ids is None:
        return set(db.session.scalars(query))
    ids = sorted({int(pid) for pid in product_ids})
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(db.session.scalars(query.where(Product.id.in_(ids[start:start + 500]))))
    return found


def listed_districts(product_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
    """Products on a current published list whose company is not barred, with the codes of the districts that
    list them."""
    ids = None if product_ids is None else sorted(set(product_ids))
    listed = {int(k): sorted(v) for k, v in listed_product_districts(product_ids=ids).items() if v}
    if not listed:
        return listed
    barred = barred_product_ids(None if ids is None else listed)
    return {pid: codes for pid, codes in listed.items() if pid not in barred}


def published_prices(product_ids: Iterable[int]) -> dict[int, dict[str, tuple[int, int]]]:
    """For each listed product, its published (price, fee) per district.

    Those are the prices and fees frozen on the current published lists: the only ones a resident may be
    charged (附件1 四(二)); a supplier's later edit of its catalogue price does not change them.
    """
    ids = sorted({int(pid) for pid in product_ids})
    if not ids:
        return {}
    return listed_product_prices(product_ids=ids)


def published_price(product: Product, prices: dict[str, tuple[int, int]] | None,
                    district: str | None = None) -> tuple[int, int]:
    """(price, fee) as published in `district` when it lists the product, else the lowest published one."""
    if not prices:
        return product.price_fen, product.install_fee_fen
    if district and district in prices:
        return prices[district]
    return min(prices.values())


def load_products(product_ids: Iterable[int]) -> dict[int, Product]:
    """Products by id with their certificates and supplier: two statements whatever the number (no N+1);
    the supplier's districts and staff are left unloaded (no page of products shows them)."""
    ids = sorted({int(pid) for pid in product_ids})
    found: dict[int, Product] = {}
    for start in range(0, len(ids), 500):
        stmt = (select(Product).where(Product.id.in_(ids[start:start + 500]))
                .options(selectinload(Product.certificates),
                         joinedload(Product.supplier).lazyload(Supplier.districts),
                         joinedload(Product.supplier).lazyload(Supplier.memberships)))
        found.update({p.id: p for p in db.session.scalars(stmt)})
    return found

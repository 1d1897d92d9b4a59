"""Search latency benchmark (not a test): Whoosh index vs a plain SQL LIKE scan, same data, same run.

    .venv/bin/python bench/search_bench.py [--products 10000] [--repeat 30]

Builds 10,000 synthetic listed products in a temporary SQLite database and a temporary index, then runs a
fixed set of queries through `market.search.query.search()` (index query + the listing check, as the API does) and
through a LIKE scan over the product and supplier columns (count + first page). Prints p50/p95 per query
and overall, and the ratio, so the trend can be tracked between machines and commits.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, or_, select  # noqa: E402

from catalog.models import Product  # noqa: E402
from catalog.tiers import FEATURES_BY_DEVICE_TYPE  # noqa: E402
from core.db import db  # noqa: E402
from core.districts import load_districts  # noqa: E402
from market import listing as market_listing  # noqa: E402
from market.search import index, query  # noqa: E402
from market.search.params import SearchParams  # noqa: E402
from suppliers.models import Supplier  # noqa: E402
from wsgi import create_app  # noqa: E402

QUERIES = ("报警器", "自闭阀", "一氧化碳", "甲烷", "JT-BX", "JT-BX-0420", "zbf", "渝安 报警器", "GB 15322.2",
           "无线联动切断", "商用 高档", "山城")
BRANDS = (("渝安", "JT-BX"), ("山城", "SC-ZB"), ("巴渝卫士", "BY-KR"), ("缙云", "JY-RQ"), ("长江盾", "CJD"),
          ("嘉陵", "JL-GD"))
DISTRICTS = ("500103", "500105", "500106", "500107", "500108", "500112")


def _features(device_type: str, rng: random.Random) -> list[str]:
    pool = [str(f) for f in FEATURES_BY_DEVICE_TYPE[device_type]]
    return sorted(rng.sample(pool, k=min(len(pool), rng.randint(4, 9))))


def build(n: int, rng: random.Random) -> dict[int, list[str]]:
    """n products from 60 suppliers; returns the listing {product id: district codes}."""
    load_districts()
    suppliers = [Supplier(legal_name=f"重庆{BRANDS[i % len(BRANDS)][0]}燃气设备安装有限公司{i}",
                          credit_code=f"BENCH{i:013d}", qualification_level="二级", service_content="上门安装")
                 for i in range(60)]
    db.session.add_all(suppliers)
    db.session.flush()
    rows = []
    for i in range(n):
        brand, prefix = BRANDS[i % len(BRANDS)]
        device_type = "leak_alarm" if i % 3 else "self_closing_valve"
        rows.append({
            "supplier_id": suppliers[i % len(suppliers)].id, "device_type": device_type,
            "usage": rng.choice(("household", "commercial")) if device_type == "leak_alarm" else None,
            "tier": rng.choice(("low", "mid", "high")), "brand": brand, "manufacturer": f"{brand}仪表有限公司",
            "model": f"{prefix}-{i:04d}-{rng.randint(1, 99):02d}", "features": _features(device_type, rng),
            "standards": ["GB 15322.2-2019", "GB 16838"] if device_type == "leak_alarm" else ["CJ/T 447-2014"],
            "price_fen": rng.randrange(9900, 129900, 100), "install_fee_fen": 5000, "warranty_months": 24,
            "smart": bool(i % 2), "status": "valid", "is_own_manufacture": True,
            "service_content": "免费上门安装调试，质保期内免费维修。",
        })
    db.session.execute(insert(Product), rows)
    db.session.commit()
    ids = db.session.scalars(select(Product.id)).all()
    return {pid: sorted(rng.sample(DISTRICTS, k=rng.randint(1, 3))) for pid in ids}


def like_scan(q: str) -> tuple[int, list[int]]:
    """The baseline: every word must appear (LIKE %word%) in a product or supplier column."""
    columns = (Product.brand, Product.model, Product.manufacturer, Product.service_content, Supplier.legal_name)
    stmt = select(Product.id).join(Supplier, Supplier.id == Product.supplier_id)
    for word in q.split():
        stmt = stmt.where(or_(*(c.like(f"%{word}%") for c in columns)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    return total, list(db.session.scalars(stmt.order_by(Product.id).limit(20)))


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="search-bench-"))
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
                      "SEARCH_INDEX_DIR": str(tmp / "index"), "STRIPE_STUB_EMBEDDED": False})
    with app.app_context(), app.test_request_context():
        db.create_all()
        t0 = time.perf_counter()
        listing = build(args.products, random.Random(20261128))
        # The synthetic products are on no real list version: stand in for registry's answer (a benchmark).
        market_listing.listed_product_districts = (
            lambda product_ids=None: listing if product_ids is None else {p: listing[p] for p in product_ids})
        t1 = time.perf_counter()
        indexed = index.reindex()
        t2 = time.perf_counter()
        print(f"{args.products} products in {t1 - t0:.1f} s; index of {indexed} built in {t2 - t1:.1f} s "
              f"({tmp})")
        print(f"{'query':<16}{'hits':>7}{'whoosh p50':>12}{'p95':>8}{'LIKE hits':>11}{'LIKE p50':>10}{'p95':>8}")
        all_w, all_l = [], []
        for q in QUERIES:
            hits = query.search(SearchParams(q=q)).total
            like_hits = like_scan(q)[0]
            w = timed(lambda q=q: query.search(SearchParams(q=q)), args.repeat)
            sql = timed(lambda q=q: like_scan(q), args.repeat)
            all_w += w
            all_l += sql
            print(f"{q:<16}{hits:>7}{pct(w, 50):>10.2f}ms{pct(w, 95):>6.2f}ms{like_hits:>11}"
                  f"{pct(sql, 50):>8.2f}ms{pct(sql, 95):>6.2f}ms")
        w50, w95, l50, l95 = pct(all_w, 50), pct(all_w, 95), pct(all_l, 50), pct(all_l, 95)
        print(f"overall: whoosh p50 {w50:.2f} ms p95 {w95:.2f} ms; LIKE p50 {l50:.2f} ms p95 {l95:.2f} ms")
        print(f"ratio whoosh/LIKE: p50 {w50 / l50:.2f}, p95 {w95 / l95:.2f} "
              f"(mean {statistics.mean(all_w) / statistics.mean(all_l):.2f})")


if __name__ == "__main__":
    main()

"""Search latency benchmark (not a test): our search API over HTTP vs an SQLite FTS5 baseline doing the same work.

    .venv/bin/python bench/search_bench.py [--products 10000] [--repeat 30] [--port 5201]

Builds 10,000 listed products (60 suppliers, six brands, six districts with a published list version each) in a
temporary SQLite database and our search index (`market.search.index.reindex`). The baseline is an FTS5 table
built from the very token stream our analyzers produce for the same documents (title, body, model, pinyin,
chars columns), queried with the very query our query builder makes (`market.search.query.text_query`, translated
term by term into an FTS5 MATCH expression), so that both count the same matches: their hit counts are printed
side by side. Both are served the same way: gunicorn, 2 sync workers, loopback; ours is the real app
(`wsgi:create_app()`, GET /api/v1/products?q=, and the HTML page /search?q= for information); the baseline a bare
Flask app that runs the FTS5 query (count + first page by bm25) and fetches the same page of rows (products,
certificates, suppliers, listed districts and prices) as JSON. Prints p50/p95 per query and overall, the ratio,
and whether the goals (p95 <= 25 ms, <= 2x the baseline) are met. Our search keeps each term's scored postings in
memory per index generation (market.search.engine); the "cold" column is the slower of each query's first two API
requests (the two workers), before that cache holds its words.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import quote

from _servers import gunicorn, wait_for

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BRANDS = (("渝安", "YA-BJ"), ("山城安", "SCA-ZB"), ("巴渝卫士", "BY-KR"), ("缙云", "JY-RQ"), ("长江盾", "CJD"),
          ("嘉陵", "JL-GD"))
PLACES = ("渝中", "江北", "沙坪坝", "九龙坡", "南岸", "北碚", "渝北", "巴南", "万州", "涪陵")
DISTRICTS = ("500103", "500105", "500106", "500107", "500108", "500112")
#: What residents type: Chinese words, brands, whole and partial model numbers, pinyin, English.
QUERIES = ("报警器", "自闭阀", "一氧化碳", "甲烷", "可燃气体", "可燃", "燃气泄漏报警", "切断阀", "阀门", "餐饮",
           "商用 高档", "无线联动切断", "渝安", "山城安", "巴渝卫士 报警器", "长江盾 自闭阀", "{model}", "YA-BJ",
           "BJ-04", "0420", "zibifa", "zbf", "baojingqi", "kerangqiti", "detector", "valve", "shut-off", "commercial",
           "household", "GB 15322.2")
FTS_COLUMNS = ("title", "body", "model", "pinyin", "chars")
#: bm25 weights of the columns, as our field boosts.
FTS_WEIGHTS = (2.0, 1.0, 3.0, 0.6, 0.3)

FTS_APP = '''
import json, os, sqlite3
from flask import Flask, Response, request
from market.search import index
from market.search.query import text_query
from whoosh.query import And, Or, Term

app = Flask(__name__)
app.config["SEARCH_INDEX_DIR"] = os.environ["SEARCH_INDEX_DIR"]
with app.app_context():
    index.load_words(os.environ["SEARCH_INDEX_DIR"])  # the same jieba dictionary as the writer
DB = os.environ["DATABASE_URL"].removeprefix("sqlite:///")
WEIGHTS = {weights}
CURRENT = """SELECT v.id FROM list_version v JOIN (SELECT district_id, max(number) AS n FROM list_version
             GROUP BY district_id) c ON c.district_id = v.district_id AND c.n = v.number"""


def fts(q):
    if isinstance(q, Term):
        return q.fieldname + ' : "' + q.text.replace('"', '""') + '"'
    joiner = " AND " if isinstance(q, And) else " OR "
    return "(" + joiner.join(fts(s) for s in q.subqueries) + ")"


def connection():
    conn = getattr(app, "_conn", None)
    if conn is None:
        conn = app._conn = sqlite3.connect(DB, check_same_thread=False)
        conn.row_factory = sqlite3.Row
    return conn


@app.get("/fts")
def search():
    conn = connection()
    q = text_query(request.args.get("q", ""))
    match = fts(q)
    total = conn.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)).fetchone()[0]
    ids = [r[0] for r in conn.execute("SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, " + WEIGHTS
                                      + "), rowid LIMIT 20", (match,))]
    marks = ",".join("?" * len(ids))
    rows = {{r["id"]: dict(r) for r in conn.execute(
        "SELECT p.*, s.legal_name FROM product p JOIN supplier s ON s.id = p.supplier_id WHERE p.id IN (" + marks
        + ")", ids)}} if ids else {{}}
    for r in conn.execute("SELECT * FROM certificate WHERE product_id IN (" + marks + ")", ids) if ids else []:
        rows[r["product_id"]].setdefault("certificates", []).append(
            {{"kind": r["kind"], "number": r["number"], "issuer": r["issuer"], "valid_until": r["valid_until"]}})
    listed = {{}}
    for r in conn.execute("SELECT i.product_id, d.code, i.price_fen, i.install_fee_fen FROM list_version_item i "
                          "JOIN district d ON d.id = i.district_id WHERE i.version_id IN (" + CURRENT + ") "
                          "AND i.product_id IN (" + marks + ")", ids) if ids else []:
        listed.setdefault(r[0], {{}})[r[1]] = {{"price_fen": r[2], "install_fee_fen": r[3]}}
    results = [{{**rows[i], "districts": sorted(listed.get(i, {{}})), "district_prices": listed.get(i, {{}})}}
               for i in ids if i in rows]
    return Response(json.dumps({{"total": total, "results": results}}, ensure_ascii=False, default=str),
                    mimetype="application/json")
'''.format(weights=repr(", ".join(str(w) for w in FTS_WEIGHTS)))


# --- data -------------------------------------------------------------------------------------------------------

def build(n: int, rng: random.Random) -> str:
    """n listed products from 60 suppliers on the published lists of six districts; returns one real model."""
    from datetime import timedelta

    from sqlalchemy import insert, select

    from catalog.models import Certificate, Product
    from catalog.tiers import FEATURES_BY_DEVICE_TYPE
    from core.clock import today_shanghai
    from core.db import db, now_utc
    from core.districts import District, load_districts
    from registry.lists.models import ListVersion, ListVersionItem
    from suppliers.models import Supplier

    load_districts()
    suppliers = [Supplier(legal_name=f"重庆{PLACES[i // len(BRANDS)]}{BRANDS[i % len(BRANDS)][0]}燃气设备有限公司",
                          credit_code=f"BENCH{i:013d}", qualification_name="燃气燃烧器具安装维修资质",
                          qualification_level="二级", service_content="上门安装调试", status="verified")
                 for i in range(60)]
    db.session.add_all(suppliers)
    db.session.flush()
    rows = []
    for i in range(n):
        brand, prefix = BRANDS[i % len(BRANDS)]
        device_type = "leak_alarm" if i % 3 else "self_closing_valve"
        pool = [str(f) for f in FEATURES_BY_DEVICE_TYPE[device_type]]
        rows.append({
            "supplier_id": suppliers[(i * 7) % len(suppliers)].id, "device_type": device_type,
            "usage": rng.choice(("household", "household", "commercial")) if device_type == "leak_alarm" else None,
            "tier": rng.choice(("low", "mid", "high")), "brand": brand, "manufacturer": f"{brand}仪表有限公司",
            "model": f"{prefix}-{i % 2000:04d}-{rng.randint(1, 99):02d}",
            "features": sorted(rng.sample(pool, k=min(len(pool), rng.randint(4, 9)))),
            "standards": ["GB 15322.2-2019", "GB 16838"] if device_type == "leak_alarm" else ["CJ/T 447-2014"],
            "price_fen": rng.randrange(9900, 129900, 100), "install_fee_fen": 5000, "warranty_months": 24,
            "smart": bool(i % 2), "status": "valid", "is_own_manufacture": True,
            "service_content": "免费上门安装调试，质保期内免费维修。",
        })
    db.session.execute(insert(Product), rows)
    products = db.session.execute(select(Product.id, Product.supplier_id, Product.price_fen, Product.device_type,
                                         Product.model)).all()
    until = today_shanghai() + timedelta(days=700)
    db.session.execute(insert(Certificate), [
        {"product_id": p.id, "kind": "pattern_approval" if p.device_type == "leak_alarm" else "type_test_report",
         "number": f"CERT-{p.model}", "issuer": "国家燃气用具质量检验检测中心", "valid_until": until,
         "status": "valid"} for p in products])
    codes = {d.code: d.id for d in db.session.scalars(select(District).where(District.code.in_(DISTRICTS)))}
    versions = {}
    for code, district_id in codes.items():
        version = ListVersion(district_id=district_id, number=1, published_at=now_utc(), snapshot={"suppliers": []},
                              problems=[], reason="bench")
        db.session.add(version)
        db.session.flush()
        versions[code] = version.id
    items = []
    for p in products:
        for code in rng.sample(DISTRICTS, k=rng.randint(1, 3)):
            items.append({"version_id": versions[code], "district_id": codes[code], "supplier_id": p.supplier_id,
                          "product_id": p.id, "price_fen": p.price_fen, "install_fee_fen": 5000})
    db.session.execute(insert(ListVersionItem), items)
    db.session.commit()
    return products[420].model


def build_fts(db_path: Path) -> int:
    """The FTS5 table: each listed product's document, cut by our own analyzers, as space-separated tokens."""
    import sqlite3

    from core.db import db
    from market.listing import listed_districts, published_prices
    from market.search import index

    listed = listed_districts()
    products = index.load_products(db.session, sorted(listed))
    prices = published_prices(products)
    conn = sqlite3.connect(db_path)
    conn.execute(f"CREATE VIRTUAL TABLE docs USING fts5({', '.join(FTS_COLUMNS)}, "
                 "tokenize=\"unicode61 remove_diacritics 0 tokenchars '.-/_'\")")
    rows = []
    for pid in sorted(products):
        doc = index.document_for(products[pid], listed[pid], prices.get(pid))
        tokens = [" ".join(t.text for t in index.SCHEMA[name].analyzer(doc[name])) for name in FTS_COLUMNS]
        rows.append((pid, *tokens))
    conn.executemany(f"INSERT INTO docs(rowid, {', '.join(FTS_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return len(rows)


# --- HTTP ---------------------------------------------------------------------------------------------------------

def _get(port: int, path: str) -> tuple[int, bytes]:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _sep, body = data.partition(b"\r\n\r\n")
    return (int(head[9:12]) if head.startswith(b"HTTP/1.") else 0), body


def _total(port: int, path: str) -> int:
    import json

    status, body = _get(port, path)
    if status != 200:
        raise SystemExit(f"GET {path} on port {port} answered {status}")
    return json.loads(body)["total"]


def timed(port: int, path: str) -> float:
    start = time.perf_counter()
    status, _body = _get(port, path)
    elapsed = (time.perf_counter() - start) * 1000
    if status != 200:
        raise SystemExit(f"GET {path} on port {port} answered {status}")
    return elapsed


def _wait(port: int, path: str) -> None:
    wait_for(lambda port, path: _get(port, path)[0], port, path)


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--port", type=int, default=5201, help="ours; the baseline on the next port")
    args = parser.parse_args()
    scratch = Path("/tmp/market")
    scratch.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="search-bench-", dir=scratch))
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
           "SEARCH_INDEX_DIR": str(tmp / "index"), "UPLOAD_DIR": str(tmp / "uploads"),
           "AUDIT_ANCHOR_PATH": str(tmp / "audit-anchor.txt"), "STRIPE_STUB_EMBEDDED": "0",
           "STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp}/stub.sqlite3", "PYTHONPATH": str(ROOT)}
    os.environ.update({k: env[k] for k in ("APP_ENV", "DATABASE_URL", "SEARCH_INDEX_DIR", "UPLOAD_DIR",
                                            "AUDIT_ANCHOR_PATH", "STRIPE_STUB_EMBEDDED", "STRIPE_STUB_DATABASE_URL")})
    from core.db import db
    from market.search import index
    from wsgi import create_app

    app = create_app()
    with app.app_context(), app.test_request_context():
        db.create_all()
        t0 = time.perf_counter()
        model = build(args.products, random.Random(20261128))
        t1 = time.perf_counter()
        indexed = index.reindex()
        t2 = time.perf_counter()
        in_fts = build_fts(tmp / "bench.sqlite3")
        t3 = time.perf_counter()
    print(f"{args.products} products in {t1 - t0:.1f} s; our index of {indexed} in {t2 - t1:.1f} s; "
          f"FTS5 table of {in_fts} in {t3 - t2:.1f} s ({tmp})", flush=True)
    (tmp / "fts_app.py").write_text(textwrap.dedent(FTS_APP))
    ours, base = args.port, args.port + 1
    servers = [gunicorn("wsgi:create_app()", ours, ROOT, env),
               gunicorn("fts_app:app", base, tmp, {**env, "PYTHONPATH": f"{tmp}:{ROOT}"})]
    queries = [q.format(model=model) for q in QUERIES]
    api = {q: f"/api/v1/products?q={quote(q)}" for q in queries}
    page = {q: f"/search?q={quote(q)}&district=" for q in queries}
    fts = {q: f"/fts?q={quote(q)}" for q in queries}
    try:
        _wait(ours, "/api/v1/products?q=x")
        _wait(base, "/fts?q=x")
        cold = {}
        for q in queries:  # warm-up: both workers of each server; the first two API requests are "cold"
            first = [timed(ours, api[q]), timed(ours, api[q])]  # no cached postings for these words yet
            cold[q] = max(first)
            for _i in range(4):
                timed(ours, api[q])
                timed(ours, page[q])
                timed(base, fts[q])
        print(f"{'query':<16}{'hits':>6}{'FTS5':>6}  {'API p50':>8}{'p95':>7}{'cold':>7}  {'FTS5 p50':>8}{'p95':>7}"
              f"  {'page p50':>8}{'p95':>7}  (ms)")
        samples: dict[str, list[float]] = {"api": [], "fts": [], "page": []}
        mismatches = []
        for q in queries:
            hits, fts_hits = _total(ours, api[q]), _total(base, fts[q])
            if hits != fts_hits:
                mismatches.append(q)
            a, f, p = [], [], []
            for _i in range(args.repeat):  # interleaved, so that drift hits both alike
                a.append(timed(ours, api[q]))
                f.append(timed(base, fts[q]))
                p.append(timed(ours, page[q]))
            samples["api"] += a
            samples["fts"] += f
            samples["page"] += p
            print(f"{q:<16}{hits:>6}{fts_hits:>6}  {pct(a, 50):>8.1f}{pct(a, 95):>7.1f}{cold[q]:>7.1f}"
                  f"  {pct(f, 50):>8.1f}{pct(f, 95):>7.1f}  {pct(p, 50):>8.1f}{pct(p, 95):>7.1f}", flush=True)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    a50, a95 = pct(samples["api"], 50), pct(samples["api"], 95)
    f50, f95 = pct(samples["fts"], 50), pct(samples["fts"], 95)
    p50, p95 = pct(samples["page"], 50), pct(samples["page"], 95)
    print(f"\n{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}; gunicorn 2 sync workers; {args.repeat} requests per query")
    print(f"overall: API p50 {a50:.1f} ms p95 {a95:.1f} ms; FTS5 p50 {f50:.1f} ms p95 {f95:.1f} ms; "
          f"page p50 {p50:.1f} ms p95 {p95:.1f} ms")
    print(f"cold (first requests of each query, before its words' postings are cached): p50 "
          f"{pct(list(cold.values()), 50):.1f} ms, max {max(cold.values()):.1f} ms")
    print(f"ratio API/FTS5: p50 {a50 / f50:.2f}, p95 {a95 / f95:.2f} "
          f"(mean {statistics.mean(samples['api']) / statistics.mean(samples['fts']):.2f})")
    print(f"hit counts equal for {len(queries) - len(mismatches)} of {len(queries)} queries"
          + (f"; differ: {', '.join(mismatches)}" if mismatches else ""))
    print(f"goal API p95 <= 25 ms: {'met' if a95 <= 25 else 'NOT met'}; "
          f"goal p95 <= 2x FTS5: {'met' if a95 <= 2 * f95 else 'NOT met'} ({a95 / f95:.2f}x)")


if __name__ == "__main__":
    main()

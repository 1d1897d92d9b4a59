"""List-page throughput benchmark (not a test): our app vs a Flask "hello" and a bare Flask + SQLAlchemy list.

    .venv/bin/python bench/list_page_bench.py [--seconds 3] [--rounds 3] [--concurrency 4] [--port 5150]

In one run, under the same gunicorn settings (2 sync workers, loopback), it serves
  (a) hello: a minimal Flask app answering "hello";
  (b) bare: Flask + Flask-SQLAlchemy listing the same rows of the same database (the district's current list items
      joined to products and suppliers), rendered with a trivial template (HTML) or jsonify (JSON);
  (c) ours: the app factory (wsgi:create_app) on a temporary SQLite database migrated and loaded with
      `flask seed-demo` (plus /_bench/hello, a view doing nothing: the floor of our app's own request hooks);
and measures requests/s of the warm anonymous HTML page /districts/500103, the JSON list
/api/v1/districts/500103/list, and a conditional GET (If-None-Match: the page's ETag, answered 304).
Medians of interleaved rounds; ratios vs hello and vs bare. The load generator is a separate process (threads,
one plain HTTP/1.1 request per connection: gunicorn's sync workers close every connection anyway).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

from _servers import gunicorn, wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DISTRICT = "500103"
HTML_PATH = f"/districts/{DISTRICT}"
JSON_PATH = f"/api/v1/districts/{DISTRICT}/list"

HELLO_APP = '''
from flask import Flask
app = Flask(__name__)

@app.get("/")
def hello():
    return "hello"
'''

BARE_APP = '''
import os
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)
QUERY = text("""
SELECT s.id AS supplier_id, s.legal_name, s.phone, p.id, p.brand, p.model, p.tier, p.device_type,
       i.price_fen, i.install_fee_fen
FROM list_version_item i JOIN product p ON p.id = i.product_id JOIN supplier s ON s.id = i.supplier_id
JOIN district d ON d.id = i.district_id
WHERE d.code = :code AND i.version_id = (SELECT v.id FROM list_version v WHERE v.district_id = d.id
                                         ORDER BY v.number DESC LIMIT 1)
ORDER BY s.id, p.tier, p.id""")
PAGE = """<!doctype html><html><head><title>{{ code }}</title></head><body><h1>{{ code }}</h1><ul>
{% for r in rows %}<li>{{ r.legal_name }} {{ r.phone }} - {{ r.brand }} {{ r.model }} ({{ r.tier }})
 {{ "%.2f"|format(r.price_fen / 100) }} + {{ "%.2f"|format(r.install_fee_fen / 100) }}</li>{% endfor %}
</ul></body></html>"""

TEMPLATE = app.jinja_env.from_string(PAGE)

def rows(code):
    return db.session.execute(QUERY, {"code": code}).mappings().all()

@app.get("/districts/<code>")
def html(code):
    return TEMPLATE.render(code=code, rows=rows(code))

@app.get("/api/v1/districts/<code>/list")
def json_list(code):
    return jsonify({"district": code, "items": [dict(r) for r in rows(code)]})
'''


# --- load generator (runs in its own process) -----------------------------------------------------------

OURS_APP = '''
from wsgi import create_app

app = create_app()


@app.get("/_bench/hello")
def bench_hello():
    """Our app's own floor: every before/after-request hook of the app, no view work."""
    return "hello"
'''


def _request_bytes(port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
             *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode()


def _one(port: int, payload: bytes) -> int:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(payload)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head = b"".join(chunks[:1])[:12]
    return int(head[9:12]) if head.startswith(b"HTTP/1.") else 0


def _load(port: int, path: str, headers: dict[str, str], seconds: float, concurrency: int, out) -> None:
    expected = 304 if "If-None-Match" in headers else 200
    payload = _request_bytes(port, path, headers)
    counts, bad, statuses = [0] * concurrency, [0] * concurrency, set()
    deadline = time.perf_counter() + seconds

    def worker(i: int) -> None:
        while time.perf_counter() < deadline:
            status = _one(port, payload)
            if status == expected:
                counts[i] += 1
            else:
                bad[i] += 1
                statuses.add(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((sum(counts) / (time.perf_counter() - started), sum(bad), sorted(statuses), sum(counts) + sum(bad)))


def _worker_cpu(master: int) -> float:
    """CPU seconds (user + system) used so far by the gunicorn workers of `master`."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def measure(port: int, path: str, seconds: float, concurrency: int, headers: dict[str, str] | None = None,
            master: int | None = None) -> tuple[float, float]:
    """(requests/s, server CPU ms per request) of GET `path` (after a short warm-up), from a separate client
    process. The CPU figure counts only the server's workers: it does not depend on what else the machine runs."""
    for _i in range(20):
        _one(port, _request_bytes(port, path, headers or {}))
    cpu_before = _worker_cpu(master) if master else 0.0
    queue = multiprocessing.get_context("spawn").Queue()
    proc = multiprocessing.get_context("spawn").Process(target=_load,
                                                        args=(port, path, headers or {}, seconds, concurrency, queue))
    proc.start()
    rate, bad, statuses, served = queue.get()
    proc.join()
    cpu_ms = (_worker_cpu(master) - cpu_before) * 1000 / served if master and served else float("nan")
    if bad:
        raise SystemExit(f"{bad} failed requests on {path} (port {port}): status {statuses}")
    return rate, cpu_ms


# --- servers ------------------------------------------------------------------------------------------------

def _wait(port: int, path: str) -> None:
    wait_for(lambda port, path: _one(port, _request_bytes(port, path, {})), port, path)


def etag_of(port: int, path: str) -> str | None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(_request_bytes(port, path, {}))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        name, _sep, value = line.partition(b":")
        if name.strip().lower() == b"etag":
            return value.strip().decode()
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--port", type=int, default=5150, help="first of three consecutive ports")
    args = parser.parse_args()

    scratch = Path("/tmp/registry")
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        tmp = Path(tmp)
        (tmp / "hello_app.py").write_text(textwrap.dedent(HELLO_APP))
        (tmp / "bare_app.py").write_text(textwrap.dedent(BARE_APP))
        (tmp / "ours_app.py").write_text(textwrap.dedent(OURS_APP))
        env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
               "SEARCH_INDEX_DIR": str(tmp / "search-index"), "UPLOAD_DIR": str(tmp / "uploads"),
               "AUDIT_ANCHOR_PATH": str(tmp / "audit-anchor.txt"),
               "STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp}/stub.sqlite3", "PYTHONPATH": str(ROOT)}
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        print("loading demo data ...", flush=True)
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)

        ports = {"hello": args.port, "bare": args.port + 1, "ours": args.port + 2}
        servers = [gunicorn("hello_app:app", ports["hello"], tmp, env),
                   gunicorn("bare_app:app", ports["bare"], tmp, env),
                   gunicorn("ours_app:app", ports["ours"], tmp, env)]
        try:
            _wait(ports["hello"], "/")
            _wait(ports["bare"], HTML_PATH)
            _wait(ports["ours"], HTML_PATH)
            for _i in range(20):  # every worker renders (and computes its build version) before the ETag is read
                _one(ports["ours"], _request_bytes(ports["ours"], HTML_PATH, {}))
            etag = etag_of(ports["ours"], HTML_PATH)
            masters = {ports["hello"]: servers[0].pid, ports["bare"]: servers[1].pid, ports["ours"]: servers[2].pid}
            cases = {"hello": (ports["hello"], "/", {}), "ours hello": (ports["ours"], "/_bench/hello", {}),
                     "bare HTML": (ports["bare"], HTML_PATH, {}), "bare JSON": (ports["bare"], JSON_PATH, {}),
                     "ours HTML": (ports["ours"], HTML_PATH, {}), "ours JSON": (ports["ours"], JSON_PATH, {}),
                     "ours HTML 304": (ports["ours"], HTML_PATH, {"If-None-Match": etag})}
            if etag is None:
                print("the page sends no ETag: no conditional GET measured")
                del cases["ours HTML 304"]
            rates: dict[str, list[float]] = {name: [] for name in cases}
            cpu: dict[str, list[float]] = {name: [] for name in cases}
            names = list(cases)
            for n in range(args.rounds):
                for name in names[n % len(names):] + names[:n % len(names)]:  # a different order each round
                    port, path, headers = cases[name]
                    rate, cpu_ms = measure(port, path, args.seconds, args.concurrency, headers, masters[port])
                    rates[name].append(rate)
                    cpu[name].append(cpu_ms)
                print(f"round {n + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in rates.items()), flush=True)
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)

    med = {name: statistics.median(values) for name, values in rates.items()}
    cpu_med = {name: statistics.median(values) for name, values in cpu.items()}
    print(f"\n{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs · "
          f"Python {platform.python_version()} · {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"gunicorn 2 sync workers; client: 1 process, {args.concurrency} threads; "
          f"{args.rounds} rounds x {args.seconds:g} s; medians")
    print("throughput: requests/s seen by the client (shares the 2 CPUs with everything else running);")
    print("CPU/req: server workers' CPU ms per request; 'by CPU' ratios compare 1/CPU (capacity), robust to load")
    print(f"{'case':<16}{'req/s':>8}{'vs hello':>10}{'vs bare':>9}{'CPU/req':>10}{'by CPU':>9}{'vs bare':>9}")
    for name, value in med.items():
        bare_name = "bare JSON" if "JSON" in name else "bare HTML"
        ours = name.startswith("ours") and name != "ours hello"
        vs_bare = f"{value / med[bare_name]:.2f}x" if ours else ""
        cpu_bare = f"{cpu_med[bare_name] / cpu_med[name]:.2f}x" if ours else ""
        print(f"{name:<16}{value:>8.0f}{value / med['hello']:>9.2f}x{vs_bare:>9}{cpu_med[name]:>8.2f}ms"
              f"{cpu_med['hello'] / cpu_med[name]:>8.2f}x{cpu_bare:>9}")
    goals = {"ours HTML": 0.25, "ours JSON": 0.5}
    for name, goal in goals.items():
        ratio, by_cpu = med[name] / med["hello"], cpu_med["hello"] / cpu_med[name]
        print(f"goal {name} >= {goal}x hello: throughput {'met' if ratio >= goal else 'NOT met'} ({ratio:.2f}x), "
              f"by CPU {'met' if by_cpu >= goal else 'NOT met'} ({by_cpu:.2f}x)")


if __name__ == "__main__":
    main()

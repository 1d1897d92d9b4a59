"""Device-event intake benchmark (not a test): POST /api/v1/device-events vs a bare executemany INSERT of the same rows.

    .venv/bin/python bench/device_events_bench.py [--devices 10000] [--per-device 6] [--threads 3] [--port 5201]

For each database (SQLite always; PostgreSQL too when TEST_DATABASE_URL is a postgresql+psycopg URL) one run:
  1. builds a fresh database: `flask db upgrade` (the app's migrations) into a temporary SQLite file, or into a
     scratch schema of the PostgreSQL database (`bench_device_events_<pid>`, reached through the connection's
     search_path, dropped with everything in it at the end: the test database itself is not touched); then one
     supplier, N installed devices (active carrier) inserted in bulk (one Core executemany), and a supplier's key
     (suppliers.keys.create_key);
  2. starts the app under gunicorn (2 sync workers, loopback, DEVICE_API_RATE_LIMIT raised) and posts a day of
     heartbeats (`--per-device` a device, unique ids, in time order across devices) in batches of 500 from
     `--threads` client threads, one request per connection; it counts accepted / duplicate / rejected and checks
     accepted == events posted, duplicate == rejected == 0, and that the table holds that many rows; then
     re-posts one batch and checks it comes back all duplicates;
  3. baseline, in the same run and the same database: a bare executemany INSERT of the same rows (the columns the
     intake writes: supplier_id, event_id, device_id, type, at, value, received_at, key_id) into a copy of the
     device_event table (same columns, unique constraint and indexes; SQLite: its own DDL renamed, with the
     app's connection pragmas; PostgreSQL: LIKE device_event INCLUDING ALL), one transaction per 500 rows, from
     one connection of the driver itself (sqlite3 / psycopg); checks that it stored as many rows.
Prints events/s of the API and of the baseline and their ratio (API / baseline), and exits non-zero when a check
fails. The request bodies are encoded before the clock starts; the API time runs from the first request sent to
the last answer read. Each database's run is bounded to a couple of minutes at the default sizes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _servers import gunicorn, wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BATCH = 500
IDENTIFIER = "88.999.1/BENCH-{:07d}"
BASELINE_TABLE = "device_event_baseline"
#: SQLite's storage format of SQLAlchemy's DateTime (what the intake's rows look like on disk).
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"

# Runs in a subprocess with the server's environment: one supplier, N devices in one executemany, a key.
SETUP = '''
import json, sys
from datetime import timedelta
from sqlalchemy import insert, select
from catalog.models import DeviceType
from core.clock import now_utc
from core.db import db
from core.districts import District, load_districts
from devices.models import Carrier, DeviceState, InstalledDevice
from suppliers import keys
from suppliers.demo import demo_credit_code
from suppliers.models import Supplier
from wsgi import create_app

count, pattern = int(sys.argv[1]), sys.argv[2]
app = create_app()
with app.app_context():
    load_districts()
    district = db.session.scalar(select(District).where(District.code == "500103"))
    supplier = Supplier(legal_name="Bench device platform company", credit_code=demo_credit_code(99, "500103"))
    db.session.add(supplier)
    db.session.flush()
    installed_at = now_utc() - timedelta(days=30)
    rows = [dict(identifier=pattern.format(n), carrier=Carrier.active, serial=f"BENCH-{n:07d}", product_id=None,
                 supplier_id=supplier.id, device_type=DeviceType.leak_alarm, district_id=district.id,
                 installed_at=installed_at, installed_on=installed_at.date(),
                 replace_by=installed_at.date() + timedelta(days=5 * 365), state=DeviceState.active,
                 state_at=installed_at, last_seen_at=None)
            for n in range(count)]
    db.session.execute(insert(InstalledDevice.__table__), rows)
    key, token = keys.create_key(None, name="bench", supplier=supplier)
    db.session.commit()
    print(json.dumps({"token": token, "supplier_id": supplier.id, "key_id": key.id}))
'''


# --- the events ---------------------------------------------------------------------------------------------

def make_events(devices: int, per_device: int, now: datetime) -> list[dict]:
    """A day of heartbeats: `per_device` for each device, spread over the last 24 hours, in time order."""
    start = now - timedelta(hours=24)
    step = 86400 / per_device
    events = []
    for n in range(devices):
        offset = (n * 7.919) % step  # devices report at different moments
        for k in range(per_device):
            at = start + timedelta(seconds=offset + k * step)
            events.append({"id": f"hb-{n}-{k}", "identifier": IDENTIFIER.format(n), "type": "heartbeat",
                           "at": at.isoformat(timespec="seconds"), "value": None})
    events.sort(key=lambda e: e["at"])
    return events


def batches(events: list[dict]) -> list[bytes]:
    return [json.dumps({"events": events[i:i + BATCH]}).encode() for i in range(0, len(events), BATCH)]


# --- the client ---------------------------------------------------------------------------------------------

def post(port: int, token: str, body: bytes) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/api/v1/device-events", body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                              "Connection": "close"})
        answer = conn.getresponse()
        data = answer.read()
    finally:
        conn.close()
    try:
        return answer.status, json.loads(data)
    except ValueError:
        return answer.status, {"raw": data[:300].decode(errors="replace")}


def post_all(port: int, token: str, bodies: list[bytes], threads: int) -> tuple[float, dict]:
    """Post every body from `threads` threads; (seconds, totals incl. non-200 statuses)."""
    todo: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        todo.put(body)
    totals = {"accepted": 0, "duplicate": 0, "rejected": 0, "failed": []}
    lock = threading.Lock()

    def worker() -> None:
        while True:
            try:
                body = todo.get_nowait()
            except queue.Empty:
                return
            status, answer = post(port, token, body)
            with lock:
                if status != 200:
                    totals["failed"].append((status, answer))
                    continue
                totals["accepted"] += answer["accepted"]
                totals["duplicate"] += answer["duplicate"]
                totals["rejected"] += len(answer["rejected"])

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - started, totals


def _status(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


# --- the baselines ------------------------------------------------------------------------------------------

def baseline_rows(events: list[dict], device_ids: dict[str, int], supplier_id: int, key_id: int, now: datetime,
                  as_text: bool) -> list[tuple]:
    """The rows the intake stores for `events` (times as SQLite's text, or as datetimes for psycopg)."""
    rows = []
    for e in events:
        at = datetime.fromisoformat(e["at"]).astimezone(UTC)
        rows.append((supplier_id, e["id"], device_ids[e["identifier"]], e["type"],
                     at.strftime(SQLITE_TIME) if as_text else at, e["value"],
                     now.strftime(SQLITE_TIME) if as_text else now, key_id))
    return rows


INSERT = ("INSERT INTO {table} (supplier_id, event_id, device_id, type, at, value, received_at, key_id) "
          "VALUES ({marks})")


def sqlite_baseline(path: Path, rows: list[tuple]) -> tuple[float, int]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        table_sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'device_event'"
                                 ).fetchone()[0]
        index_sql = [r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                                                "tbl_name = 'device_event' AND sql IS NOT NULL")]
        conn.execute(table_sql.replace("device_event", BASELINE_TABLE, 1))
        for sql in index_sql:  # CREATE [UNIQUE] INDEX name ON device_event (...)
            conn.execute(sql.replace("INDEX ", f"INDEX {BASELINE_TABLE}_", 1)
                         .replace(" ON device_event ", f" ON {BASELINE_TABLE} ", 1))
        statement = INSERT.format(table=BASELINE_TABLE, marks=", ".join("?" * 8))
        started = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            conn.execute("BEGIN")
            conn.executemany(statement, rows[i:i + BATCH])
            conn.execute("COMMIT")
        seconds = time.perf_counter() - started
        stored = conn.execute(f"SELECT count(*) FROM {BASELINE_TABLE}").fetchone()[0]  # noqa: S608 - a constant
    finally:
        conn.close()
    return seconds, stored


def pg_baseline(conninfo: str, rows: list[tuple]) -> tuple[float, int]:
    import psycopg  # noqa: PLC0415 - only when PostgreSQL is benchmarked

    with psycopg.connect(conninfo) as conn:
        conn.execute(f"CREATE TABLE {BASELINE_TABLE} (LIKE device_event INCLUDING ALL)")
        conn.commit()
        statement = INSERT.format(table=BASELINE_TABLE, marks=", ".join(["%s"] * 8))
        started = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            with conn.cursor() as cur:
                cur.executemany(statement, rows[i:i + BATCH])
            conn.commit()
        seconds = time.perf_counter() - started
        stored = conn.execute(f"SELECT count(*) FROM {BASELINE_TABLE}").fetchone()[0]  # noqa: S608 - a constant
    return seconds, stored


# --- one database -------------------------------------------------------------------------------------------

class Database:
    """Where one run writes: a temporary SQLite file, or a scratch schema of the PostgreSQL database."""

    def __init__(self, kind: str, tmp: Path, test_url: str | None = None):
        self.kind, self.tmp = kind, tmp
        if kind == "sqlite":
            self.path = tmp / "bench.sqlite3"
            self.url = f"sqlite:///{self.path}"
            return
        from sqlalchemy.engine import make_url  # noqa: PLC0415 - only when PostgreSQL is benchmarked

        self.schema = f"bench_device_events_{os.getpid()}"
        base = make_url(test_url)
        self.admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
        scoped = base.update_query_dict({"options": f"-csearch_path={self.schema}"})
        self.url = scoped.render_as_string(hide_password=False)
        self.conninfo = scoped.set(drivername="postgresql").render_as_string(hide_password=False)

    def create(self) -> None:
        if self.kind == "postgresql":
            self._admin(f'CREATE SCHEMA "{self.schema}"')

    def drop(self) -> None:
        if self.kind == "postgresql":
            self._admin(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def _admin(self, sql: str) -> None:
        import psycopg  # noqa: PLC0415

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(sql)

    def query(self, sql: str, params=()) -> list[tuple]:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.path)
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()
        import psycopg  # noqa: PLC0415

        with psycopg.connect(self.conninfo) as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()

    def baseline(self, rows: list[tuple]) -> tuple[float, int]:
        return sqlite_baseline(self.path, rows) if self.kind == "sqlite" else pg_baseline(self.conninfo, rows)


def run(db: Database, args, port: int) -> dict:
    """One database's run: (figures, failed checks)."""
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": db.url, "PYTHONPATH": str(ROOT),
           "SEARCH_INDEX_DIR": str(db.tmp / "search-index"), "UPLOAD_DIR": str(db.tmp / "uploads"),
           "AUDIT_ANCHOR_PATH": str(db.tmp / "audit-anchor.txt"),
           "STRIPE_STUB_DATABASE_URL": f"sqlite:///{db.tmp}/stub.sqlite3",
           "DEVICE_API_RATE_LIMIT": "1000000 per minute"}
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    print(f"[{db.kind}] migrating, {args.devices} devices ...", flush=True)
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    setup = subprocess.run([str(BIN / "python"), "-c", SETUP, str(args.devices), IDENTIFIER], cwd=ROOT, env=env,
                           check=True, capture_output=True, text=True)
    made = json.loads(setup.stdout.strip().splitlines()[-1])
    now = datetime.now(UTC)
    events = make_events(args.devices, args.per_device, now - timedelta(minutes=1))
    bodies = batches(events)
    failures = []
    server = gunicorn("wsgi:create_app()", port, ROOT, env)
    try:
        wait_for(_status, port, "/")
        post_all(port, made["token"], [json.dumps({"events": []}).encode()] * 4, 2)
        print(f"[{db.kind}] posting {len(events)} events in {len(bodies)} batches, {args.threads} threads ...",
              flush=True)
        seconds, totals = post_all(port, made["token"], bodies, args.threads)
        again_seconds, again = post_all(port, made["token"], bodies[:1], 1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if totals["failed"]:
        failures.append(f"{len(totals['failed'])} requests failed, e.g. {totals['failed'][0]}")
    if totals["accepted"] != len(events):
        failures.append(f"accepted {totals['accepted']} of {len(events)} events")
    if totals["duplicate"] or totals["rejected"]:
        failures.append(f"{totals['duplicate']} duplicate and {totals['rejected']} rejected on the first post")
    stored = db.query("SELECT count(*) FROM device_event WHERE supplier_id = ?", (made["supplier_id"],))[0][0]
    if stored != len(events):
        failures.append(f"device_event holds {stored} rows, not {len(events)}")
    first_batch = min(BATCH, len(events))
    if again["failed"] or again["accepted"] or again["duplicate"] != first_batch:
        failures.append(f"re-posting a batch: accepted {again['accepted']}, duplicate {again['duplicate']} "
                        f"(expected 0 and {first_batch}) {again['failed'][:1]}")
    seen = db.query("SELECT count(*) FROM installed_device WHERE supplier_id = ? AND last_seen_at IS NOT NULL",
                    (made["supplier_id"],))[0][0]
    if seen != args.devices:
        failures.append(f"{seen} of {args.devices} devices have last_seen_at")

    device_ids = dict((identifier, device_id) for device_id, identifier in db.query(
        "SELECT id, identifier FROM installed_device WHERE supplier_id = ?", (made["supplier_id"],)))
    rows = baseline_rows(events, device_ids, made["supplier_id"], made["key_id"], now, db.kind == "sqlite")
    print(f"[{db.kind}] baseline: executemany of {len(rows)} rows ...", flush=True)
    base_seconds, base_stored = db.baseline(rows)
    if base_stored != len(events):
        failures.append(f"the baseline stored {base_stored} rows, not {len(events)}")
    return {"database": db.kind, "events": len(events), "batches": len(bodies), "api_s": seconds,
            "api_rate": len(events) / seconds, "base_s": base_seconds, "base_rate": len(events) / base_seconds,
            "repost_ms": again_seconds * 1000, "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10000)
    parser.add_argument("--per-device", type=int, default=6, help="heartbeats per device in the day posted")
    parser.add_argument("--threads", type=int, default=3, help="client threads posting batches")
    parser.add_argument("--port", type=int, default=5201, help="first of two ports (SQLite, PostgreSQL)")
    args = parser.parse_args()

    test_url = os.environ.get("TEST_DATABASE_URL", "")
    kinds = ["sqlite"] + (["postgresql"] if test_url.startswith("postgresql") else [])
    if "postgresql" not in kinds:
        print("TEST_DATABASE_URL is not a PostgreSQL URL: SQLite only")
    scratch = Path("/tmp/devices")
    scratch.mkdir(parents=True, exist_ok=True)
    results = []
    for offset, kind in enumerate(kinds):
        with tempfile.TemporaryDirectory(dir=scratch) as tmp:
            db = Database(kind, Path(tmp), test_url)
            db.create()
            try:
                results.append(run(db, args, args.port + offset))
            finally:
                db.drop()

    print(f"\n{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs · "
          f"Python {platform.python_version()} · {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"gunicorn 2 sync workers; client: {args.threads} threads, one request per connection; "
          f"{args.devices} devices x {args.per_device} heartbeats, batches of {BATCH}")
    print(f"{'database':<12}{'events':>8}{'API s':>8}{'API ev/s':>10}{'base s':>8}{'base ev/s':>11}"
          f"{'API/base':>10}{'re-post':>10}")
    for r in results:
        print(f"{r['database']:<12}{r['events']:>8}{r['api_s']:>8.2f}{r['api_rate']:>10.0f}{r['base_s']:>8.2f}"
              f"{r['base_rate']:>11.0f}{r['api_rate'] / r['base_rate']:>9.2f}x{r['repost_ms']:>8.0f}ms")
    failed = [f"{r['database']}: {f}" for r in results for f in r["failures"]]
    for failure in failed:
        print("CHECK FAILED", failure)
    if failed:
        raise SystemExit(1)
    print("checks: every event accepted once, none duplicate or rejected, rows stored; a re-posted batch all "
          "duplicates; the baseline stored as many rows")


if __name__ == "__main__":
    main()

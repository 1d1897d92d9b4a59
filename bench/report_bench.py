"""Report benchmark (not a test): the monthly reports over a synthetic city of 1,000,000 orders vs a plain count(*).

    .venv/bin/python bench/report_bench.py [--orders 1000000] [--runs 7] [--live-runs 3] [--keep PATH]
                                           [--postgres [URL]] [--seed 15]

For each database (SQLite always, in a temporary file or at `--keep PATH`; PostgreSQL too with `--postgres` or
when TEST_DATABASE_URL is a postgresql+psycopg URL: a fresh database `report_bench_<pid>` created next to the one
the URL names, and dropped at the end — the test database itself is not touched), in a child process of its own:
  1. the schema at the migrations' head (`flask db upgrade`: create_app + flask_migrate.upgrade); the indexes
     reports.models.REPORT_INDEXES declares are looked up with the inspector and printed (missing: the run fails);
  2. a synthetic city, bulk-inserted (small tables with SQLAlchemy Core `insert(table)` executemany; the big ones
     through the driver in chunks of 50,000 rows: sqlite3 `executemany` of the INSERT, psycopg `COPY ... FROM
     STDIN` — never the ORM row by row): the 41 districts, 10 townships each, a target per township, household
     category and device type, users (residents, inspectors, officials), 12 suppliers with a product of each
     device type and tier, a list version per district; `--orders` orders spread evenly over the 24 months
     ending last month (Asia/Shanghai months, UTC timestamps), one order line each, walked through the order
     state machine with consistent times and amounts (canceled, refunded, waiting at every step, 6 % failing
     their first inspection and installed again; nothing after now); an inspection per inspection, an installed
     device per installed order plus 2 % registered outside the platform (order_id NULL), alarms, complaint
     cases. The encrypted columns hold one value encrypted once with core.crypto (decryptable by the app).
     The big tables' secondary indexes (and on PostgreSQL their foreign keys) are dropped before the load and
     re-created after it from the DDL the migrations wrote (defer_schema: the schema ends identical to a fresh
     `flask db upgrade`); SQLite checks the CHECK constraints once after the load, set-wise (verify_checks),
     instead of row by row. All of that is inside the generation time printed;
  3. `reports.rollup.refresh()` once (committed), then best of `--runs` interleaved rounds of: the baseline
     `SELECT count(*) FROM purchase_order`, the city report of the last closed month (reports.monthly.city_report,
     read from the rollup), one district's report, the ranking, the public coverage document; and, for
     information, best of `--live-runs`: the current month's city report (live, to date), last month's city
     report computed without the rollup (rollup.last_refresh answering None) and the month's SQL flow alone
     (compute.cells + cases + alarms). Each is printed in seconds and as a ratio to the count(*).
Checks: the city report's placed-to-date equals a plain count of the orders created before the month's end, its
month figure a plain count of those created in the month (the district report's too, for its district); the live
city report (no rollup) equals the rollup's. Exits non-zero when a check fails or the city report is slower than
1.0x the count(*) on SQLite, 0.5x on PostgreSQL (PASS/FAIL lines).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import io
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 50_000
TOWNSHIPS_PER_DISTRICT = 10
SUPPLIERS = 12
RESIDENTS = 2000
DISTRICT_CODE = "500103"  # the district whose report is timed (渝中区)
GOALS = {"sqlite": 1.0, "postgresql": 0.5}

CATEGORIES = (("old_community", 0.30), ("registered_poor", 0.08), ("low_income", 0.10), ("other", 0.52))
PRIORITY = frozenset({"old_community", "registered_poor", "low_income"})
DEVICE_TYPES = (("leak_alarm", 0.70), ("self_closing_valve", 0.30))
TIERS = (("low", 0.40), ("mid", 0.40), ("high", 0.20))
#: Device price ranges (fen) by device type and tier; installation fees 30-80 yuan.
PRICES = {("leak_alarm", "low"): (15000, 25000), ("leak_alarm", "mid"): (30000, 45000),
          ("leak_alarm", "high"): (50000, 80000), ("self_closing_valve", "low"): (20000, 30000),
          ("self_closing_valve", "mid"): (35000, 50000), ("self_closing_valve", "high"): (60000, 90000)}
SUBSIDY = {"leak_alarm": 10000, "self_closing_valve": 15000}
DEVICE_STATES = (("active", 0.90), ("offline", 0.04), ("fault", 0.015), ("alarm", 0.01), ("replaced", 0.015),
                 ("removed", 0.02))
HOUR, DAY = 3600, 86400
EPOCH = datetime(1970, 1, 1)  # naive UTC: the SQLite storage format of SQLAlchemy's DateTime


def ts(seconds: int) -> str:
    """An instant (seconds since the epoch, UTC) as SQLAlchemy stores DateTime on SQLite; PostgreSQL reads the same
    text as timestamptz in a UTC session."""
    return (EPOCH + timedelta(seconds=seconds)).isoformat(" ", "microseconds")


def shanghai_day(seconds: int) -> date:
    return (EPOCH + timedelta(seconds=seconds + 8 * HOUR)).date()


def picker(rng: random.Random, weighted):
    """A function drawing one value of `weighted` ((value, weight) pairs) by its weight."""
    values = [v for v, _w in weighted]
    cumulative, total = [], 0.0
    for _v, w in weighted:
        total += w
        cumulative.append(total)
    draw, find = rng.random, bisect.bisect_right
    return lambda: values[min(find(cumulative, draw() * total), len(values) - 1)]


# --- writing ------------------------------------------------------------------------------------------------

class Sink:
    """Bulk writes of big tables through the driver of the session's connection: executemany (SQLite), COPY
    (PostgreSQL). Values are already in the database's text form (times as ts(), dates ISO, booleans 0/1)."""

    def __init__(self, connection, kind: str):
        self.raw = connection.connection.driver_connection
        self.kind = kind
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def put(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        began = time.perf_counter()
        names = ", ".join(columns)
        if self.kind == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608 - constants
        else:
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for i in range(0, len(rows), 5000):
                    copy.write("".join("\t".join(r"\N" if v is None else str(v) for v in row) + "\n"
                                       for row in rows[i:i + 5000]))
        self.rows[table] = self.rows.get(table, 0) + len(rows)
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - began


ORDER_COLUMNS = ("id", "resident_id", "district_id", "township_id", "supplier_id", "list_version_id", "state",
                 "address", "contact_name", "contact_phone", "building_over_100m", "subtotal_fen", "subsidy_fen",
                 "amount_fen", "paid_fen", "refunded_fen", "subsidy_category", "household_category",
                 "payment_attempts", "paid_at", "appointment_at", "installed_at", "confirmed_at", "inspected_at",
                 "canceled_at", "refunded_at", "cancel_reason", "created_at", "updated_at")
LINE_COLUMNS = ("id", "order_id", "product_id", "quantity", "unit_price_fen", "install_fee_fen",
                "published_price_fen", "subsidy_fen", "device_type", "tier", "description")
INSPECTION_COLUMNS = ("id", "order_id", "inspector_id", "result", "notes", "at")
DEVICE_COLUMNS = ("id", "identifier", "carrier", "serial", "product_id", "supplier_id", "device_type", "order_id",
                  "owner_id", "district_id", "township_id", "gas_type", "installed_at", "installed_on", "replace_by",
                  "state", "last_seen_at", "registered_by_id", "address", "brand_model", "installer_name",
                  "household_category", "state_at", "created_at", "updated_at")
ALARM_COLUMNS = ("id", "device_id", "district_id", "supplier_id", "state", "opened_at", "value", "acknowledged_at",
                 "closed_at", "outcome", "created_at", "updated_at")
CASE_COLUMNS = ("id", "number", "kind", "category", "state", "supplier_id", "district_id", "complainant_id",
                "description", "received_at", "accepted_at", "closed_at", "due_on", "due_rule", "assigned_to_id",
                "reject_reason", "finding", "finding_text", "created_at", "updated_at")


# --- the synthetic city -------------------------------------------------------------------------------------

class City:
    """The small tables (written with Core) and what the big ones draw from."""

    def __init__(self, rng: random.Random, now: datetime):
        from sqlalchemy import insert, select  # noqa: PLC0415 - the app's modules load in the child only

        from catalog.models import Product
        from core.accounts.models import RoleGrant, User
        from core.crypto import encrypt
        from core.db import db
        from core.districts import District, load_districts
        from registry.districts.models import Township
        from registry.lists.models import ListVersion
        from suppliers.demo import demo_credit_code
        from suppliers.models import Supplier

        load_districts()
        districts = list(db.session.execute(select(District.id, District.code).order_by(District.code)))
        self.district_ids = [d for d, _c in districts]
        self.district_code = {d: c for d, c in districts}
        stamp = now - timedelta(days=800)
        # Townships: 10 per district.
        db.session.execute(insert(Township), [
            {"district_id": d, "name": f"Bench street {n:02d}", "kind": "street", "created_at": stamp,
             "updated_at": stamp} for d in self.district_ids for n in range(1, TOWNSHIPS_PER_DISTRICT + 1)])
        self.townships: dict[int, list[int]] = {d: [] for d in self.district_ids}
        for tid, d in db.session.execute(select(Township.id, Township.district_id).order_by(Township.id)):
            self.townships[d].append(tid)
        # Users: residents, one inspector and one official per district, a regulator.
        users = [{"email": f"bench-resident-{n}@example.invalid", "display_name": f"Resident {n}",
                  "resident_kind": "household"} for n in range(RESIDENTS)]
        users += [{"email": f"bench-inspector-{c}@example.invalid", "display_name": f"Inspector {c}"}
                  for _d, c in districts]
        users += [{"email": f"bench-official-{c}@example.invalid", "display_name": f"Official {c}"}
                  for _d, c in districts]
        users.append({"email": "bench-regulator@example.invalid", "display_name": "Regulator"})
        db.session.execute(insert(User), [dict(u, password_hash="bench-no-login", active=True, created_at=stamp,
                                               updated_at=stamp) for u in users])
        ids = dict(db.session.execute(select(User.email, User.id)).all())
        self.residents = [ids[f"bench-resident-{n}@example.invalid"] for n in range(RESIDENTS)]
        self.inspector = {d: ids[f"bench-inspector-{c}@example.invalid"] for d, c in districts}
        self.official = {d: ids[f"bench-official-{c}@example.invalid"] for d, c in districts}
        grants = [{"user_id": self.inspector[d], "role": "inspector", "district_id": d} for d in self.district_ids]
        grants += [{"user_id": self.official[d], "role": "district_official", "district_id": d}
                   for d in self.district_ids]
        grants.append({"user_id": ids["bench-regulator@example.invalid"], "role": "regulator", "district_id": None})
        db.session.execute(insert(RoleGrant), grants)
        # Suppliers, each with a product of every device type and tier.
        db.session.execute(insert(Supplier), [
            {"legal_name": f"Bench gas safety company {n}", "credit_code": demo_credit_code(900 + n, "500103"),
             "credit_code_override": False, "status": "verified", "created_at": stamp, "updated_at": stamp}
            for n in range(SUPPLIERS)])
        self.suppliers = list(db.session.scalars(select(Supplier.id).order_by(Supplier.id)))
        products = []
        for s in self.suppliers:
            for (device_type, tier), (low, high) in PRICES.items():
                products.append({
                    "supplier_id": s, "device_type": device_type, "tier": tier,
                    "usage": "household" if device_type == "leak_alarm" else None, "brand": f"Bench{s}",
                    "manufacturer": f"Bench manufacturer {s}", "model": f"B{s}-{device_type[:1].upper()}{tier}",
                    "features": [], "standards": [], "price_fen": rng.randrange(low, high, 100),
                    "install_fee_fen": rng.randrange(3000, 8000, 500), "warranty_months": 24,
                    "smart": tier != "low", "status": "valid", "is_own_manufacture": True, "created_at": stamp,
                    "updated_at": stamp})
        db.session.execute(insert(Product), products)
        #: (supplier, device type, tier) -> (product id, price, fee, description)
        self.products = {}
        for pid, s, device_type, tier, price, fee in db.session.execute(
                select(Product.id, Product.supplier_id, Product.device_type, Product.tier, Product.price_fen,
                       Product.install_fee_fen)):
            t, r = str(device_type), str(tier)  # StrEnum members: their values
            self.products[(s, t, r)] = (pid, price, fee, f"Bench{s} B{s}-{t[:1].upper()}{r}")
        db.session.execute(insert(ListVersion), [
            {"district_id": d, "number": 1, "published_at": stamp, "snapshot": {}, "problems": []}
            for d in self.district_ids])
        self.list_version = dict(db.session.execute(select(ListVersion.district_id, ListVersion.id)).all())
        # The personal data: one value per column, encrypted once (every row shares it; the app decrypts it).
        self.address = encrypt("Bench road 1, unit 1")
        self.contact_name = encrypt("Bench resident")
        self.contact_phone = encrypt("13800000000")
        db.session.flush()


def generate(city: City, sink: Sink, rng: random.Random, orders: int, start: int, end: int, now: int) -> dict:
    """Orders and everything hanging from them, in chunks; then outside devices, alarms, cases, targets."""
    weights = [rng.uniform(0.3, 3.0) for _d in city.district_ids]
    pick_district = picker(rng, list(zip(city.district_ids, weights, strict=True)))
    pick_category = picker(rng, CATEGORIES)
    pick_type = picker(rng, DEVICE_TYPES)
    pick_tier = picker(rng, TIERS)
    pick_device_state = picker(rng, DEVICE_STATES)
    rnd, randint, choice = rng.random, rng.randint, rng.choice
    step = (end - start) / orders
    covered: dict[tuple[int, str, str], int] = {}
    counters = {"line": 0, "inspection": 0, "device": 0, "alarm": 0}
    address, name, phone = city.address, city.contact_name, city.contact_phone
    states: dict[str, int] = {}

    def add_alarms(alarm_rows, device_id, district, supplier, installed_at, device_state):
        if device_state == "alarm":  # the one alarm not closed yet
            counters["alarm"] += 1
            opened = max(installed_at + 60, now - randint(60, 10 * DAY))
            acknowledged = opened + 600 if rnd() < 0.5 and opened + 600 <= now else None
            alarm_rows.append((counters["alarm"], device_id, district, supplier,
                               "acknowledged" if acknowledged else "open", ts(opened), 30.0,
                               ts(acknowledged) if acknowledged else None, None, None, ts(opened), ts(opened)))
        if rnd() < 0.02:  # an alarm handled and closed
            opened = installed_at + int(rnd() * max(now - installed_at - DAY, 60))
            acknowledged, closed = opened + randint(300, 3600), opened + randint(2 * HOUR, 8 * HOUR)
            if closed <= now:
                counters["alarm"] += 1
                alarm_rows.append((counters["alarm"], device_id, district, supplier, "closed", ts(opened), 25.0,
                                   ts(acknowledged), ts(closed), choice(("false_alarm", "leak_fixed", "referred")),
                                   ts(opened), ts(closed)))

    for first in range(1, orders + 1, CHUNK):
        order_rows, line_rows, inspection_rows, device_rows, alarm_rows = [], [], [], [], []
        for oid in range(first, min(first + CHUNK, orders + 1)):
            created = start + int((oid - 1 + rnd()) * step)
            district = pick_district()
            township = choice(city.townships[district]) if rnd() >= 0.02 else None
            category, device_type, tier = pick_category(), pick_type(), pick_tier()
            supplier = city.suppliers[int(rnd() * SUPPLIERS)]
            product_id, price, fee, description = city.products[(supplier, device_type, tier)]
            unit_price = price - 1000 if rnd() < 0.2 else price  # an early-application price
            subtotal = unit_price + fee
            subsidy = min(SUBSIDY[device_type], subtotal - 100) if category in PRIORITY else 0
            amount = subtotal - subsidy
            resident = city.residents[int(rnd() * RESIDENTS)]
            inspector = city.inspector[district]

            state, paid_fen, refunded_fen, attempts, reason = "pending_payment", 0, 0, 0, None
            paid = appointment = installed = confirmed = inspected = canceled = refunded = None
            last = created
            fate = rnd()
            if fate < 0.04:  # canceled before paying
                moment = created + randint(600, 2 * DAY)
                if moment <= now:
                    state, canceled, last, reason = "canceled", moment, moment, "bench: changed my mind"
            elif fate >= 0.06:  # 2 % never pay (pending)
                attempts = 1
                moment = created + randint(60, 3 * DAY)
                if moment <= now:
                    state, paid, paid_fen, last = "paid", moment, amount, moment
                    if fate < 0.085:  # canceled after paying and refunded
                        moment = paid + randint(HOUR, 5 * DAY)
                        if moment <= now:
                            state, canceled, refunded, refunded_fen, last = "refunded", moment, moment, amount, moment
                            reason = "bench: refunded"
                    elif fate < 0.09:  # canceled after paying, the refund pending
                        moment = paid + randint(HOUR, 5 * DAY)
                        if moment <= now:
                            state, canceled, last, reason = "canceled", moment, moment, "bench: refund pending"
                    else:
                        stall = rnd()  # where the order waits for good: paid 2 %, scheduled 2 %, installed 1.5 % ...
                        tries = 2 if rnd() < 0.06 else 1  # 6 % fail their first inspection
                        moment = paid + randint(600, DAY)
                        if stall >= 0.02 and moment <= now:
                            state, appointment, last = "scheduled", moment + randint(DAY, 10 * DAY), moment
                            for attempt in range(tries):
                                moment = appointment + randint(0, 3 * HOUR)
                                if stall < 0.04 or moment > now:
                                    break
                                state, installed, last = "installed", moment, moment
                                moment = installed + randint(HOUR, 7 * DAY)
                                if stall < 0.055 or moment > now:
                                    break
                                state, confirmed, last = "confirmed", moment, moment
                                moment = confirmed + randint(DAY, 20 * DAY)
                                if stall < 0.085 or moment > now:
                                    break
                                counters["inspection"] += 1
                                last = moment
                                if attempt < tries - 1:  # failed: the installation is reopened
                                    inspection_rows.append((counters["inspection"], oid, inspector, "failed",
                                                            "bench: the hose is not fixed", ts(moment)))
                                    state, installed, confirmed = "scheduled", None, None
                                    appointment = moment + randint(DAY, 7 * DAY)
                                    continue
                                inspection_rows.append((counters["inspection"], oid, inspector, "passed", "",
                                                        ts(moment)))
                                state, inspected = "inspected", moment
            states[state] = states.get(state, 0) + 1
            order_rows.append((
                oid, resident, district, township, supplier, city.list_version[district], state, address, name,
                phone, 0, subtotal, subsidy, amount, paid_fen, refunded_fen, category if subsidy else None,
                category, attempts, ts(paid) if paid else None, ts(appointment) if appointment else None,
                ts(installed) if installed else None, ts(confirmed) if confirmed else None,
                ts(inspected) if inspected else None, ts(canceled) if canceled else None,
                ts(refunded) if refunded else None, reason, ts(created), ts(last)))
            counters["line"] += 1
            line_rows.append((counters["line"], oid, product_id, 1, unit_price, fee, price, subsidy, device_type,
                              tier, description))
            if installed is not None:  # installed, confirmed or inspected: the device is in place
                counters["device"] += 1
                device_id = counters["device"]
                device_state = pick_device_state()
                day = shanghai_day(installed)
                if township is not None:
                    key = (township, category, device_type)
                    covered[key] = covered.get(key, 0) + 1
                device_rows.append((
                    device_id, f"88.150.1/BENCH{device_id:09d}", "passive" if tier == "low" else "active",
                    f"SN{device_id:09d}", product_id, supplier, device_type, oid, resident, district, township,
                    "natural_gas", ts(installed), day.isoformat(), (day + timedelta(days=5 * 365)).isoformat(),
                    device_state, ts(now - randint(60, DAY)) if tier != "low" else None, None, address, None, None,
                    category, ts(installed), ts(installed), ts(installed)))
                add_alarms(alarm_rows, device_id, district, supplier, installed, device_state)
        sink.put("purchase_order", ORDER_COLUMNS, order_rows)
        sink.put("order_line", LINE_COLUMNS, line_rows)
        sink.put("inspection", INSPECTION_COLUMNS, inspection_rows)
        sink.put("installed_device", DEVICE_COLUMNS, device_rows)
        sink.put("alarm", ALARM_COLUMNS, alarm_rows)
        print(f"    {min(first + CHUNK - 1, orders):>9,} orders", flush=True)

    # Devices an inspector registered outside the platform: 2 % of the platform's.
    device_rows, alarm_rows = [], []
    for _n in range(counters["device"] // 50):
        counters["device"] += 1
        device_id = counters["device"]
        district = pick_district()
        township = choice(city.townships[district])
        category, device_type, device_state = pick_category(), pick_type(), pick_device_state()
        installed = start + int(rnd() * (end - start))
        day = shanghai_day(installed)
        if device_state not in ("replaced", "removed"):
            key = (township, category, device_type)
            covered[key] = covered.get(key, 0) + 1
        device_rows.append((
            device_id, f"88.150.9/OUTSIDE{device_id:09d}", "passive", f"OUT{device_id:09d}", None, None, device_type,
            None, None, district, township, "natural_gas", ts(installed), day.isoformat(),
            (day + timedelta(days=5 * 365)).isoformat(), device_state, None, city.inspector[district], address,
            "Other brand X-100", "Bench outside installer", category, ts(installed), ts(installed), ts(installed)))
        add_alarms(alarm_rows, device_id, district, None, installed, device_state)
        if len(device_rows) == CHUNK:
            sink.put("installed_device", DEVICE_COLUMNS, device_rows)
            device_rows = []
    sink.put("installed_device", DEVICE_COLUMNS, device_rows)
    sink.put("alarm", ALARM_COLUMNS, alarm_rows)

    # Complaint cases: one per 200 orders, in every state the workflow reaches.
    case_rows, year_seq = [], {}
    for cid in range(1, orders // 200 + 1):
        received = start + int(rnd() * (end - start))
        kind = "complaint" if rnd() < 0.7 else "report"
        year = (EPOCH + timedelta(seconds=received + 8 * HOUR)).year
        year_seq[(kind, year)] = year_seq.get((kind, year), 0) + 1
        number = f"{'TS' if kind == 'complaint' else 'JB'}-{year}-{year_seq[(kind, year)]:06d}"
        district = pick_district()
        state, accepted, closed, due, rule, assigned, reject, finding, finding_text = (
            "submitted", None, None, None, None, None, None, None, None)
        fate = rnd()
        moment = received + randint(HOUR, 6 * DAY)
        if fate < 0.10 and moment <= now:
            state, closed, reject = "rejected", moment, "bench: not a matter for the platform"
        elif fate >= 0.20 and moment <= now:
            state, accepted = "accepted", moment
            moment = accepted + randint(DAY, 70 * DAY)
            if fate >= 0.40 and moment <= now:
                state, closed, finding, finding_text = "closed", moment, choice(("substantiated", "unsubstantiated")), \
                    "bench: settled"
            elif fate >= 0.30:
                state, assigned = "investigating", city.official[district]
        if state == "submitted":
            due, rule = shanghai_day(received) + timedelta(days=7), ("complaint_acceptance" if kind == "complaint"
                                                                      else "report_check")
        elif state in ("accepted", "investigating"):
            due, rule = shanghai_day(accepted) + timedelta(days=60), ("complaint_mediation" if kind == "complaint"
                                                                      else "case_decision")
        last = closed or accepted or received
        case_rows.append((cid, number, kind, choice(("inflated_price", "no_after_sales", "substandard", "other",
                                                     "forced_purchase")), state, choice(city.suppliers), district,
                          choice(city.residents) if kind == "complaint" else None, "bench case", ts(received),
                          ts(accepted) if accepted else None, ts(closed) if closed else None,
                          due.isoformat() if due else None, rule, assigned, reject, finding, finding_text,
                          ts(received), ts(last)))
    sink.put("complaint_case", CASE_COLUMNS, case_rows)

    # Targets: every township, category and device type, above what is covered (coverage 30-80 %).
    target_rows, stamp = [], ts(start)
    for district in city.district_ids:
        for township in city.townships[district]:
            for category, _w in CATEGORIES:
                for device_type, _w2 in DEVICE_TYPES:
                    have = covered.get((township, category, device_type), 0)
                    target_rows.append((len(target_rows) + 1, district, township, category, device_type,
                                        int(have / rng.uniform(0.3, 0.8)) + randint(1, 20), stamp, stamp))
    sink.put("target", ("id", "district_id", "township_id", "category", "device_type", "count", "created_at",
                        "updated_at"), target_rows)
    return {"states": states, **counters, "cases": len(case_rows), "targets": len(target_rows)}


BIG_TABLES = ("purchase_order", "order_line", "inspection", "installed_device", "alarm", "complaint_case", "target")


def defer_schema(connection, kind: str) -> list[str]:
    """Drop what slows a bulk load of the big tables and return the DDL that puts it back, as the migrations wrote
    it (the PostgreSQL manual's "Populating a Database": an index built once is a sort, cheaper than a million
    random insertions into its B-tree; a foreign key added back is checked in one join, not row by row).

    SQLite: the secondary indexes (its foreign keys stay on: they cost little there). PostgreSQL: the secondary
    indexes (not those behind a primary key or unique constraint) and the foreign keys. A partial unique index
    re-created fails on a duplicate, a foreign key added back on a dangling reference: the load is checked."""
    tables = list(BIG_TABLES)
    if kind == "sqlite":
        marks = ", ".join("?" * len(tables))
        indexes = connection.exec_driver_sql(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT "
                                             f"NULL AND tbl_name IN ({marks})", tuple(tables)).all()
        for name, _sql in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
        return [sql for _name, sql in indexes]
    connection.exec_driver_sql("SET maintenance_work_mem = '256MB'")
    keys = connection.exec_driver_sql(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%(tables)s)", {"tables": tables}).all()
    indexes = connection.exec_driver_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = ANY(%(tables)s) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u', 'x'))",
        {"tables": tables}).all()
    for table, name, _definition in keys:
        connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return ([definition for _name, definition in indexes]
            + [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in keys])


def verify_checks(connection, tables) -> list[str]:
    """Every CHECK constraint of `tables` (the model's, as the migrations create them) holds for every row: one
    `SELECT count(*) ... WHERE NOT (check)` each. A NULL result passes, as it does for a CHECK."""
    from sqlalchemy import CheckConstraint  # noqa: PLC0415

    from core.db import db  # noqa: PLC0415

    problems = []
    for name in tables:
        for constraint in db.metadata.tables[name].constraints:
            if not isinstance(constraint, CheckConstraint):
                continue
            condition = constraint.sqltext.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
            bad = connection.exec_driver_sql(f"SELECT count(*) FROM {name} WHERE NOT ({condition})").scalar_one()
            if bad:
                problems.append(f"{bad} rows of {name} break CHECK {constraint.name}")
    return problems


# --- timing -------------------------------------------------------------------------------------------------

def best_of(runs: int, operations: list[tuple[str, object]]) -> dict[str, tuple[float, object]]:
    """The fastest of `runs` calls of each operation, interleaved (round after round, every operation once a round,
    so that the machine's other work weighs on all alike), each in a fresh session as a request's would be; with the
    last result."""
    from core.db import db  # noqa: PLC0415

    best: dict[str, tuple[float, object]] = {label: (float("inf"), None) for label, _fn in operations}
    for _round in range(runs):
        for label, fn in operations:
            db.session.remove()
            began = time.perf_counter()
            result = fn()
            best[label] = (min(best[label][0], time.perf_counter() - began), result)
    db.session.remove()
    return best


@contextlib.contextmanager
def without_rollup():
    """The reports as they are before the first refresh: rollup.last_refresh() answers None."""
    from reports import rollup  # noqa: PLC0415

    saved = rollup.last_refresh
    rollup.last_refresh = lambda: None
    try:
        yield
    finally:
        rollup.last_refresh = saved


def run_one(kind: str, url: str, args) -> dict:
    """Everything for one database, in this (child) process."""
    from flask_migrate import upgrade  # noqa: PLC0415 - the app loads in the child only
    from sqlalchemy import func, inspect, select, text

    from core.db import db
    from core.districts import District
    from orders.models import Order
    from reports import compute, monthly, rollup
    from reports.models import REPORT_INDEXES
    from reports.months import Month
    from wsgi import create_app

    tmp = Path(tempfile.mkdtemp(prefix="report-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ENV_NAME": "development", "SEARCH_INDEX_DIR": str(tmp / "ix"),
                      "UPLOAD_DIR": str(tmp / "uploads"), "AUDIT_ANCHOR_PATH": str(tmp / "audit-anchor.txt"),
                      "STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp}/stub.sqlite3", "STRIPE_STUB_EMBEDDED": False})
    failures: list[str] = []
    out: dict = {"database": kind, "orders": args.orders}
    with app.app_context():
        began = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines
            upgrade(directory=str(ROOT / "migrations"))
        print(f"[{kind}] migrated to head in {time.perf_counter() - began:.1f} s", flush=True)
        inspector = inspect(db.engine)
        found = {}
        for index in REPORT_INDEXES:
            table = index.table.name
            present = {i["name"]: i["column_names"] for i in inspector.get_indexes(table)}
            found[index.name] = present.get(index.name)
            if index.name not in present:
                failures.append(f"index {index.name} on {table} is missing")
        print(f"[{kind}] report indexes: " + ", ".join(f"{n}({', '.join(c or ['MISSING'])})"
                                                      for n, c in found.items()), flush=True)

        now = datetime.now(UTC).replace(microsecond=0)
        current = Month.of(now)
        month = current.previous()
        first = current
        for _i in range(24):
            first = first.previous()
        start, end, now_s = (int(first.start.timestamp()), int(current.start.timestamp()), int(now.timestamp()))
        rng = random.Random(args.seed)

        print(f"[{kind}] generating {args.orders:,} orders over {first} .. {month} ...", flush=True)
        began = time.perf_counter()
        connection = db.session.connection()
        if kind == "sqlite":  # this connection only, while loading: a 1 GB cache, a rollback journal (a new file's
            # pages are not journaled, where WAL would write every page twice), no fsync; dropped with the engine
            # The CHECK constraints are checked once, set-wise, after the load (verify_checks): row by row their
            # IN (...) lists cost SQLite more than the insert itself.
            for pragma in ("cache_size=-1000000", "journal_mode=DELETE", "synchronous=OFF",
                           "ignore_check_constraints=ON"):
                connection.exec_driver_sql(f"PRAGMA {pragma}")
        else:
            connection.exec_driver_sql("SET TIME ZONE 'UTC'")
        city = City(rng, now)
        sink = Sink(db.session.connection(), kind)
        deferred = defer_schema(connection, kind)
        made = generate(city, sink, rng, args.orders, start, end, now_s)
        indexing = time.perf_counter()
        for statement in deferred:
            connection.exec_driver_sql(statement)
        indexing = time.perf_counter() - indexing
        if kind == "postgresql":  # the ids were given: move the sequences past them
            for table in ("purchase_order", "order_line", "inspection", "installed_device", "alarm",
                          "complaint_case", "target"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT coalesce(max(id), 1) FROM {table}))"))
        if kind == "sqlite":
            connection.exec_driver_sql("PRAGMA ignore_check_constraints=OFF")
        violations = verify_checks(db.session.connection(), BIG_TABLES)
        failures += violations
        db.session.commit()
        generation = time.perf_counter() - began
        db.session.remove()
        db.engine.dispose()  # the load's connection settings go with it
        analyze = 0.0
        if kind == "postgresql":  # what autovacuum would have done by the time anyone asks for a report
            began = time.perf_counter()
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
            analyze = time.perf_counter() - began
        out.update(generation_s=generation, analyze_s=analyze, rows=sink.rows, made=made)
        print(f"[{kind}] generated in {generation:.1f} s: " + ", ".join(
            f"{t} {n:,} ({sink.seconds[t]:.1f} s)" for t, n in sink.rows.items())
            + f"; {len(deferred)} indexes / foreign keys re-created after the load in {indexing:.1f} s", flush=True)
        print(f"[{kind}] order states: " + ", ".join(f"{s} {n:,}" for s, n in sorted(made["states"].items())),
              flush=True)

        began = time.perf_counter()
        result = rollup.refresh()
        db.session.commit()
        out["refresh_s"] = time.perf_counter() - began
        db.session.remove()
        print(f"[{kind}] rollup.refresh(): {result.first_month} .. {result.last_month}, {result.cells:,} cells, "
              f"{out['refresh_s']:.1f} s", flush=True)

        district = db.session.scalar(select(District).where(District.code == DISTRICT_CODE))
        district_id = district.id
        db.session.expunge(district)

        def count_all():
            return db.session.execute(text("SELECT count(*) FROM purchase_order")).scalar_one()

        def district_report():
            return monthly.district_report(db.session.merge(district, load=False), month)

        def month_flow():
            return (compute.cells(month.start, month.end), compute.cases(month.start, month.end),
                    compute.alarms(month.start, month.end))

        def live_city():
            with without_rollup():
                return monthly.city_report(month)

        print(f"[{kind}] timing, best of {args.runs} interleaved (live paths: {args.live_runs}) ...", flush=True)
        labels = {"count": "SELECT count(*) FROM purchase_order", "city": f"city_report({month})",
                  "district": f"district_report({DISTRICT_CODE}, {month})", "ranking": f"ranking({month})",
                  "coverage": f"coverage_document({month})",
                  "now": f"info: city_report({current}) (to date)",
                  "live": f"info: city_report({month}) without the rollup",
                  "flow": f"info: compute.cells+cases+alarms({month})"}
        timed = best_of(args.runs, [("count", count_all), ("city", lambda: monthly.city_report(month)),
                                    ("district", district_report), ("ranking", lambda: monthly.ranking(month)),
                                    ("coverage", lambda: monthly.coverage_document(month))])
        timed.update(best_of(args.live_runs, [("now", lambda: monthly.city_report(current)), ("live", live_city),
                                              ("flow", month_flow)]))
        base, total_orders = timed["count"]
        city_s, city = timed["city"]
        dreport, now_report, live = timed["district"][1], timed["now"][1], timed["live"][1]
        sources = {"city": city.source, "district": dreport.source, "now": now_report.source, "live": live.source}
        out["timings"] = [(labels[k] + (f" [{sources[k]}]" if k in sources else ""), seconds, seconds / base)
                          for k, (seconds, _r) in timed.items()]

        # The baseline finds what the report finds.
        def count(*where):
            return db.session.scalar(select(func.count()).select_from(Order).where(*where))

        checks = [
            ("city placed to date", city.summary.t("placed"), count(Order.created_at < month.end)),
            ("city placed in the month", city.summary.m("placed"),
             count(Order.created_at >= month.start, Order.created_at < month.end)),
            (f"{DISTRICT_CODE} placed to date", dreport.summary.t("placed"),
             count(Order.district_id == district_id, Order.created_at < month.end)),
            (f"{DISTRICT_CODE} placed in the month", dreport.summary.m("placed"),
             count(Order.district_id == district_id, Order.created_at >= month.start, Order.created_at < month.end)),
            ("all orders", total_orders, args.orders),
        ]
        db.session.remove()
        for label, report_value, plain in checks:
            if report_value != plain:
                failures.append(f"{label}: the report says {report_value}, a plain count {plain}")
        if city.source != "rollup":
            failures.append(f"the city report of {month} came from {city.source}, not the rollup")
        for scope in ("month", "total"):
            ours = getattr(city.summary, scope)
            theirs = getattr(live.summary, scope)
            differ = {n: (ours.get(n, 0), theirs.get(n, 0)) for n in rollup.DISTRICT_FIGURES
                      if int(ours.get(n, 0)) != int(theirs.get(n, 0))}
            if differ:
                failures.append(f"rollup and live city reports differ ({scope}): {differ}")
        out["checks"] = [(label, int(a), int(b)) for label, a, b in checks]
        out["summary"] = {"month": dict(city.summary.month), "total": dict(city.summary.total)}

        goal = GOALS[kind]
        ratio = city_s / base
        out["goal"], out["ratio"], out["failures"] = goal, ratio, failures
        db.session.remove()
        db.engine.dispose()
    return out


# --- databases ----------------------------------------------------------------------------------------------

def pg_admin(test_url: str):
    from sqlalchemy import create_engine  # noqa: PLC0415
    from sqlalchemy.engine import make_url

    return create_engine(make_url(test_url), isolation_level="AUTOCOMMIT")


def child(kind: str, url: str, args) -> tuple[dict | None, int]:
    """Run one database in a child process of this script; its result and exit status."""
    command = [sys.executable, __file__, "--one", kind, "--url", url, "--orders", str(args.orders), "--runs",
               str(args.runs), "--live-runs", str(args.live_runs), "--seed", str(args.seed)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    result = None
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:
            if line.startswith("RESULT "):
                result = json.loads(line[len("RESULT "):])
            else:
                print(line, end="", flush=True)
    return result, process.returncode


def print_result(r: dict) -> None:
    print(f"\n{r['database']}: {r['orders']:,} orders · generated in {r['generation_s']:.1f} s"
          + (f" (+ ANALYZE {r['analyze_s']:.1f} s)" if r.get("analyze_s") else "")
          + f" · rollup.refresh() {r['refresh_s']:.1f} s")
    print(f"  {'operation':<62}{'seconds':>10}{'vs count(*)':>13}")
    for label, seconds, ratio in r["timings"]:
        print(f"  {label:<62}{seconds:>10.4f}{ratio:>12.2f}x")
    for label, report_value, plain in r["checks"]:
        print(f"  check {label}: report {report_value:,} = count {plain:,}" if report_value == plain
              else f"  check {label}: report {report_value:,} != count {plain:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7, help="best of N for the timed reports")
    parser.add_argument("--live-runs", type=int, default=3, help="best of N for the live (information) timings")
    parser.add_argument("--keep", metavar="PATH", help="write the SQLite database to PATH and keep it")
    parser.add_argument("--postgres", nargs="?", const="", metavar="URL",
                        help="also run on PostgreSQL (default URL: TEST_DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--one", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.orders < 1000:
        parser.error("--orders must be at least 1000")

    if args.one:  # the child: one database
        result = run_one(args.one, args.url, args)
        print("RESULT " + json.dumps(result), flush=True)
        return

    test_url = os.environ.get("TEST_DATABASE_URL", "")
    pg_url = args.postgres or (test_url if args.postgres is not None or test_url.startswith("postgresql") else "")
    if args.postgres is not None and not pg_url.startswith("postgresql"):
        parser.error("--postgres needs a postgresql+psycopg URL (argument or TEST_DATABASE_URL)")
    if not pg_url:
        print("TEST_DATABASE_URL is not a PostgreSQL URL (and no --postgres): SQLite only", flush=True)

    results, statuses = [], []
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        path = Path(args.keep).resolve() if args.keep else Path(tmp) / "bench.sqlite3"
        if args.keep and path.exists():
            parser.error(f"{path} exists: remove it or name another file")
        result, status = child("sqlite", f"sqlite:///{path}", args)
        results.append(result)
        statuses.append(status)
        if args.keep:
            print(f"[sqlite] kept {path}")
    if pg_url:
        from sqlalchemy.engine import make_url  # noqa: PLC0415

        name = f"report_bench_{os.getpid()}"
        admin = pg_admin(pg_url)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
            result, status = child("postgresql", url, args)
            results.append(result)
            statuses.append(status)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()

    print(f"\n{platform.node()} · {platform.machine()} · {os.cpu_count()} CPUs · Python "
          f"{platform.python_version()} · {time.strftime('%Y-%m-%d %H:%M %Z')}")
    failed = False
    for r, status in zip(results, statuses, strict=True):
        if r is None:
            print(f"FAIL a run ended with status {status} before reporting")
            failed = True
            continue
        print_result(r)
    print()
    for r in results:
        if r is None:
            continue
        ok = r["ratio"] <= r["goal"]
        print(f"{'PASS' if ok else 'FAIL'} {r['database']}: the city report takes {r['ratio']:.2f}x the count(*) "
              f"(goal <= {r['goal']:.1f}x" + (", set for 1,000,000 orders: a smaller count(*) takes microseconds)"
                                             if r["orders"] < 1_000_000 else ")"))
        for failure in r["failures"]:
            print(f"FAIL {r['database']}: {failure}")
        if not r["failures"]:
            print(f"PASS {r['database']}: the report's figures equal the plain counts; live = rollup; indexes there")
        failed = failed or not ok or bool(r["failures"])
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

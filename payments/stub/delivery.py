"""Webhook delivery: signed POSTs, exponential back-off until a 2xx, every attempt recorded."""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from Crypto.Hash import HMAC, SHA256
from sqlalchemy import Row, insert, select, update

from payments.stub.events import CONFIG_ENDPOINT
from payments.stub.expand import with_pending
from payments.stub.origin import recorded_origin
from payments.stub.state import StubState
from payments.stub.storage import attempts, deliveries, find_object, public

log = logging.getLogger(__name__)
#: Seconds a worker holds a claimed delivery before another worker may try it.
LEASE_SECONDS = 60.0
_workers_lock = threading.Lock()


def sign(payload: str, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header: t=timestamp,v1=HMAC-SHA256 of "t.payload" keyed by the whole secret."""
    digest = HMAC.new(secret.encode(), f"{timestamp}.{payload}".encode(), digestmod=SHA256).hexdigest()
    return f"t={timestamp},v1={digest}"


def backoff(state: StubState, attempt: int) -> float:
    """Seconds to wait after the given failed attempt (1-based): base, 2x, 4x ... capped."""
    return min(state.retry_base_seconds * 2 ** (attempt - 1), state.retry_max_seconds)


def due_by_endpoint(state: StubState, limit: int = 200, skip: frozenset[str] = frozenset()) -> dict[str, list[Row]]:
    """Due deliveries, oldest first, grouped by endpoint (endpoints in skip left out)."""
    query = (
        select(deliveries)
        .where(deliveries.c.state == "pending", deliveries.c.next_attempt_at <= time.time())
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(limit)
    )
    if skip:
        query = query.where(deliveries.c.endpoint_id.not_in(skip))
    groups: dict[str, list[Row]] = {}
    with state.engine.connect() as conn:
        for row in conn.execute(query):
            groups.setdefault(row.endpoint_id, []).append(row)
    return groups


def deliver_endpoint(state: StubState, rows: list[Row]) -> int:
    """Attempt one endpoint's due deliveries in order; return how many were attempted (each by the one
    worker, thread or process, that claimed it: the others skip it)."""
    done = 0
    with requests.Session() as http:
        http.trust_env = False
        for row in rows:
            lease = claim(state, row)
            if lease is not None:
                _attempt(state, http, row, lease)
                done += 1
    return done


def deliver_due(state: StubState, limit: int = 200) -> int:
    """Attempt every due delivery once, each endpoint in its own thread (so that a slow one delays no
    other); return how many were attempted. The deliver command and tests call this."""
    groups = due_by_endpoint(state, limit)
    if not groups:
        return 0
    with ThreadPoolExecutor(max_workers=min(len(groups), state.parallel_endpoints)) as pool:
        return sum(pool.map(lambda rows: deliver_endpoint(state, rows), groups.values()))


def lease_seconds(state: StubState) -> float:
    """How long a claim holds: longer than an attempt can take, so that no other worker sends it meanwhile."""
    return max(LEASE_SECONDS, state.timeout_seconds * 2 + 5)


def claim(state: StubState, row: Row) -> float | None:
    """Claim a due delivery for one attempt, atomically across threads and processes; the lease (the
    delivery's new next_attempt_at, which also tokens the claim) or None when another worker has it.

    One conditional UPDATE: it matches only while the row is still pending with the next_attempt_at that
    was read, so of several workers that read the same due row exactly one changes it (SQLite: the stub's
    transactions take the write lock at BEGIN IMMEDIATE; PostgreSQL: the row lock, and READ COMMITTED
    re-checks the condition against the winner's version). A worker that dies holding a claim leaves a
    lease that expires: the delivery is tried again then, after a restart too."""
    lease = time.time() + lease_seconds(state)
    if lease == row.next_attempt_at:  # the token must differ from the value it replaces
        lease += 0.001
    with state.engine.begin() as conn:
        result = conn.execute(
            update(deliveries)
            .where(
                deliveries.c.id == row.id,
                deliveries.c.state == "pending",
                deliveries.c.next_attempt_at == row.next_attempt_at,
                deliveries.c.next_attempt_at <= time.time(),
            )
            .values(next_attempt_at=lease)
        )
    return lease if result.rowcount == 1 else None


def _attempt(state: StubState, http: requests.Session, row: Row, lease: float) -> None:
    """POST the event once to the delivery's endpoint and record the outcome."""
    with state.engine.connect() as conn:
        event = find_object(conn, "event", row.event_id)
        target = _target(state, conn, row.endpoint_id)
        if event is not None:
            event = with_pending(conn, public(event))
    if target is _UNKNOWN:
        _record(state, row, lease, None, "the server's address is not known yet", 0, final=None)
        return
    if event is None or target is None:
        _record(state, row, lease, None, "endpoint or event no longer exists", 0, final="abandoned")
        return
    url, secret = target
    payload = json.dumps(event, indent=2)
    started = time.monotonic()
    status, error = _post(state, http, url, payload, sign(payload, secret, int(time.time())))
    elapsed = int((time.monotonic() - started) * 1000)
    final = "succeeded" if status and 200 <= status < 300 else None
    _record(state, row, lease, status, error, elapsed, final=final)


#: The configured endpoint is on the stub's own server, whose address no API call has recorded yet.
_UNKNOWN = ("", "")


def _target(state: StubState, conn, endpoint_id: str) -> tuple[str, str] | None:
    """The URL and secret of an endpoint, None when it is gone or disabled, or _UNKNOWN."""
    if endpoint_id == CONFIG_ENDPOINT:
        if not state.webhook_secret:
            return None
        if state.webhook_url:
            return state.webhook_url, state.webhook_secret
        if state.webhook_path:
            origin = recorded_origin(conn)
            return (origin + state.webhook_path, state.webhook_secret) if origin else _UNKNOWN
        return None
    endpoint = find_object(conn, "webhook_endpoint", endpoint_id)
    if endpoint is None or endpoint["status"] != "enabled":
        return None
    return endpoint["url"], endpoint["_secret"]


def _post(
    state: StubState, http: requests.Session, url: str, payload: str, signature: str
) -> tuple[int | None, str | None]:
    """Send one signed POST; return its status code or the connection error."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": signature,
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
    try:
        with http.post(
            url, data=payload.encode(), headers=headers, timeout=state.timeout_seconds, allow_redirects=False
        ) as response:
            return response.status_code, None
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]


def _record(
    state: StubState,
    row: Row,
    lease: float,
    status: int | None,
    error: str | None,
    elapsed: int,
    *,
    final: str | None,
) -> None:
    """Store the attempt and either close the delivery or schedule the next try (only while this worker's
    claim holds: a lease that expired belongs to whichever worker claimed the delivery since)."""
    moment = time.time()
    count = row.attempts + 1
    if final is None and moment - row.created_at >= state.give_up_seconds:
        final = "failed"
    values: dict[str, Any] = {"attempts": count, "last_status": status}
    if final:
        values["state"] = final
    else:
        values["next_attempt_at"] = moment + backoff(state, count)
    with state.engine.begin() as conn:
        conn.execute(
            insert(attempts).values(
                delivery_id=row.id, attempted_at=moment, status_code=status, error=error, duration_ms=elapsed
            )
        )
        changed = conn.execute(
            update(deliveries)
            .where(deliveries.c.id == row.id, deliveries.c.next_attempt_at == lease)
            .values(**values)
        )
    if changed.rowcount != 1:
        log.warning("webhook delivery %s: the claim expired before its attempt was recorded", row.id)


class DeliveryWorker:
    """A dispatcher thread that hands each endpoint's due deliveries to a pool, one endpoint per pool
    thread at a time: a slow or dead endpoint (bounded by the timeout) holds up only itself."""

    def __init__(self, state: StubState) -> None:
        self.state = state
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether the dispatcher thread is alive (in this process)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the dispatcher and its pool unless they already run."""
        if not self.running:
            self._stop.clear()
            self._busy.clear()
            self._pool = ThreadPoolExecutor(
                max_workers=self.state.parallel_endpoints, thread_name_prefix="stripe-stub-endpoint"
            )
            self._thread = threading.Thread(target=self._run, name="stripe-stub-webhooks", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Look for due deliveries now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the dispatcher and wait for deliveries in progress (each bounded by the timeout)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _run(self) -> None:
        """Dispatch due deliveries of idle endpoints, then sleep until woken or the poll interval passes."""
        while not self._stop.is_set():
            try:
                self._dispatch()
            except Exception:
                log.exception("webhook delivery round failed")
            self._wake.wait(self.state.poll_seconds)
            self._wake.clear()

    def _dispatch(self) -> None:
        """Submit each idle endpoint's due deliveries to the pool."""
        with self._busy_lock:
            busy = frozenset(self._busy)
        for endpoint_id, rows in due_by_endpoint(self.state, skip=busy).items():
            with self._busy_lock:
                self._busy.add(endpoint_id)
            self._pool.submit(self._deliver, endpoint_id, rows)

    def _deliver(self, endpoint_id: str, rows: list[Row]) -> None:
        """Deliver one endpoint's rows, then mark it idle and look again."""
        try:
            deliver_endpoint(self.state, rows)
        except Exception:
            log.exception("webhook delivery to %s failed", endpoint_id)
        finally:
            with self._busy_lock:
                self._busy.discard(endpoint_id)
            self._wake.set()


def start_worker(state: StubState) -> DeliveryWorker:
    """Start the state's delivery worker; calling it again while it runs does nothing."""
    with _workers_lock:
        if state.worker is None:
            state.worker = DeliveryWorker(state)
        state.worker.start()
        return state.worker


def stop_worker(state: StubState) -> None:
    """Stop the state's delivery worker if it runs."""
    with _workers_lock:
        if state.worker is not None:
            state.worker.stop()

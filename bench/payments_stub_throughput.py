"""Benchmark: PaymentIntents created and confirmed per second through the official SDK against the stub.

Run: .venv/bin/python bench/payments_stub_throughput.py [count] [threads]
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import stripe
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payments.stub import create_app, shutdown  # noqa: E402

stripe.enable_telemetry = False


def pay_once(base: str) -> None:
    """Create and confirm one PaymentIntent with its own client."""
    http = stripe.RequestsClient()
    client = stripe.StripeClient("sk_test_bench", base_addresses={"api": base}, max_network_retries=0,
                                 http_client=http)
    try:
        intent = client.v1.payment_intents.create(params={"amount": 19900, "currency": "cny"})
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    finally:
        http.close()


def main(count: int = 200, threads: int = 4) -> None:
    """Serve a stub on a temporary SQLite database and time count payments over threads."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                          "STRIPE_STUB_DELIVERY_THREAD": False})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda _i: pay_once(base), range(count)))
        elapsed = time.perf_counter() - started
        server.shutdown()
        server.server_close()
        shutdown(app)
    print(f"{count} payments (create + confirm) with {threads} threads: {elapsed:.2f} s, "
          f"{count / elapsed:.0f} payments/s")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))

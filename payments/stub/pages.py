"""HTML pages of the stub: the hosted checkout page and a small dashboard."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, redirect, render_template, request
from sqlalchemy import select

from payments.stub import checkout
from payments.stub.state import stub_state
from payments.stub.storage import attempts, deliveries, find_object, objects, public

bp = Blueprint("pages", __name__)
ZERO_DECIMAL = {
    "bif",
    "clp",
    "djf",
    "gnf",
    "jpy",
    "kmf",
    "krw",
    "mga",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
}
SYMBOLS = {"cny": "¥", "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "hkd": "HK$"}


@bp.app_template_filter("minor_units")
def minor_units(amount: int | None, currency: str) -> str:
    """Show an amount in minor units as ¥12.34 (whole units for zero-decimal currencies)."""
    if amount is None:
        return "—"
    value = Decimal(amount) if currency in ZERO_DECIMAL else Decimal(amount) / 100
    text = f"{value:,.0f}" if currency in ZERO_DECIMAL else f"{value:,.2f}"
    return f"{SYMBOLS.get(currency, '')}{text} {currency.upper()}"


@bp.get("/c/pay/<session_id>")
def checkout_page(session_id: str):
    """The hosted payment page of a Checkout Session."""
    return _render_checkout(_session(session_id))


@bp.post("/c/pay/<session_id>")
def pay(session_id: str):
    """Pay with the card number typed in: redirect to success_url, or show the error."""
    with stub_state().engine.begin() as conn:
        session, error = checkout.pay_session(
            conn, session_id, request.form.get("token", ""), request.form.get("card_number", "")
        )
    if error is not None:
        return _render_checkout(session, error=error.message, code=error.code), error.status
    return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]), code=303)


@bp.get("/")
def dashboard():
    """Recent payments, sessions, events and webhook delivery attempts."""
    with stub_state().engine.connect() as conn:
        context = {
            "intents": _recent(conn, "payment_intent", 50),
            "sessions": _recent(conn, "checkout.session", 20),
            "refunds": _recent(conn, "refund", 20),
            "events": _recent(conn, "event", 50),
            "deliveries": conn.execute(select(deliveries).order_by(deliveries.c.id.desc()).limit(50)).all(),
            "attempts": conn.execute(select(attempts).order_by(attempts.c.id.desc()).limit(100)).all(),
        }
    return render_template("payments/stub/dashboard.html", **context)


def _session(session_id: str) -> dict[str, Any]:
    """A Checkout Session or 404."""
    with stub_state().engine.connect() as conn:
        session = find_object(conn, "checkout.session", session_id)
    if session is None:
        abort(404)
    return session


def _render_checkout(session: dict[str, Any], *, error: str | None = None, code: str | None = None) -> str:
    """Render the checkout page for a session in whatever state it is in."""
    _csp_allow_redirect(session["success_url"])
    return render_template(
        "payments/stub/checkout.html",
        session=session,
        items=session["_line_items"],
        token=session["_token"],
        payable=checkout.is_payable(session),
        error=error,
        code=code,
    )


def _recent(conn, type_: str, limit: int) -> list[dict[str, Any]]:
    """The newest objects of one type."""
    query = select(objects.c.data).where(objects.c.type == type_).order_by(objects.c.seq.desc()).limit(limit)
    return [public(row.data) for row in conn.execute(query)]


def _csp_allow_redirect(url: str) -> None:
    """Let this page's form be redirected to url's origin (paying returns to the merchant's success_url)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        g.csp_form_targets = (*g.get("csp_form_targets", ()), f"{parts.scheme}://{parts.netloc}")

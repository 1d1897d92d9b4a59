"""Routes of the payments package: the provider's webhook."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from core.db import db
from core.extensions import csrf
from core.i18n import _
from payments import services
from payments.gateway import WebhookSignatureError, verify_webhook

bp = Blueprint("payments", __name__)
#: Larger bodies are refused before verification; provider events are a few kilobytes.
MAX_WEBHOOK_BYTES = 512 * 1024


@bp.post("/payments/webhook")
def webhook():
    """Verify a provider event, record it once, hand it to the listeners and answer at once."""
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        return _error("payload_too_large", _("请求内容过大。"), 413)
    try:
        event = verify_webhook(request.get_data(), request.headers.get("Stripe-Signature", ""))
    except WebhookSignatureError:
        return _error("invalid_signature", _("Webhook 签名无效。"), 400)
    try:
        processed = services.process_webhook_event(event)
        db.session.commit()
    except Exception:
        # A concurrent duplicate fails on the unique event id (PostgreSQL: once the other transaction
        # commits; SQLite: also "database is locked" when the other one holds the write lock too long).
        db.session.rollback()
        if services.already_processed(event["id"]):
            return jsonify(received=True, duplicate=True), 200
        # A listener failed: nothing is recorded, and the provider delivers the event again later.
        current_app.logger.exception("webhook event %s (%s) failed", event["id"], event["type"])
        return _error("event_failed", _("事件处理失败，稍后将重试。"), 500)
    return jsonify(received=True, duplicate=not processed), 200


csrf.exempt(webhook)


def _error(code: str, message: str, status: int):
    """A JSON error in the API's shape."""
    return jsonify(error={"code": code, "message": message, "field": None}), status

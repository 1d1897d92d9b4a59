"""Configuration from environment variables (SPEC section 8)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEV_SECRET_KEY = "dev-secret-key-not-for-production"  # noqa: S105 - refused outside development
DEV_DATA_KEY = "ZGV2LWRhdGEta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE="  # base64 of 32 bytes, development only
DEV_AUDIT_KEY = "dev-audit-key-not-for-production"  # noqa: S105 - refused outside development
TRANSLATION_DOMAINS = ("core", "suppliers", "catalog", "registry", "market", "devices", "payments", "orders",
                       "complaints", "reports")


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete for the chosen environment."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def load_config(overrides: dict | None = None) -> dict:
    """Build the configuration: defaults, then the environment, then explicit overrides (tests)."""
    overrides = dict(overrides or {})
    env_name = overrides.get("ENV_NAME") or _env("APP_ENV", "development")
    cfg: dict = {
        "ENV_NAME": env_name,
        "SECRET_KEY": _env("SECRET_KEY", DEV_SECRET_KEY),
        "DATA_KEY": _env("DATA_KEY", DEV_DATA_KEY if env_name != "production" else None),
        "AUDIT_KEY": _env("AUDIT_KEY", DEV_AUDIT_KEY if env_name != "production" else None),
        "AUDIT_ANCHOR_PATH": _env("AUDIT_ANCHOR_PATH", str(INSTANCE_DIR / "audit-anchor.txt")),
        "SQLALCHEMY_DATABASE_URI": _env(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'app.sqlite3'}"
        ),
        "SEARCH_INDEX_DIR": _env("SEARCH_INDEX_DIR", str(INSTANCE_DIR / "search-index")),
        "UPLOAD_DIR": _env("UPLOAD_DIR", str(INSTANCE_DIR / "uploads")),
        "MAX_CONTENT_LENGTH": 11 * 1024 * 1024,
        "UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
        # No default: the embedded stub is reached on the server's own address, whatever host and port it
        # runs on (payments/stub/mount.py); production sets the provider's address.
        "STRIPE_API_BASE": _env("STRIPE_API_BASE"),
        "STRIPE_API_KEY": _env("STRIPE_API_KEY", "sk_test_local"),
        # No default: in development the embedded stub's own secret is trusted (payments/setup.py);
        # production must set the provider's secret.
        "STRIPE_WEBHOOK_SECRET": _env("STRIPE_WEBHOOK_SECRET"),
        "STRIPE_STUB_DATABASE_URL": _env(
            "STRIPE_STUB_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'stripe_stub.sqlite3'}"
        ),
        # No default: the embedded stub delivers to /payments/webhook at the origin its API is called through.
        "STRIPE_STUB_WEBHOOK_URL": _env("STRIPE_STUB_WEBHOOK_URL"),
        # The embedded payment stub: on by default in development, never mounted in production.
        "STRIPE_STUB_EMBEDDED": _env("STRIPE_STUB_EMBEDDED", "0" if env_name == "production" else "1") == "1",
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        #: How long a worker may reuse a list page's validators (version, announcements) before re-reading them.
        "LIST_STAMP_TTL_SECONDS": float(_env("LIST_STAMP_TTL_SECONDS", "1")),
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "LOGIN_FREE_ATTEMPTS": int(_env("LOGIN_FREE_ATTEMPTS", "5")),
        "LOGIN_BASE_DELAY_SECONDS": int(_env("LOGIN_BASE_DELAY_SECONDS", "30")),
        "LOGIN_MAX_DELAY_SECONDS": int(_env("LOGIN_MAX_DELAY_SECONDS", "900")),
        "REGISTER_RATE_LIMIT": _env("REGISTER_RATE_LIMIT", "5 per minute;20 per hour"),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": ";".join(
            [str(PROJECT_ROOT / "translations")] * len(TRANSLATION_DOMAINS)
        ),
        "BABEL_DOMAIN": ";".join(TRANSLATION_DOMAINS),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env_name == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env_name == "production",
        "WTF_CSRF_TIME_LIMIT": None,
        # Complaints (SPEC 3.6; SAMR Order 121 of 2026): deadlines, counted in working days where the rule says so.
        "COMPLAINT_ACCEPT_WORKING_DAYS": int(_env("COMPLAINT_ACCEPT_WORKING_DAYS", "7")),
        "COMPLAINT_MEDIATION_DAYS": int(_env("COMPLAINT_MEDIATION_DAYS", "60")),
        "REPORT_CHECK_WORKING_DAYS": int(_env("REPORT_CHECK_WORKING_DAYS", "15")),
        "CASE_DECISION_DAYS": int(_env("CASE_DECISION_DAYS", "90")),
        "CASE_DUE_SOON_WORKING_DAYS": int(_env("CASE_DUE_SOON_WORKING_DAYS", "2")),
        "CASE_REOPEN_DAYS": int(_env("CASE_REOPEN_DAYS", "30")),
        #: The anonymous report form: requests per address, and the least seconds between showing and posting.
        "REPORT_RATE_LIMIT": _env("REPORT_RATE_LIMIT", "5 per hour;20 per day"),
        "REPORT_MIN_FILL_SECONDS": int(_env("REPORT_MIN_FILL_SECONDS", "3")),
        # The price monitor (flask --app wsgi complaints price-monitor).
        "PRICE_MONITOR_THRESHOLD_PERCENT": int(_env("PRICE_MONITOR_THRESHOLD_PERCENT", "20")),
        "PRICE_MONITOR_RAISE_PERCENT": int(_env("PRICE_MONITOR_RAISE_PERCENT", "15")),
        "PRICE_MONITOR_RAISE_WINDOW_DAYS": int(_env("PRICE_MONITOR_RAISE_WINDOW_DAYS", "30")),
        "PRICE_MONITOR_CONCERT_SUPPLIERS": int(_env("PRICE_MONITOR_CONCERT_SUPPLIERS", "3")),
        "PRICE_MONITOR_CONCERT_TOLERANCE_PERCENT": int(_env("PRICE_MONITOR_CONCERT_TOLERANCE_PERCENT", "1")),
        "PRICE_MONITOR_CONCERT_WINDOW_DAYS": int(_env("PRICE_MONITOR_CONCERT_WINDOW_DAYS", "7")),
        "CERTIFICATE_EXPIRY_WARNING_DAYS": 60,
        # Orders (SPEC 3.3): an unpaid order is canceled after this many hours; an installation the resident
        # has not confirmed is confirmed automatically after this many days (flask --app wsgi orders sweep).
        "ORDER_PAYMENT_TIMEOUT_HOURS": int(_env("ORDER_PAYMENT_TIMEOUT_HOURS", "24")),
        "ORDER_AUTO_CONFIRM_DAYS": int(_env("ORDER_AUTO_CONFIRM_DAYS", "7")),
        # The device data platform (SPEC 3.4; flask --app wsgi devices sweep).
        #: A device that has reported before and has sent nothing for this many hours is marked offline.
        "DEVICE_OFFLINE_HOURS": int(_env("DEVICE_OFFLINE_HOURS", "24")),
        #: An alarm nobody has acknowledged after this many minutes is escalated to the district's officials.
        "ALARM_ESCALATE_MINUTES": int(_env("ALARM_ESCALATE_MINUTES", "15")),
        #: POST /api/v1/device-events: events per request, bytes per request, requests per key.
        "DEVICE_EVENTS_MAX_BATCH": int(_env("DEVICE_EVENTS_MAX_BATCH", "500")),
        "DEVICE_EVENTS_MAX_BYTES": int(_env("DEVICE_EVENTS_MAX_BYTES", str(1024 * 1024))),
        "DEVICE_API_RATE_LIMIT": _env("DEVICE_API_RATE_LIMIT", "600 per minute"),
        #: How far ahead of the server's clock an event's time may be (device clocks drift).
        "DEVICE_EVENT_MAX_SKEW_SECONDS": int(_env("DEVICE_EVENT_MAX_SKEW_SECONDS", "300")),
        #: How many devices or alarms one page of /api/v1/utility/devices or /api/v1/utility/alarms holds at most.
        "UTILITY_API_MAX_LIMIT": int(_env("UTILITY_API_MAX_LIMIT", "1000")),
        #: How far ahead a resident may ask for an installation date.
        "ORDER_MAX_PREFERRED_DAYS": int(_env("ORDER_MAX_PREFERRED_DAYS", "90")),
    }
    cfg.update(overrides)
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    # a server connection may have been dropped while idle in the pool: test it on checkout; an SQLite file
    # cannot drop, and the extra `SELECT 1` would be a quarter of a cached page's database time
    cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS",
                   {} if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else {"pool_pre_ping": True})
    check_config(cfg)
    return cfg


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def check_config(cfg: dict) -> None:
    """Refuse to start production with development secrets."""
    if cfg["ENV_NAME"] != "production":
        return
    if not cfg.get("SECRET_KEY") or cfg["SECRET_KEY"] == DEV_SECRET_KEY:
        raise ConfigError("SECRET_KEY must be set to a secret value in production.")
    if not cfg.get("DATA_KEY") or cfg["DATA_KEY"] == DEV_DATA_KEY:
        raise ConfigError("DATA_KEY must be set in production (base64 of 32 random bytes).")
    if not cfg.get("AUDIT_KEY") or cfg["AUDIT_KEY"] == DEV_AUDIT_KEY:
        raise ConfigError("AUDIT_KEY must be set to a secret value in production.")

"""Platform keys (SPEC 3.4): the API keys a supplier's device platform, or a gas utility, uses on /api/v1.

A key is `gsk_<prefix>_<secret>`: the prefix (10 hex digits) finds the row, the SHA-256 of the whole key
proves it. The key itself is shown once, when it is created, and never stored or logged; a revoked key
stops working at once. A supplier's key posts device events for that supplier's devices; a utility key
(a gas utility, scoped to one or more districts) reads its districts' devices and alarms.

The whole API:
- `create_key(actor, name=..., supplier=... | districts=[...])` → (PlatformKey, the key text), audited;
- `revoke_key(key, actor)`, audited; `authenticate(token)` → the live PlatformKey or None (and it notes
  the time of use at most once a minute);
- `supplier_keys(supplier_id)`, `utility_keys(district_ids)`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, ForeignKey, String, Table, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import audit
from core.accounts.models import User
from core.db import as_utc, db, now_utc
from core.districts import District
from core.errors import DomainError
from core.i18n import _

KEY_PATTERN = re.compile(r"^gsk_([0-9a-f]{10})_([A-Za-z0-9_-]{43})$")
#: Noting the time of use costs a write: at most once a minute per key.
LAST_USED_RESOLUTION = timedelta(minutes=1)

platform_key_district = Table(
    "platform_key_district",
    db.metadata,
    Column("key_id", ForeignKey("platform_key.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("district.id", ondelete="CASCADE"), primary_key=True),
)


class PlatformKey(db.Model):
    """One API key of a supplier's platform (supplier_id set) or of a gas utility (districts set)."""

    __tablename__ = "platform_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public part of the key (10 hex digits), shown in lists so that people can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(10), unique=True)
    #: SHA-256 (hex) of the whole key; the key itself is never stored.
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    supplier = relationship("Supplier")
    districts: Mapped[list[District]] = relationship(secondary=platform_key_district, lazy="selectin",
                                                     order_by=District.code)
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def kind(self) -> str:
        """"supplier" (posts its devices' events) or "utility" (reads its districts' devices and alarms)."""
        return "supplier" if self.supplier_id is not None else "utility"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def district_ids(self) -> set[int]:
        return {d.id for d in self.districts}

    @property
    def label(self) -> str:
        """How the key appears in the audit log and lists: gsk_<prefix>… (never the secret)."""
        return f"gsk_{self.prefix}…"

    @property
    def actor(self) -> KeyActor:
        return KeyActor(self)

    def __repr__(self) -> str:
        return f"<PlatformKey {self.prefix} {self.kind}>"


class KeyActor:
    """The audit log's actor for what a key did (no user: the platform behind the key)."""

    id = None

    def __init__(self, key: PlatformKey):
        owner = f"supplier {key.supplier_id}" if key.supplier_id else "utility " + ",".join(
            d.code for d in key.districts)
        self.login_label = f"platform key {key.label} ({owner})"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def create_key(actor, *, name: str, supplier=None, districts: list[District] | None = None
               ) -> tuple[PlatformKey, str]:
    """A new key for a supplier or for a gas utility's districts; returns it with the key text (shown once)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError(_("请填写密钥名称（不超过 100 个字），例如“设备平台生产环境”。"), field="name")
    if (supplier is None) == (not districts):
        raise DomainError(_("密钥必须属于一家销售安装单位，或属于燃气企业负责的区县。"))
    prefix = secrets.token_hex(5)
    while db.session.scalar(select(PlatformKey.id).where(PlatformKey.prefix == prefix)) is not None:
        prefix = secrets.token_hex(5)  # pragma: no cover - 1 in 10^12
    token = f"gsk_{prefix}_{secrets.token_urlsafe(32)}"
    key = PlatformKey(prefix=prefix, secret_hash=_digest(token), name=name,
                      supplier_id=getattr(supplier, "id", None), created_by_id=getattr(actor, "id", None),
                      districts=list(districts or []))
    db.session.add(key)
    db.session.flush()
    audit.record(actor, "platform_key.created", key, {"prefix": (None, prefix), "name": (None, name)},
                 extra={"kind": key.kind, "supplier_id": key.supplier_id,
                        "districts": [d.code for d in key.districts]})
    return key, token


def revoke_key(key: PlatformKey, actor) -> bool:
    """Revoke a key at once; False when it already was."""
    if key.revoked_at is not None:
        return False
    now = now_utc()
    # a conditional UPDATE: of two revocations at once (two clicks, the page and the CLI) only one is recorded
    claimed = db.session.scalar(update(PlatformKey).where(PlatformKey.id == key.id, PlatformKey.revoked_at.is_(None))
                                .values(revoked_at=now, revoked_by_id=getattr(actor, "id", None))
                                .returning(PlatformKey.id).execution_options(synchronize_session=False))
    db.session.refresh(key)
    if claimed is None:
        return False
    audit.record(actor, "platform_key.revoked", key, {"revoked_at": (None, now)},
                 extra={"prefix": key.prefix, "kind": key.kind})
    db.session.flush()
    return True


def authenticate(token: str | None) -> PlatformKey | None:
    """The live key that `token` is, or None (malformed, unknown, wrong secret or revoked)."""
    match = KEY_PATTERN.match(token or "")
    if match is None:
        return None
    key = db.session.scalar(select(PlatformKey).where(PlatformKey.prefix == match.group(1)))
    if key is None or not hmac.compare_digest(key.secret_hash, _digest(token)) or key.revoked_at is not None:
        return None
    now = now_utc()
    last = as_utc(key.last_used_at)
    if last is None or now - last >= LAST_USED_RESOLUTION:
        # a plain UPDATE (no audit: using a key is not a change a person makes); the caller commits
        db.session.execute(update(PlatformKey).where(PlatformKey.id == key.id).values(last_used_at=now))
    return key


def supplier_keys(supplier_id: int) -> list[PlatformKey]:
    """The supplier's keys, live ones first, newest first."""
    return list(db.session.scalars(select(PlatformKey).where(PlatformKey.supplier_id == supplier_id).order_by(
        PlatformKey.revoked_at.is_not(None), PlatformKey.created_at.desc(), PlatformKey.id.desc())))


def utility_keys(district_ids: set[int] | list[int]) -> list[PlatformKey]:
    """Utility keys covering any of these districts, live ones first, newest first."""
    ids = select(platform_key_district.c.key_id).where(platform_key_district.c.district_id.in_(list(district_ids)))
    return list(db.session.scalars(select(PlatformKey).where(PlatformKey.id.in_(ids)).order_by(
        PlatformKey.revoked_at.is_not(None), PlatformKey.created_at.desc(), PlatformKey.id.desc())))

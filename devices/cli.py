"""`flask --app wsgi devices sweep` and `flask --app wsgi keys create|list|revoke`.

`keys create` prints what it made and then the key alone on its last line (SPEC 3.4), so that a script can take
it with `tail -n 1`; the key is shown this once and never stored, logged or audited.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.clock import to_shanghai
from core.db import db
from core.districts import District
from core.errors import DomainError
from devices.sweep import sweep
from suppliers import keys
from suppliers.keys import PlatformKey
from suppliers.models import Supplier

devices_cli = AppGroup("devices", help="The installed-device register and its platform.")
keys_cli = AppGroup("keys", help="Platform keys of suppliers and gas utilities.")

#: `gsk_<prefix>`, the bare prefix, the list's `gsk_<prefix>…`, or a whole key.
PREFIX_ARGUMENT = re.compile(r"^(?:gsk_)?([0-9a-f]{10})(?:…|_[A-Za-z0-9_-]*)?$")


def _when(value) -> str:
    return to_shanghai(value).strftime("%Y-%m-%d %H:%M %z") if value is not None else "-"


def _parse_now(_ctx, _param, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r} (e.g. 2026-12-04T10:00:00+08:00)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@devices_cli.command("sweep")
@click.option("--now", callback=_parse_now, metavar="ISO",
              help="Sweep as of this time (ISO 8601; without an offset it is read as UTC). Default: now.")
def sweep_command(now: datetime | None) -> None:
    """Mark silent devices offline, announce devices due for replacement, escalate unacknowledged alarms and
    backfill address search tokens. Safe to run twice and from several machines at once."""
    result = sweep(now)
    click.echo(f"devices marked offline: {result.offline}; due for replacement announced: "
               f"{result.replacement_due}; alarms escalated: {result.escalated}; "
               f"address tokens backfilled: {result.tokens}")


def _districts(codes: tuple[str, ...]) -> list[District]:
    wanted = list(dict.fromkeys(code.strip() for code in codes))
    found = {d.code: d for d in db.session.scalars(select(District).where(District.code.in_(wanted)))}
    unknown = [code for code in wanted if code not in found]
    if unknown and db.session.scalar(select(District.id).limit(1)) is None:
        raise click.ClickException("the database holds no districts yet (seed-demo loads them)")
    if unknown:
        raise click.ClickException(f"unknown district code(s): {', '.join(unknown)} (a code is like 500103)")
    return [found[code] for code in wanted]


def _owner(key: PlatformKey) -> str:
    if key.supplier_id is not None:
        return f"supplier {key.supplier_id} ({key.supplier.legal_name})"
    return "utility " + ",".join(d.code for d in key.districts)


@keys_cli.command("create")
@click.option("--supplier", "supplier_id", type=int, metavar="ID", help="The supplier whose platform posts events.")
@click.option("--utility", "codes", multiple=True, metavar="DISTRICT",
              help="A district code (e.g. 500103) whose devices and alarms the gas utility reads; repeatable.")
@click.option("--name", default=None, help="What the key is for (default: 'cli <date>').")
def create_command(supplier_id: int | None, codes: tuple[str, ...], name: str | None) -> None:
    """Create a platform key; the key is printed alone on the last line, this once."""
    if (supplier_id is None) == (not codes):
        raise click.UsageError("give either --supplier ID or --utility DISTRICT (repeatable), not both")
    supplier = districts = None
    if supplier_id is not None:
        supplier = db.session.get(Supplier, supplier_id)
        if supplier is None:
            raise click.ClickException(f"no supplier with id {supplier_id}")
    else:
        districts = _districts(codes)
    name = name if name is not None else f"cli {to_shanghai(datetime.now(UTC)).date().isoformat()}"
    try:
        key, token = keys.create_key(None, name=name, supplier=supplier, districts=districts)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"created platform key {key.label} '{key.name}' for {_owner(key)}.")
    click.echo("It is shown only this once and cannot be recovered: store it now. The key:")
    click.echo(token)


@keys_cli.command("list")
@click.option("--supplier", "supplier_id", type=int, metavar="ID", help="Only this supplier's keys.")
@click.option("--utility", "code", metavar="DISTRICT", help="Only utility keys covering this district.")
def list_command(supplier_id: int | None, code: str | None) -> None:
    """List platform keys (prefix, name, owner, created, last used, revoked), never the keys themselves."""
    if supplier_id is not None and code is not None:
        raise click.UsageError("give --supplier ID or --utility DISTRICT, not both")
    if supplier_id is not None:
        if db.session.get(Supplier, supplier_id) is None:
            raise click.ClickException(f"no supplier with id {supplier_id}")
        rows = keys.supplier_keys(supplier_id)
    elif code is not None:
        rows = keys.utility_keys({_districts((code,))[0].id})
    else:
        rows = list(db.session.scalars(select(PlatformKey).order_by(
            PlatformKey.revoked_at.is_not(None), PlatformKey.created_at.desc(), PlatformKey.id.desc())))
    if not rows:
        click.echo("no platform keys")
        return
    click.echo("\t".join(("prefix", "name", "owner", "created", "last used", "revoked")))
    for key in rows:
        click.echo("\t".join((key.label, key.name, _owner(key), _when(key.created_at),
                              _when(key.last_used_at) if key.last_used_at else "never", _when(key.revoked_at))))


@keys_cli.command("revoke")
@click.argument("prefix")
def revoke_command(prefix: str) -> None:
    """Revoke a key at once, by its prefix (gsk_<prefix> or the bare 10 hex digits)."""
    match = PREFIX_ARGUMENT.match(prefix.strip())
    if match is None:
        raise click.BadParameter("expected gsk_ followed by 10 hex digits, or the 10 hex digits alone",
                                 param_hint="PREFIX")
    key = db.session.scalar(select(PlatformKey).where(PlatformKey.prefix == match.group(1)))
    if key is None:
        raise click.ClickException(f"no platform key with prefix {match.group(1)}")
    if not keys.revoke_key(key, None):
        click.echo(f"platform key {key.label} was already revoked at {_when(key.revoked_at)}")
        return
    db.session.commit()
    click.echo(f"revoked platform key {key.label} of {_owner(key)}")

"""Core commands: users create, audit verify."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core import audit, audit_anchor
from core.accounts import passwords, services
from core.db import db
from core.districts import District
from core.errors import DomainError
from core.permissions import DISTRICT_SCOPED, Role

#: Operator-facing reasons for a refused password (the web forms show translated ones).
PASSWORD_PROBLEMS = {
    "short": "at least 10 characters (at most 128)",
    "common": "too common, easy to guess",
    "trivial": "only repeated or consecutive characters",
    "personal": "contains the email, mobile number or name",
}
users_cli = AppGroup("users", help="Manage accounts.")
audit_cli = AppGroup("audit", help="Audit log tools.")


@users_cli.command("create")
@click.option("--email", help="Login email.")
@click.option("--phone", help="Login mobile number.")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([r.value for r in Role]), help="Role (repeatable).")
@click.option("--district", "districts", multiple=True, help="District code for district-scoped roles.")
@click.password_option(help="Initial password (prompted when omitted).")
def create_user_command(email, phone, display_name, roles, districts, password):
    """Create an account: official, regulator, inspector, admin (or any role)."""
    district_ids = []
    for code in districts:
        district = db.session.scalar(select(District).where(District.code == code))
        if district is None:
            raise click.BadParameter(f"unknown district code {code}", param_hint="--district")
        district_ids.append(district.id)
    grants = []
    for role in map(Role, roles):
        if role in DISTRICT_SCOPED:
            if not district_ids:
                raise click.BadParameter(f"role {role} needs --district", param_hint="--district")
            grants += [(role, d) for d in district_ids]
        else:
            grants.append((role, None))
    problem = passwords.password_problem(password, email=email, phone=phone, name=display_name)
    if problem is not None:
        raise click.BadParameter(PASSWORD_PROBLEMS[problem], param_hint="--password")
    try:
        user = services.create_user(email=email, phone=phone, password=password,
                                    display_name=display_name, actor=None, roles=grants)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"created user {user.id} ({user.login_label}) with roles {', '.join(roles)}")


@audit_cli.command("verify")
@click.option("--anchor", "anchor_value", metavar="ID:HASH",
              help="Check against a head anchor kept elsewhere (default: the anchor file).")
def verify_command(anchor_value):
    """Check the keyed hash chain and its head anchor; exit 1 naming what was found."""
    path = current_app.config.get("AUDIT_ANCHOR_PATH")
    if anchor_value is not None:
        anchor = audit_anchor.parse_anchor(anchor_value)
        if anchor is None:
            raise click.BadParameter("expected ID:HASH (64 hex digits)", param_hint="--anchor")
        source = "--anchor"
    else:
        anchor = audit_anchor.read_anchor(path) if path else None
        source = path
    result = audit.verify_chain(anchor)
    if result.ok and anchor is None and result.checked and path:
        result.ok, result.problem = False, "anchor_missing"
    if result.ok:
        click.echo(f"audit log OK: {result.checked} entries verified"
                   + (f" against the anchor from {source}" if anchor else ""))
        if result.head_id:
            click.echo(f"head anchor (keep a copy elsewhere): "
                       f"{audit_anchor.format_anchor(result.head_id, result.head_hash)}")
        return
    click.echo(f"audit log BROKEN: {result.describe(path)} ({result.checked} entries verified before it)",
               err=True)
    current_app.logger.error("audit chain broken: %s", result.describe(path))
    raise SystemExit(1)

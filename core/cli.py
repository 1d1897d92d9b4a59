"""Core commands: users create, audit verify."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core import audit
from core.accounts import services
from core.db import db
from core.districts import District
from core.errors import DomainError
from core.permissions import DISTRICT_SCOPED, Role

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
    if len(password) < 10:
        raise click.BadParameter("at least 10 characters", param_hint="--password")
    try:
        user = services.create_user(email=email, phone=phone, password=password,
                                    display_name=display_name, actor=None, roles=grants)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"created user {user.id} ({user.login_label}) with roles {', '.join(roles)}")


@audit_cli.command("verify")
def verify_command():
    """Check the hash chain; exit 1 naming the first bad entry."""
    result = audit.verify_chain()
    if result.ok:
        click.echo(f"audit log OK: {result.checked} entries verified")
        return
    click.echo(f"audit log BROKEN at entry {result.bad_entry_id}: {result.problem} "
               f"({result.checked} entries verified before it)", err=True)
    current_app.logger.error("audit chain broken at %s", result.bad_entry_id)
    raise SystemExit(1)

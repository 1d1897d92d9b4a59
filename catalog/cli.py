"""Commands of the catalog package."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from catalog import services
from core.db import db

catalog_cli = AppGroup("catalog", help="catalog commands.")


@catalog_cli.command("recheck")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Check against this date (default: today, Shanghai).")
def recheck_command(as_of: str | None) -> None:
    """Daily: expire certificates and re-validate every submitted or valid product."""
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise click.BadParameter("expected YYYY-MM-DD", param_hint="--as-of") from exc
    summary = services.recheck(day)
    db.session.commit()
    click.echo(f"recheck as of {summary.as_of.isoformat()}: {summary.checked} products checked, "
               f"{summary.expired_certificates} certificates expired, {len(summary.invalidated)} products "
               f"invalidated, {summary.validated} validated")
    for product_id in summary.invalidated:
        click.echo(f"  invalidated product {product_id}")

"""`flask --app wsgi orders ...`: the scheduled sweep."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from orders.sweep import sweep

orders_cli = AppGroup("orders", help="Orders: the scheduled sweep.")


@orders_cli.command("sweep")
def sweep_command() -> None:
    """Cancel orders unpaid past ORDER_PAYMENT_TIMEOUT_HOURS, confirm installations unconfirmed past
    ORDER_AUTO_CONFIRM_DAYS, retry refunds that did not reach the provider. Safe to run twice."""
    result = sweep()
    click.echo(f"unpaid orders expired: {len(result.expired)}; installations auto-confirmed: "
               f"{len(result.confirmed)}; refunds requested: {len(result.refunds)}"
               + (f"; busy orders skipped: {len(result.skipped)}" if result.skipped else ""))

"""`flask --app wsgi complaints deadlines|price-monitor|calendar-seed`: scheduled daily, safe to run twice and
from several machines at once (each run commits once; the flags and monitor keys make a repeat do nothing)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.db import db

complaints_cli = AppGroup("complaints", help="Complaints: deadline flags, the price monitor, the holiday table.")


@complaints_cli.command("deadlines")
def deadlines_command() -> None:
    """Flag overdue cases and cases due within 2 working days and tell the assigned officer; list overdue
    rectification orders; end blacklists whose last day has passed."""
    from complaints.deadlines import flag_deadlines
    from complaints.sanctions import lift_lapsed_blacklists, overdue_rectifications

    summary = flag_deadlines()
    lifted = lift_lapsed_blacklists()
    late = overdue_rectifications()
    db.session.commit()
    click.echo(f"overdue: {summary.overdue}, due soon: {summary.due_soon}, told: {summary.told}, "
               f"without holiday data: {summary.unknown}")
    click.echo(f"rectification orders overdue: {len(late)}, blacklists ended: {len(lifted)}")


@complaints_cli.command("price-monitor")
def price_monitor_command() -> None:
    """Look for inflated, sharply raised and concerted prices on the current lists; open one JC- case each."""
    from complaints.price_monitor import run_monitor

    opened = run_monitor()
    db.session.commit()
    click.echo(f"price monitor: new cases: {len(opened)}" + "".join(f"\n  {case.number}" for case in opened))


@complaints_cli.command("calendar-seed")
def calendar_seed_command() -> None:
    """Add the years the chinese-calendar package knows that the holiday table lacks (idempotent)."""
    from complaints.working_days import known_years, seed_calendar

    added = seed_calendar()
    db.session.commit()
    years = known_years()
    click.echo(f"holiday table: years added: {added}; known {years[0]}–{years[-1]}" if years else "empty")

"""`flask --app wsgi report monthly --district CODE|--city --month YYYY-MM --format csv|json|xlsx` and
`flask --app wsgi report refresh`.

`monthly` writes the report to standard output (or `--output FILE`); an unknown district, a malformed or future
month, or a missing choice exits non-zero with one line on standard error, never a traceback.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from core.db import db
from core.districts import District
from reports import exports, monthly, rollup
from reports.months import Month

report_cli = AppGroup("report", help="Monthly statistics of the districts and the city (SPEC 3.7).")


def _month(_ctx, _param, value: str | None) -> Month:
    if value is None:
        return Month.current()
    month = Month.parse(value)
    if month is None:
        raise click.BadParameter(f"{value!r} is not a month; write YYYY-MM, e.g. 2026-11")
    if month > Month.current():
        raise click.BadParameter(f"{month} has not begun yet (Asia/Shanghai); the latest month is {Month.current()}")
    return month


@report_cli.command("monthly")
@click.option("--district", "district_code", metavar="CODE", help="The district's code (e.g. 500103).")
@click.option("--city", is_flag=True, help="The whole city, one row per district.")
@click.option("--month", callback=_month, metavar="YYYY-MM",
              help="An Asia/Shanghai month; default: the current one (figures to date).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv", show_default=True)
@click.option("--lang", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True,
              help="The language of the CSV and XLSX labels.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of standard output.")
def monthly_command(district_code: str | None, city: bool, month: Month, fmt: str, lang: str,
                    output: str | None) -> None:
    """Print the monthly report of one district or of the city."""
    if bool(district_code) == city:
        raise click.UsageError("give either --district CODE or --city")
    with force_locale(lang):
        if city:
            report = monthly.city_report(month)
            sheets = exports.city_sheets(report)
        else:
            district = db.session.scalar(select(District).where(District.code == district_code.strip()))
            if district is None:
                raise click.BadParameter(f"no district has the code {district_code!r}; "
                                         "see data/chongqing_districts.csv", param_hint="--district")
            report = monthly.district_report(district, month)
            sheets = exports.district_sheets(report)
        if fmt == "json":
            body = (exports.json_text(report) + "\n").encode("utf-8")
        elif fmt == "csv":
            body = exports.csv_bytes(sheets)
        else:
            body = exports.xlsx_bytes(sheets)
    if output:
        with open(output, "wb") as fh:
            fh.write(body)
        click.echo(f"wrote {output} ({len(body):,} bytes)", err=True)
    elif fmt == "xlsx" and sys.stdout.isatty():
        raise click.UsageError("an XLSX file is binary: give --output FILE or redirect standard output")
    else:
        click.echo(body, nl=False)  # bytes go to the binary standard output


@report_cli.command("refresh")
def refresh_command() -> None:
    """Rebuild the report rollup for every closed month (run nightly; safe to run twice)."""
    result = rollup.refresh()
    db.session.commit()
    months = f"{result.first_month} to {result.last_month}" if result.first_month else "no closed month with data"
    click.echo(f"report rollup rebuilt: {months}; {result.cells:,} cell rows in {result.seconds:.1f} s")

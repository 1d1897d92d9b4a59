"""Commands of the registry package."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.clock import today_shanghai
from core.districts import all_districts
from registry.lists import queries
from registry.lists import services as list_services

registry_cli = AppGroup("registry", help="District lists.")


@registry_cli.command("check")
@click.option("--district", "code", help="Only this district code.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Check as of this date.")
def check_command(code: str | None, as_of) -> None:
    """Re-run the section 4 check on every current published list; exit 1 when one falls short."""
    districts = [queries.district_by_code(code)] if code else all_districts()
    if districts == [None]:
        raise click.BadParameter(f"unknown district code {code}", param_hint="--district")
    today = as_of.date() if as_of else today_shanghai()
    failing = 0
    for district in districts:
        version = queries.current_version(district)
        if version is None:
            continue
        problems = list_services.check_current_list(district, today=today)
        status = "OK" if not problems else f"{len(problems)} problem(s)"
        click.echo(f"{district.code} {district.name} version {version.number}: {status}")
        for problem in problems:
            click.echo(f"  [{problem.rule}] {problem.message}")
        failing += bool(problems)
    click.echo(f"{failing} published list(s) fall short of section 4 as of {today.isoformat()}")
    if failing:
        raise SystemExit(1)

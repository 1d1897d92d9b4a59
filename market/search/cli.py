"""`flask --app wsgi search reindex|apply|check`: maintain the search index."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from whoosh.index import LockError

from market import listing
from market.search import index, outbox, reconcile

search_cli = AppGroup("search", help="Search index commands.")


@search_cli.command("reindex")
def reindex_command():
    """Rebuild the index from the database (products on current published lists)."""
    try:
        count = index.reindex()
    except LockError:
        raise click.ClickException("the search index is being written by another process; try again") from None
    click.echo(f"indexed {count} listed products")


@search_cli.command("apply")
def apply_command():
    """Apply queued index changes (the outbox); safe to run from a scheduler."""
    applied = outbox.apply_outbox(timeout=10.0)
    if applied is None:
        raise click.ClickException("the search index is being written by another process; try again")
    click.echo(f"applied {applied} queued changes")


@search_cli.command("check")
@click.option("--repair", is_flag=True, help="Rewrite exactly the differing documents, then check again.")
def check_command(repair: bool):
    """Compare the index with the database document by document; exit 1 while they differ."""
    found = reconcile.differences()
    _report(found)
    if repair and any(found.values()):
        try:
            written = reconcile.repair()
        except LockError:
            raise click.ClickException("the search index is being written by another process; try again") from None
        click.echo(f"repaired {written} documents")
        found = reconcile.differences()
        _report(found)
    if any(found.values()):
        raise SystemExit(1)


def _report(found: dict[str, list[int]]) -> None:
    listed = set(listing.listed_districts())
    indexed = index.indexed_ids()
    queued = outbox.queued_count()
    click.echo(f"listed {len(listed)}, indexed {len(indexed)}, missing {found['missing'][:20]}, "
               f"extra {found['extra'][:20]}, stale {found['stale'][:20]}, queued {queued}")

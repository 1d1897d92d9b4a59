"""`flask --app wsgi search reindex|apply|check`: maintain the search index."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from whoosh.index import LockError

from market import listing
from market.search import index, outbox

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
def check_command():
    """Compare the index with the database; exit 1 when they differ (repair with `search reindex`)."""
    listed = set(listing.listed_districts())
    indexed = index.indexed_ids()
    missing, extra = sorted(listed - indexed), sorted(indexed - listed)
    click.echo(f"listed {len(listed)}, indexed {len(indexed)}, missing {missing[:20]}, extra {extra[:20]}")
    if missing or extra:
        raise SystemExit(1)

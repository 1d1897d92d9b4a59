"""`flask --app wsgi search reindex|apply|check`: maintain the search index."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from whoosh.index import LockError

from catalog import search

search_cli = AppGroup("search", help="Search index commands.")


@search_cli.command("reindex")
def reindex_command():
    """Rebuild the index from the database (products on current published lists)."""
    try:
        count = search.reindex()
    except LockError:
        raise click.ClickException("the search index is being written by another process; try again") from None
    click.echo(f"indexed {count} listed products")


@search_cli.command("apply")
def apply_command():
    """Apply queued index changes (the outbox); safe to run from a scheduler."""
    applied = search.apply_outbox(timeout=10.0)
    if applied is None:
        raise click.ClickException("the search index is being written by another process; try again")
    click.echo(f"applied {applied} queued changes")


@search_cli.command("check")
def check_command():
    """Compare the index with the database; exit 1 when they differ (repair with `search reindex`)."""
    listed = set(search.listed_districts())
    indexed = search.indexed_ids()
    missing, extra = sorted(listed - indexed), sorted(indexed - listed)
    click.echo(f"listed {len(listed)}, indexed {len(indexed)}, missing {missing[:20]}, extra {extra[:20]}")
    if missing or extra:
        raise SystemExit(1)

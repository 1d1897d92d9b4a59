"""`flask search check|apply|reindex`: the index compared with what the registry lists."""
# ruff: noqa: F811 - pytest fixtures imported from search_factories are used as parameters

from __future__ import annotations

from market.search import index
from tests.market.search_factories import catalog_data, listing  # noqa: F401


def test_check_passes_when_index_matches_and_fails_when_it_does_not(app, catalog_data):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0 and "listed 5, indexed 5" in result.output
    index.clear_index()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and "indexed 0" in result.output
    assert runner.invoke(args=["search", "reindex"]).output.strip() == "indexed 5 listed products"
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert runner.invoke(args=["search", "apply"]).output.strip() == "applied 0 queued changes"

"""Commands of the catalog package."""

from flask.cli import AppGroup

catalog_cli = AppGroup("catalog", help="catalog commands.")

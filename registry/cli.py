"""Commands of the registry package."""

from flask.cli import AppGroup

registry_cli = AppGroup("registry", help="registry commands.")

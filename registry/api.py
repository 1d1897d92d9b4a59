"""Open JSON API of the registry under /api/v1."""

from flask import Blueprint

bp = Blueprint("registry_api", __name__, url_prefix="/api/v1")

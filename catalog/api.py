"""Open JSON API of the catalog under /api/v1."""

from flask import Blueprint

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")

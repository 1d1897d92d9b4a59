"""Pages of the complaints package."""

from flask import Blueprint

bp = Blueprint("complaints", __name__)

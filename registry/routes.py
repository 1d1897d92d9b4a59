"""Registry pages: the public, solicitation, official and district-admin pages are child blueprints."""

from __future__ import annotations

from flask import Blueprint

from registry.districts.household_routes import bp as household_bp
from registry.districts.routes import bp as district_admin_bp
from registry.lists.official_routes import bp as official_bp
from registry.lists.public_routes import bp as public_bp
from registry.solicitations.routes import bp as solicitations_bp

bp = Blueprint("registry", __name__)
for _child in (public_bp, solicitations_bp, official_bp, district_admin_bp, household_bp):
    bp.register_blueprint(_child)

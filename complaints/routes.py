"""Pages of the complaints package: each part of the workflow is a child blueprint."""

from __future__ import annotations

from flask import Blueprint

from complaints.calendar_routes import bp as calendar_bp
from complaints.filing_routes import bp as filing_bp
from complaints.price_routes import bp as price_flags_bp
from complaints.regulator_routes import bp as regulator_bp
from complaints.sanction_routes import bp as sanctions_bp
from complaints.supplier_case_routes import bp as supplier_cases_bp
from complaints.typical_routes import bp as typical_bp

bp = Blueprint("complaints", __name__)
for _child in (filing_bp, regulator_bp, supplier_cases_bp, sanctions_bp, price_flags_bp, typical_bp, calendar_bp):
    bp.register_blueprint(_child)

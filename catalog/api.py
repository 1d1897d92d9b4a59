"""Open JSON API of the catalog under /api/v1: the 附件3 tier validator (SPEC section 5)."""

from flask import Blueprint, jsonify, request

from catalog import tiers
from catalog.validation_input import DeclarationError, decode_json_body
from core.web import error_response

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")


@bp.post("/products/validate")
def validate_product():
    """Validate one product declaration; 200 with the verdict (even when not valid), 400 when malformed."""
    try:
        verdict = tiers.validate(decode_json_body(request))
    except DeclarationError as exc:  # `field` is `body` when the whole body is at fault
        return error_response(400, exc.message, error_code=exc.code, field=exc.field)
    return jsonify(verdict)

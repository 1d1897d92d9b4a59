"""Open JSON API of the catalog under /api/v1."""

from datetime import date

from flask import Blueprint, jsonify, request

from catalog import search, tiers
from catalog.models import Product
from catalog.openapi import openapi_document
from catalog.search_params import parse_params
from catalog.validation_input import DeclarationError, decode_json_body
from core.db import db
from core.i18n import _
from core.web import error_response

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")


# --- POST /products/validate: the 附件3 tier validator (SPEC section 5) -----------------------------------


@bp.post("/products/validate")
def validate_product():
    """Validate one product declaration; 200 with the verdict (even when not valid), 400 when malformed."""
    try:
        verdict = tiers.validate(decode_json_body(request))
    except DeclarationError as exc:  # `field` is `body` when the whole body is at fault
        return error_response(400, exc.message, error_code=exc.code, field=exc.field)
    return jsonify(verdict)


# --- GET /products, /products/{id}, /openapi.json: search over the published lists (SPEC section 7) -------

def _iso(value):
    return value.isoformat() if isinstance(value, date) else getattr(value, "value", value)


def product_public(product, districts: list[str], prices: dict[str, tuple[int, int]] | None = None,
                   district: str | None = None) -> dict:
    """SPEC 7 product fields + supplier {id, name} + the districts whose current list carries it.

    Prices are the published ones: in `district` when given, else the lowest; `district_prices` (an
    extension) gives each district's published price and fee.
    """
    price_fen, install_fee_fen = search.published_price(product, prices, district)
    return {
        "id": product.id, "device_type": _iso(product.device_type), "usage": _iso(product.usage),
        "tier": _iso(product.tier), "brand": product.brand, "model": product.model,
        "price_fen": price_fen, "install_fee_fen": install_fee_fen,
        "early_price_fen": product.early_price_fen, "early_price_until": _iso(product.early_price_until),
        "warranty_months": product.warranty_months, "smart": bool(product.smart),
        "features": list(product.features or []), "standards": list(product.standards or []),
        "certificates": [{"kind": _iso(c.kind), "number": c.number, "issuer": c.issuer,
                          "valid_until": _iso(c.valid_until)} for c in product.certificates],
        "supplier": {"id": product.supplier_id, "name": getattr(product.supplier, "legal_name", None)},
        "districts": list(districts),
        "district_prices": {code: {"price_fen": p, "install_fee_fen": f} for code, (p, f) in (prices or {}).items()},
    }


@bp.get("/products")
def list_products():
    """Full-text search with filters over products on a current published list."""
    params, errors = parse_params(request.args)
    if errors:
        first = errors[0]
        return error_response(400, first.message, error_code=first.code, field=first.field)
    found = search.search(params)
    products = {p.id: p for p in db.session.scalars(db.select(Product).where(Product.id.in_(found.ids)))}
    prices = search.published_prices(found.ids)
    results = [product_public(products[pid], found.districts[pid], prices.get(pid), params.district)
               for pid in found.ids if pid in products]
    return jsonify({"total": found.total, "page": found.page, "per_page": found.per_page, "results": results})


@bp.get("/products/<int:product_id>")
def get_product(product_id: int):
    """One listed product (404 when it is not on any current published list)."""
    districts = search.listed_districts([product_id]).get(product_id)
    product = db.session.get(Product, product_id) if districts else None
    if product is None:
        return error_response(404, _("该产品不在任何区县当前公布的目录清单上。"), error_code="not_found",
                              field="id")
    return jsonify(product_public(product, districts, search.published_prices([product_id]).get(product_id)))


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description of the open API."""
    return jsonify(openapi_document())

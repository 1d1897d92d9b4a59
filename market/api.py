"""Open JSON API of the market under /api/v1: search over the published lists (SPEC section 7)."""

from flask import Blueprint, jsonify, request

from catalog.public_fields import product_public
from core.i18n import _
from core.web import error_response
from market.departures import departure
from market.listing import listed_districts, load_products, published_price, published_prices
from market.openapi import openapi_document
from market.search.params import parse_params
from market.search.query import search

bp = Blueprint("market_api", __name__, url_prefix="/api/v1")


def listed_product(product, districts: list[str], prices: dict[str, tuple[int, int]] | None = None,
                   district: str | None = None) -> dict:
    """SPEC 7 product fields + supplier {id, name} + the districts whose current list carries it.

    Prices are the published ones: in `district` when given, else the lowest; `district_prices` (an
    extension) gives each district's published price and fee.
    """
    price_fen, install_fee_fen = published_price(product, prices, district)
    return {
        **product_public(product, price_fen=price_fen, install_fee_fen=install_fee_fen),
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
    found = search(params)
    products = load_products(found.ids)
    prices = published_prices(found.ids)
    results = [listed_product(products[pid], found.districts[pid], prices.get(pid), params.district)
               for pid in found.ids if pid in products]
    return jsonify({"total": found.total, "page": found.page, "per_page": found.per_page, "results": results})


@bp.get("/products/<int:product_id>")
def get_product(product_id: int):
    """One listed product; 410 with when and why for one that left the lists, 404 for one never listed."""
    districts = listed_districts([product_id]).get(product_id)
    product = load_products([product_id]).get(product_id) if districts else None
    if product is None and (gone := departure(product_id)) is not None:
        return jsonify(gone.as_json()), 410
    if product is None:
        return error_response(404, _("该产品不在任何区县当前公布的目录清单上。"), error_code="not_found",
                              field="id")
    return jsonify(listed_product(product, districts, published_prices([product_id]).get(product_id)))


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description of the open API."""
    return jsonify(openapi_document())

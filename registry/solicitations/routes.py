"""Public calls (公开征集) and the supplier's side: apply, see outcomes."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from catalog.models import DEVICE_TYPE_TITLES, TIER_TITLES, Product, ProductStatus
from core import nav
from core.clock import today_shanghai
from core.db import db
from core.i18n import _, _l
from core.permissions import Role, require_role
from core.views import submit
from registry.lists import queries
from registry.lists.forms import ApplicationForm
from registry.lists.models import (
    APPLICATION_STATUS_TITLES,
    CRITERIA_TITLES,
    SOLICITATION_STATUS_TITLES,
    Solicitation,
    SolicitationStatus,
)
from registry.solicitations import services as solicitation_services
from suppliers.queries import supplier_of

bp = Blueprint("solicitations", __name__)

nav.add("registry.solicitations.index", _l("公开征集"), public=True, order=20)
nav.add("registry.solicitations.my_applications", _l("我的征集申请"), roles=(Role.supplier,), order=40)


@bp.context_processor
def _titles():
    return {"status_titles": SOLICITATION_STATUS_TITLES, "application_titles": APPLICATION_STATUS_TITLES,
            "device_titles": DEVICE_TYPE_TITLES, "criteria_titles": CRITERIA_TITLES, "tier_titles": TIER_TITLES,
            "today": today_shanghai()}


def _my_listed_districts() -> dict[int, int]:
    """For a supplier's staff: district id → number of the current list version carrying their company."""
    if not (current_user.is_authenticated and current_user.has_role(Role.supplier)):
        return {}
    supplier = supplier_of(current_user)
    if supplier is None:
        return {}
    found = {}
    for district in queries.supplier_listed_districts(supplier.id):
        stamp = queries.current_version_stamp(district.id)
        if stamp:
            found[district.id] = stamp[1]
    return found


@bp.route("/solicitations")
def index():
    open_calls = db.session.scalars(queries.solicitations_query(status=SolicitationStatus.open)).all()
    closed = db.session.scalars(queries.solicitations_query(status=SolicitationStatus.closed).limit(20)).all()
    return render_template("registry/solicitations.html", open_calls=open_calls, closed=closed,
                           listed=_my_listed_districts())


@bp.route("/solicitations/<int:call_id>")
def detail(call_id: int):
    call = db.get_or_404(Solicitation, call_id)
    return render_template("registry/solicitation.html", call=call, listed=_my_listed_districts())


def _offerable(supplier_id: int, call: Solicitation) -> list[Product]:
    return list(db.session.scalars(select(Product).where(
        Product.supplier_id == supplier_id, Product.status == ProductStatus.valid,
        Product.device_type.in_(call.device_types)).order_by(Product.device_type, Product.tier, Product.id)))


@bp.route("/solicitations/<int:call_id>/apply", methods=["GET", "POST"])
@require_role(Role.supplier)
def apply(call_id: int):
    call = db.get_or_404(Solicitation, call_id)
    supplier = supplier_of(current_user) or abort(403)
    products = _offerable(supplier.id, call)
    form = ApplicationForm()
    if not form.is_submitted():
        for p in products:
            form.items.append_entry({"product_id": p.id, "offered": True, "price": p.price_fen,
                                     "install_fee": p.install_fee_fen})
    else:
        done = submit(form, lambda: solicitation_services.apply(call, supplier, actor=current_user,
                                                                items=form.offered_items(), note=form.note.data),
                      _("申请已提交，请等待区县经济信息部门评审。"), url_for("registry.solicitations.my_applications"))
        if done is not None:
            return done
    by_id = {p.id: p for p in products}
    refusal = solicitation_services.supplier_may_apply(supplier)
    return render_template("registry/apply.html", call=call, form=form, products=by_id, refusal=refusal)


@bp.route("/applications")
@require_role(Role.supplier)
def my_applications():
    supplier = supplier_of(current_user) or abort(403)
    return render_template("registry/my_applications.html",
                           applications=queries.supplier_applications(supplier.id))

"""Household category pages: the resident declares (/household/category), officials decide (/official/claims)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core import nav
from core.accounts.models import User
from core.db import db
from core.districts import all_districts
from core.errors import DomainError
from core.i18n import _, _l
from core.permissions import Role, require_role
from core.personal_data import mask_address, mask_name, record_view
from core.views import submit
from registry.districts import household_services as services
from registry.districts.household_claims import CLAIM_STATUS_TITLES, ClaimStatus, HouseholdCategoryClaim
from registry.districts.household_forms import CategoryClaimForm, RejectClaimForm, VerifyClaimForm, community_choices
from registry.districts.household_queries import claim_in_force, claims_of, communities_of, queue_query
from registry.districts.models import HOUSEHOLD_CATEGORY_TITLES, HouseholdCategory, OldCommunity
from registry.lists import queries as list_queries

bp = Blueprint("household", __name__)
PER_PAGE = 20
#: The personal fields that the claim detail page shows unmasked.
DETAIL_FIELDS = ("full_name", "address", "certificate_number")

nav.add("registry.household.category", _l("我的住户类别"), roles=(Role.resident,), order=60,
        only_if=lambda user: not user.is_organisation)  # household categories never apply to organisations
nav.add("registry.household.official_claims", _l("住户类别核验"), roles=(Role.district_official, Role.regulator),
        order=65)


@bp.context_processor
def _titles():
    return {"category_titles": HOUSEHOLD_CATEGORY_TITLES, "status_titles": CLAIM_STATUS_TITLES,
            "mask_name": mask_name, "mask_address": mask_address}


@bp.route("/household/category", methods=["GET", "POST"])
@require_role(Role.resident)
def category():
    user = current_user._get_current_object()
    claims = claims_of(user)
    context = {"claims": claims, "in_force": claim_in_force(user)}
    if user.is_organisation or user.home_district_id is None:
        if request.method == "POST":
            flash(_("单位用户不适用住户类别。") if user.is_organisation else _("请先在“我的账号”中填写所在区县。"),
                  "warning")
        return render_template("registry/household/category.html", **context, form=None)
    form = CategoryClaimForm()
    communities = communities_of(user.home_district_id)
    form.community.choices = community_choices(communities)

    def declare():
        community = db.session.get(OldCommunity, form.community.data) if form.community.data else None
        return services.declare_category(
            user, category=HouseholdCategory(form.category.data), full_name=form.full_name.data,
            address=form.address.data, community=community, certificate_number=form.certificate_number.data)

    done = submit(form, declare, _("申报已提交。"), url_for(".category"))
    if done is not None:
        return done
    return render_template("registry/household/category.html", **context, form=form,
                           has_communities=bool(communities))


def _choice(name: str, allowed) -> str | None:
    value = request.args.get(name, "")
    return value if value in allowed else None


@bp.get("/official/claims")
@require_role(Role.district_official, Role.regulator)
def official_claims():
    status = request.args.get("status", ClaimStatus.pending.value)
    status = status if status in ClaimStatus.__members__ else None
    category = _choice("category", [c.value for c in HouseholdCategory if c != HouseholdCategory.other])
    district = list_queries.district_by_code(request.args.get("district", "")) if request.args.get("district") else None
    query = queue_query(current_user, status=status, category=category,
                        district_id=district.id if district else None)
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    served = current_user.district_ids(Role.district_official)
    districts = [d for d in all_districts() if current_user.has_role(Role.regulator) or d.id in served]
    return render_template("registry/official/claims.html", page=page, status=status, category=category,
                           district=district, districts=districts)


def _readable_claim(claim_id: int) -> HouseholdCategoryClaim:
    """The claim, when the viewer is an official of its district or a regulator: 404 otherwise."""
    claim = db.session.get(HouseholdCategoryClaim, claim_id)
    if claim is None or claim.category == HouseholdCategory.other or not (
            current_user.is_official_of(claim.district_id) or current_user.has_role(Role.regulator)):
        abort(404)
    return claim


def _render_claim(claim, verify_form=None, reject_form=None, status: int = 200):
    viewer = current_user._get_current_object()
    record_view(viewer, claim.user_id, claim, [f for f in DETAIL_FIELDS if getattr(claim, f)])
    db.session.commit()
    return render_template("registry/official/claim.html", claim=claim,
                           claimant=db.session.get(User, claim.user_id),
                           verify_form=verify_form or VerifyClaimForm(formdata=None),
                           reject_form=reject_form or RejectClaimForm(formdata=None),
                           can_decide=claim.can_decide(viewer) and claim.awaiting_decision), status


@bp.get("/official/claims/<int:claim_id>")
@require_role(Role.district_official, Role.regulator)
def claim_detail(claim_id: int):
    return _render_claim(_readable_claim(claim_id))


def _decide(claim_id: int, form, action, success: str):
    claim = _readable_claim(claim_id)
    if not claim.can_decide(current_user):
        abort(403)
    if form.validate_on_submit():
        try:
            action(claim)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for(".claim_detail", claim_id=claim_id))
        db.session.commit()
        flash(success, "success")
        return redirect(url_for(".claim_detail", claim_id=claim_id))
    forms = {"verify_form": form} if isinstance(form, VerifyClaimForm) else {"reject_form": form}
    return _render_claim(claim, **forms)


@bp.post("/official/claims/<int:claim_id>/verify")
@require_role(Role.district_official)
def verify(claim_id: int):
    form, actor = VerifyClaimForm(), current_user._get_current_object()
    return _decide(claim_id, form, lambda c: services.verify_claim(c, actor=actor, note=form.note.data),
                   _("已核验通过，已通知申报人。"))


@bp.post("/official/claims/<int:claim_id>/reject")
@require_role(Role.district_official)
def reject(claim_id: int):
    form, actor = RejectClaimForm(), current_user._get_current_object()
    return _decide(claim_id, form, lambda c: services.reject_claim(c, actor=actor, reason=form.reason.data),
                   _("已退回，申报人会看到您填写的理由。"))

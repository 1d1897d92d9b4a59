"""District base data for officials: townships, old communities, targets, subsidy policies."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from catalog.models import DEVICE_TYPE_TITLES
from core.accounts.forms import EmptyForm
from core.db import db
from core.i18n import _
from core.permissions import Role, require_role
from core.request_args import int_arg
from core.views import submit
from registry.districts import services
from registry.districts.forms import CommunityForm, SubsidyForm, TargetForm, TownshipForm
from registry.districts.models import (
    HOUSEHOLD_CATEGORY_TITLES,
    SUBSIDY_KIND_TITLES,
    TOWNSHIP_KIND_TITLES,
    OldCommunity,
    SubsidyKind,
    SubsidyPolicy,
    Target,
    Township,
    TownshipKind,
)
from registry.lists import queries

bp = Blueprint("district_admin", __name__, url_prefix="/official/districts/<code>")
ROLES = (Role.district_official, Role.regulator)


@bp.context_processor
def _titles():
    return {"township_titles": TOWNSHIP_KIND_TITLES, "category_titles": HOUSEHOLD_CATEGORY_TITLES,
            "device_titles": DEVICE_TYPE_TITLES, "subsidy_titles": SUBSIDY_KIND_TITLES}


def _rows(model, district, *order):
    return db.session.scalars(select(model).where(model.district_id == district.id).order_by(*order)).all()


def _owned(model, district, object_id):
    obj = db.session.get(model, object_id) if object_id is not None else None
    if obj is None or obj.district_id != district.id:
        abort(404)
    return obj


def _district(code: str):
    """The district by code: 404 when there is none."""
    return queries.district_by_code(code) or abort(404)


def _township_choices(district, blank: bool):
    rows = [(t.id, t.name) for t in _rows(Township, district, Township.name)]
    return ([(0, _("（未指定）"))] if blank else []) + rows


@bp.route("/townships", methods=["GET", "POST"])
@require_role(*ROLES)
def townships(code: str):
    district = _district(code)
    if not district.can_oversee(current_user) or (request.method == "POST" and not district.can_manage(current_user)):
        abort(403)
    editing = _owned(Township, district, int_arg("edit")) if request.args.get("edit") else None
    form = TownshipForm(obj=editing)
    done = submit(form, lambda: services.save_township(district, actor=current_user, name=form.name.data,
                                                       kind=TownshipKind(form.kind.data), township=editing),
                  _("乡镇/街道已保存。"), url_for(".townships", code=code))
    if done is not None:
        return done
    return render_template("registry/official/townships.html", district=district, form=form, editing=editing,
                           rows=_rows(Township, district, Township.name),
                           delete_form=EmptyForm())


@bp.route("/townships/<int:township_id>/delete", methods=["POST"])
@require_role(Role.district_official)
def delete_township(code: str, township_id: int):
    district = _district(code)
    if not district.can_manage(current_user):
        abort(403)
    township = _owned(Township, district, township_id)
    back = url_for(".townships", code=code)
    return submit(EmptyForm(), lambda: services.delete_township(township, actor=current_user), _("已删除。"),
                  back) or redirect(back)


@bp.route("/communities", methods=["GET", "POST"])
@require_role(*ROLES)
def communities(code: str):
    district = _district(code)
    if not district.can_oversee(current_user) or (request.method == "POST" and not district.can_manage(current_user)):
        abort(403)
    editing = (_owned(OldCommunity, district, int_arg("edit"))
               if request.args.get("edit") else None)
    form = CommunityForm(obj=editing)
    form.township_id.choices = _township_choices(district, blank=True)

    def save():
        township = _owned(Township, district, form.township_id.data) if form.township_id.data else None
        services.save_community(district, actor=current_user, name=form.name.data, address=form.address.data,
                                township=township, community=editing)

    done = submit(form, save, _("老旧小区已保存。"), url_for(".communities", code=code))
    if done is not None:
        return done
    return render_template("registry/official/communities.html", district=district, form=form, editing=editing,
                           rows=_rows(OldCommunity, district, OldCommunity.name),
                           delete_form=EmptyForm())


@bp.route("/communities/<int:community_id>/delete", methods=["POST"])
@require_role(Role.district_official)
def delete_community(code: str, community_id: int):
    district = _district(code)
    if not district.can_manage(current_user):
        abort(403)
    community = _owned(OldCommunity, district, community_id)
    back = url_for(".communities", code=code)
    return submit(EmptyForm(), lambda: services.delete_community(community, actor=current_user), _("已删除。"),
                  back) or redirect(back)


@bp.route("/targets", methods=["GET", "POST"])
@require_role(*ROLES)
def targets(code: str):
    district = _district(code)
    if not district.can_oversee(current_user) or (request.method == "POST" and not district.can_manage(current_user)):
        abort(403)
    form = TargetForm()
    form.township_id.choices = _township_choices(district, blank=False)

    def save():
        services.set_target(district, actor=current_user, township=_owned(Township, district, form.township_id.data),
                            category=form.category.data, device_type=form.device_type.data, count=form.count.data)

    done = submit(form, save, _("目标已保存。"), url_for(".targets", code=code))
    if done is not None:
        return done
    rows = _rows(Target, district, Target.township_id, Target.category, Target.device_type)
    return render_template("registry/official/targets.html", district=district, form=form, rows=rows)


@bp.route("/subsidies", methods=["GET", "POST"])
@require_role(*ROLES)
def subsidies(code: str):
    district = _district(code)
    if not district.can_oversee(current_user) or (request.method == "POST" and not district.can_manage(current_user)):
        abort(403)
    form = SubsidyForm()

    def save():
        services.add_subsidy_policy(
            district, actor=current_user, category=form.category.data, device_type=form.device_type.data,
            kind=SubsidyKind(form.kind.data), amount_fen=form.amount.data, percent=form.percent.data,
            cap_fen=form.cap.data, valid_from=form.valid_from.data, valid_until=form.valid_until.data)

    done = submit(form, save, _("补贴政策已添加。"), url_for(".subsidies", code=code))
    if done is not None:
        return done
    rows = _rows(SubsidyPolicy, district, SubsidyPolicy.valid_from.desc(), SubsidyPolicy.id)
    return render_template("registry/official/subsidies.html", district=district, form=form, rows=rows)

"""The district official's workbench: dashboard, solicitations, reviews, the list and its publication."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from catalog.models import DEVICE_TYPE_TITLES, TIER_TITLES
from core import nav
from core.accounts.forms import EmptyForm
from core.db import db
from core.districts import District, all_districts
from core.errors import DomainError
from core.forms import attach_domain_error
from core.i18n import _, _l
from core.permissions import Role, require_role
from core.views import submit
from registry.lists import publication, queries
from registry.lists import services as list_services
from registry.lists.forms import PublishForm, RemoveSupplierForm, ReviewForm, SolicitationForm
from registry.lists.labels import resolved_titles
from registry.lists.models import (
    APPLICATION_STATUS_TITLES,
    CRITERIA_TITLES,
    SOLICITATION_STATUS_TITLES,
    Application,
    Solicitation,
)
from registry.solicitations import services as solicitation_services
from suppliers.models import Supplier

bp = Blueprint("official", __name__, url_prefix="/official")
OFFICIAL_ROLES = (Role.district_official, Role.regulator)

nav.add("registry.official.dashboard", _l("区县工作台"), roles=OFFICIAL_ROLES, order=60)


@bp.context_processor
def _titles():
    return {"status_titles": SOLICITATION_STATUS_TITLES, "application_titles": APPLICATION_STATUS_TITLES,
            "device_titles": DEVICE_TYPE_TITLES, "criteria_titles": CRITERIA_TITLES, "tier_titles": TIER_TITLES,
            "titles": resolved_titles(), **publication.TEMPLATE_HELPERS}


def _my_districts() -> list[District]:
    return [d for d in all_districts() if d.can_oversee(current_user)]


def _district(code: str) -> District:
    """The district by code: 404 when there is none."""
    return queries.district_by_code(code) or abort(404)


@bp.route("")
@require_role(*OFFICIAL_ROLES)
def dashboard():
    districts = _my_districts()
    current = queries.current_versions()
    official_ids = current_user.district_ids(Role.district_official)
    return render_template("registry/official/dashboard.html", districts=districts, current=current,
                           pending=queries.pending_applications(official_ids))


@bp.route("/districts/<code>/list", methods=["GET", "POST"])
@require_role(*OFFICIAL_ROLES)
def district_list(code: str):
    district = _district(code)
    if not district.can_oversee(current_user) or (request.method == "POST" and not district.can_manage(current_user)):
        abort(403)
    form = PublishForm()
    refused = []

    def keep_problems(exc):
        refused.extend(getattr(exc, "problems", ()))

    if request.method == "POST" and not (form.confirm.data or "").strip():
        # step 1: the checks, then the changes to confirm (nothing is written)
        if form.validate_on_submit():
            try:
                preview = list_services.preview_publication(district, exception_reason=form.exception_reason.data,
                                                            seen_number=form.seen())
            except DomainError as exc:
                db.session.rollback()
                if not attach_domain_error(form, exc):
                    flash(exc.message, "danger")
                keep_problems(exc)
            else:
                return render_template("registry/official/publish_confirm.html", district=district, form=form,
                                       preview=preview, seen_number=form.seen_number.data or "0")
    else:
        done = submit(form, lambda: list_services.publish_list(
            district, actor=current_user, seen_number=form.seen(), exception_reason=form.exception_reason.data,
            confirmed=form.confirm.data.strip()),
            lambda version: _("目录清单第 %(n)s 版已公布。", n=version.number),
            url_for("registry.official.district_list", code=code), on_error=keep_problems)
        if done is not None:
            return done
    problems = refused or list_services.check_working_list(district)
    return render_template("registry/official/list.html", district=district, form=form, problems=problems,
                           entries=queries.working_entries(district), version=queries.current_version(district),
                           remove_form=RemoveSupplierForm(),
                           pending=list_services.unpublished_changes(district))


@bp.route("/districts/<code>/list/remove/<int:supplier_id>", methods=["POST"])
@require_role(Role.district_official)
def remove_supplier(code: str, supplier_id: int):
    district = _district(code)
    if not district.can_manage(current_user):
        abort(403)
    supplier = db.get_or_404(Supplier, supplier_id)
    form = RemoveSupplierForm()
    back = url_for("registry.official.district_list", code=code)
    if not form.validate_on_submit():
        flash(_("请填写移出理由。"), "danger")
        return redirect(back)
    return submit(form, lambda: list_services.remove_supplier(district, supplier, actor=current_user,
                                                              reason=form.reason.data,
                                                              case_number=form.case_number.data or None),
                  lambda version: (_("已移出，生成清单第 %(n)s 版并发布公告。", n=version.number) if version
                                   else _("已从候选名单中移除。")), back) or redirect(back)


@bp.route("/districts/<code>/solicitations", methods=["GET", "POST"])
@require_role(*OFFICIAL_ROLES)
def solicitations(code: str):
    district = _district(code)
    if not district.can_oversee(current_user) or (request.method == "POST" and not district.can_manage(current_user)):
        abort(403)
    form = SolicitationForm()
    done = submit(form, lambda: solicitation_services.open_solicitation(
        district, actor=current_user, title=form.title.data, requirements=form.requirements.data,
        device_types=form.device_types.data, deadline=form.deadline.data, weights=form.weights()),
        _("公开征集已发布。"), lambda call: url_for("registry.official.solicitation", call_id=call.id))
    if done is not None:
        return done
    calls = db.session.scalars(queries.solicitations_query(district=district)).all()
    return render_template("registry/official/solicitations.html", district=district, form=form, calls=calls)


@bp.route("/solicitations/<int:call_id>")
@require_role(*OFFICIAL_ROLES)
def solicitation(call_id: int):
    call = db.get_or_404(Solicitation, call_id)
    if not call.can_oversee(current_user):
        abort(403)
    return render_template("registry/official/solicitation.html", call=call, form=EmptyForm())


@bp.route("/solicitations/<int:call_id>/close", methods=["POST"])
@require_role(Role.district_official)
def close_solicitation(call_id: int):
    call = db.get_or_404(Solicitation, call_id)
    if not call.can_manage(current_user):
        abort(403)
    back = url_for("registry.official.solicitation", call_id=call.id)
    return submit(EmptyForm(), lambda: solicitation_services.close_solicitation(call, actor=current_user),
                  _("征集已结束。"), back) or redirect(back)


@bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
@require_role(*OFFICIAL_ROLES)
def application(application_id: int):
    item = db.get_or_404(Application, application_id)
    call = item.solicitation
    if not call.can_oversee(current_user) or (request.method == "POST" and not call.can_manage(current_user)):
        abort(403)
    form = ReviewForm(obj=item)
    done = submit(form, lambda: solicitation_services.review_application(
        item, actor=current_user, scores=form.scores(), comment=form.comment.data,
        decision=form.decision.data or None, reason=form.reason.data),
        _("评审已保存。"), url_for("registry.official.solicitation", call_id=call.id))
    if done is not None:
        return done
    return render_template("registry/official/application.html", item=item, call=call, form=form)

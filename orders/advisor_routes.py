"""The requirement advisor page (/advisor, public) and the resident's dashboard (/dashboard)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from catalog.models import DEVICE_TYPE_TITLES
from core import nav
from core.clock import today_shanghai
from core.db import db
from core.districts import District, all_districts
from core.i18n import _l
from core.permissions import Role, require_role
from devices import queries as device_queries
from devices.models import ALARM_OUTCOME_TITLES, DEVICE_STATE_TITLES
from orders import advisor
from orders.advisor_forms import AdvisorForm
from orders.models import ORDER_STATE_TITLES, Order
from registry.districts.household_claims import CLAIM_STATUS_TITLES, ClaimStatus, HouseholdCategoryClaim
from registry.districts.models import HOUSEHOLD_CATEGORY_TITLES

bp = Blueprint("advisor", __name__)

nav.add("advisor.advisor_page", _l("要装什么"), public=True, order=5)
nav.add("advisor.dashboard", _l("我的"), roles=(Role.resident,), order=5)

DEVICE_LABELS = {("self_closing_valve", None): _l("安全自闭阀"),
                 ("leak_alarm", "household"): _l("家用燃气泄漏报警装置"),
                 ("leak_alarm", "commercial"): _l("商用燃气泄漏报警装置")}
#: What each device does, in plain words, for someone who has never seen one.
DEVICE_HELP = {
    "self_closing_valve": _l("装在家里燃气管道上的阀门：压力过高、过低或燃气流量异常时"
                             "自动关闭，关闭后要手动打开。"),
    "leak_alarm": _l("装在用气的房间里：闻不到的燃气泄漏也能检测到，并发出报警。"),
}
CLAUSE_TITLES = {advisor.Clause.new_users: _l("附件1 二 “新增用户全覆盖”"),
                 advisor.Clause.existing_organisations: _l("附件1 二 “既有单位用户全覆盖”"),
                 advisor.Clause.existing_households: _l("附件1 二 “既有居民用户全面推进”")}
#: The policy's words (渝安委〔2021〕156号 附件1 二 主要目标).
CLAUSE_QUOTES = {
    advisor.Clause.new_users: _l(
        "新增的单位用户全部安装使用燃气类可燃气体泄漏报警装置，"
        "新增居民用户全部安装使用安全自闭阀（建筑高度大于 100米的，"
        "该建筑内所有居民用户还应安装使用燃气类可燃气体泄漏报警装置）。"),
    advisor.Clause.existing_organisations: _l(
        "到 2022年1月底，餐饮、酒店、商场、学校、医院等既有管道天然气单位用户"
        "全部安装使用燃气类可燃气体泄漏报警装置。"),
    advisor.Clause.existing_households: _l(
        "到 2022年底，既有管道天然气居民用户中，老旧小区居民用户和生活困难用户"
        "全部安装使用安全自闭阀（建筑高度大于 100米的，该建筑内所有居民用户"
        "还应安装使用燃气类可燃气体泄漏报警装置），全力推进其他居民用户安装使用工作。"),
}
STATUS_TITLES = {advisor.Status.installed: _l("已安装"), advisor.Status.overdue: _l("已逾期，请尽快安装"),
                 advisor.Status.due: _l("待安装"), advisor.Status.before_gas: _l("通气前必须装好"),
                 advisor.Status.check_height: _l("楼高超过 100 米才需要"), advisor.Status.encouraged: _l("鼓励安装")}
STATUS_STYLES = {advisor.Status.installed: "success", advisor.Status.overdue: "danger", advisor.Status.due: "warning",
                 advisor.Status.before_gas: "warning", advisor.Status.check_height: "secondary",
                 advisor.Status.encouraged: "info"}
NOTE_TEXTS = {
    advisor.Note.organisation_no_valve: _l(
        "附件1 二 对单位用户只要求安装燃气泄漏报警装置，没有要求安装安全自闭阀（可自愿加装）。"),
    advisor.Note.organisation_height_irrelevant: _l("建筑高度不影响单位用户的要求。"),
    advisor.Note.other_organisation_covered: _l(
        "附件1 二 列举的是“餐饮、酒店、商场、学校、医院等”单位，"
        "其他使用管道天然气的单位同样适用。"),
    advisor.Note.new_user_category_irrelevant: _l("新增用户不论住户类别，都须在通气验收时装好。"),
    advisor.Note.height_unknown: _l("如果不清楚楼高：大约 33 层以上的住宅一般超过 100 米，可以问物业。"),
    advisor.Note.no_alarm_below_100m: _l("楼高不超过 100 米的居民用户不要求安装燃气泄漏报警装置，可自愿加装。"),
}


@bp.app_context_processor
def _advisor_labels():
    return {"advisor_labels": {"device": DEVICE_LABELS, "help": DEVICE_HELP, "clause": CLAUSE_TITLES,
                               "quote": CLAUSE_QUOTES, "status": STATUS_TITLES, "style": STATUS_STYLES,
                               "note": NOTE_TEXTS}}


def _locale() -> str:
    return str(get_locale())


def _home_district() -> District | None:
    if current_user.is_authenticated and current_user.home_district_id:
        return db.session.get(District, current_user.home_district_id)
    return None


def device_links(advice: advisor.Advice, district_code: str | None) -> dict:
    """(device_type, usage) → the filtered district list (when a district is known) and search."""
    links = {}
    for r in advice.requirements:
        args = {"device_type": r.device_type, "usage": r.usage}
        links[r.filter] = {
            "list": url_for("registry.public.district", code=district_code, **args) if district_code else None,
            "search": url_for("market.search_page", district=district_code, **args)}
    return links


def _profile_defaults(form: AdvisorForm) -> None:
    """Prefill the form from a logged-in resident's profile (district, kind, building height, category)."""
    district = _home_district()
    if district is not None:
        form.district.data = district.code
    if current_user.is_authenticated and current_user.has_role(Role.resident):
        form.gas_user.data = "existing"
        if current_user.resident_kind:
            form.kind.data = str(current_user.resident_kind)
        if current_user.organisation_kind:
            form.organisation_kind.data = str(current_user.organisation_kind)
        height = current_user.building_over_100m
        if height is not None:
            form.over_100m.data = "yes" if height else "no"
        claim = _latest_claim(current_user)
        if claim is not None and claim.status != ClaimStatus.rejected:
            form.category.data = str(claim.category)


#: The questions: when one of them is in the query string, the page answers (or says what is missing).
QUESTIONS = ("kind", "organisation_kind", "over_100m", "gas_user", "category")


@bp.get("/advisor")
def advisor_page():
    asked = any(name in request.args for name in QUESTIONS)
    form = AdvisorForm(formdata=request.args if asked else None, locale=_locale())
    advice = links = district = None
    resident = current_user.is_authenticated and current_user.has_role(Role.resident)
    if not asked:
        _profile_defaults(form)
        if request.args.get("district") in {d.code for d in all_districts()}:
            form.district.data = request.args["district"]  # a link from a district's page
    elif form.validate():
        installed = device_queries.installed_counts(current_user.id) if resident else {}
        advice = advisor.advise(form.situation(), installed, today=today_shanghai())
        district = next((d for d in all_districts() if d.code == form.district.data), None)
        links = device_links(advice, district.code if district else None)
    return render_template("orders/advisor/advisor.html", form=form, advice=advice, links=links,
                           district=district, have_known=resident)


def _latest_claim(user) -> HouseholdCategoryClaim | None:
    return db.session.scalar(select(HouseholdCategoryClaim).where(HouseholdCategoryClaim.user_id == user.id)
                             .order_by(HouseholdCategoryClaim.created_at.desc(), HouseholdCategoryClaim.id.desc())
                             .limit(1))


def profile_situation(user, claim: HouseholdCategoryClaim | None) -> advisor.Situation:
    """The rules' input from the profile; the gas user is taken as existing (the page says so)."""
    if str(user.resident_kind) == advisor.ORGANISATION:
        return advisor.Situation(kind=advisor.ORGANISATION, organisation_kind=str(user.organisation_kind or "other"),
                                 new_user=False)
    category = str(claim.category) if claim is not None and claim.status != ClaimStatus.rejected else "other"
    return advisor.Situation(kind=advisor.HOUSEHOLD, over_100m=user.building_over_100m,
                             new_user=False, category=category)


@bp.get("/dashboard")
@require_role(Role.resident)
def dashboard():
    user = current_user._get_current_object()
    claim = _latest_claim(user) if str(user.resident_kind) != advisor.ORGANISATION else None
    advice = advisor.advise(profile_situation(user, claim), device_queries.installed_counts(user.id),
                            today=today_shanghai())
    district = _home_district()
    orders = db.session.scalars(select(Order).where(Order.resident_id == user.id)
                                .order_by(Order.created_at.desc(), Order.id.desc()).limit(5)).all()
    return render_template("orders/advisor/dashboard.html", advice=advice, district=district,
                           links=device_links(advice, district.code if district else None),
                           devices=device_queries.owner_devices(user.id), orders=orders, claim=claim,
                           alarms=device_queries.owner_alarms(user.id), alarm_outcome_titles=ALARM_OUTCOME_TITLES,
                           today=today_shanghai(),
                           claim_titles=CLAIM_STATUS_TITLES, category_titles=HOUSEHOLD_CATEGORY_TITLES,
                           device_state_titles=DEVICE_STATE_TITLES, device_titles=DEVICE_TYPE_TITLES,
                           order_state_titles=ORDER_STATE_TITLES)

"""Login, logout, resident registration, password change and language preference."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required, login_user, logout_user

from core.accounts import services
from core.accounts.forms import (
    BUILDING_TITLES,
    LoginForm,
    PasswordChangeForm,
    ResidentProfileForm,
    ResidentRegistrationForm,
    building_answer,
    district_select_choices,
)
from core.accounts.models import ORGANISATION_KIND_TITLES, RESIDENT_KIND_TITLES, OrganisationKind, ResidentKind
from core.db import db
from core.districts import district_choices
from core.errors import DomainError
from core.extensions import limiter
from core.forms import attach_domain_error
from core.i18n import LOCALES, _, normalise_locale
from core.permissions import Role
from core.safe_redirect import local_or

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message=lambda: _("登录尝试过于频繁。"))
def login():
    if current_user.is_authenticated:
        return redirect(local_or(request.args.get("next"), url_for("main.index")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.identifier.data, form.password.data)
        except services.LoginThrottled as exc:
            db.session.commit()  # the failure count holds across workers
            flash(exc.message, "danger")
            return render_template("core/login.html", form=form), 429
        if user is None:
            db.session.commit()
            flash(_("账号或密码不正确。"), "danger")
        else:
            login_user(user, remember=form.remember.data)
            db.session.commit()
            flash(_("欢迎回来，%(name)s。", name=user.display_name), "success")
            return redirect(local_or(request.args.get("next"), url_for("main.index")))
    return render_template("core/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "POST" or not current_user.is_authenticated:
        if current_user.is_authenticated:
            # A copied session or remember-me cookie stops working too.
            services.end_sessions(current_user._get_current_object())
            db.session.commit()
        logout_user()
        flash(_("您已退出登录。"), "info")
        return redirect(url_for("main.index"))
    return render_template("core/logout.html")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"], error_message=lambda: _("注册尝试过于频繁。"))
def register():
    """Resident self-registration. The answer is the same whether or not the email or number is taken:
    a new resident logs in straight away with the password just chosen; an existing holder is notified."""
    form = ResidentRegistrationForm()
    form.home_district.choices = district_select_choices(district_choices(str(get_locale())))
    if form.validate_on_submit():
        kind = ResidentKind(form.resident_kind.data)
        try:
            services.register_resident(
                email=form.email.data, phone=form.phone.data, password=form.password.data,
                display_name=form.display_name.data, resident_kind=kind, home_district_id=form.home_district.data,
                building_over_100m=form.building_value,
                organisation_kind=OrganisationKind(form.organisation_kind.data)
                if kind == ResidentKind.organisation else None,
                locale=str(get_locale()),
            )
        except DomainError as exc:
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("注册已受理：如果该邮箱和手机号码此前未注册，您的账号已经建立，现在即可用刚才设置的密码登录；"
                    "如果已注册过，我们已通知该账号的持有人。"), "success")
            return redirect(url_for("accounts.login"))
    return render_template("core/register.html", form=form)


def _attach_error(form, exc: DomainError) -> None:
    if not attach_domain_error(form, exc):
        flash(exc.message, "danger")


def _profile_form(user, *, submitted: bool) -> ResidentProfileForm | None:
    """The profile form of a resident (None for other accounts): the submitted data, else the account's."""
    if not user.has_role(Role.resident):
        return None
    if submitted:
        form = ResidentProfileForm()
    else:
        form = ResidentProfileForm(formdata=None, data={
            "resident_kind": str(user.resident_kind or "household"),
            "organisation_kind": str(user.organisation_kind or ""),
            "home_district": user.home_district_id,
            "building_over_100m": building_answer(user.building_over_100m),
        })
    form.home_district.choices = district_select_choices(district_choices(str(get_locale())))
    return form


def _render_account(form, profile_form):
    return render_template("core/account.html", form=form, profile_form=profile_form, locales=LOCALES,
                           resident_kind_titles=RESIDENT_KIND_TITLES, organisation_kind_titles=ORGANISATION_KIND_TITLES,
                           building_titles=BUILDING_TITLES)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = PasswordChangeForm()
    form.password_owner = current_user
    if form.validate_on_submit():
        try:
            services.change_password(current_user._get_current_object(), current=form.current_password.data,
                                     new=form.new_password.data)
        except DomainError as exc:
            _attach_error(form, exc)
        else:
            db.session.commit()
            # Every other session ended with the new token; this one goes on (and keeps remember-me).
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            login_user(current_user._get_current_object(), remember=remembered)
            flash(_("密码已修改。"), "success")
            return redirect(url_for("accounts.account"))
    return _render_account(form, _profile_form(current_user, submitted=False))


@bp.route("/account/profile", methods=["POST"])
@login_required
def update_profile():
    """A resident changes their kind, district and building height."""
    profile_form = _profile_form(current_user, submitted=True)
    if profile_form is None:
        abort(403)
    if profile_form.validate_on_submit():
        kind = ResidentKind(profile_form.resident_kind.data)
        try:
            services.update_profile(
                current_user._get_current_object(), actor=current_user._get_current_object(), resident_kind=kind,
                organisation_kind=OrganisationKind(profile_form.organisation_kind.data)
                if kind == ResidentKind.organisation else None,
                home_district_id=profile_form.home_district.data, building_over_100m=profile_form.building_value)
        except DomainError as exc:
            db.session.rollback()
            _attach_error(profile_form, exc)
        else:
            db.session.commit()
            flash(_("个人信息已保存。"), "success")
            return redirect(url_for("accounts.account"))
    return _render_account(PasswordChangeForm(formdata=None), profile_form)


@bp.route("/account/locale", methods=["POST"])
@login_required
def set_locale():
    locale = normalise_locale(request.form.get("locale"))
    if locale is None:
        abort(400)
    services.set_locale(current_user, locale)
    db.session.commit()
    flash(_("语言偏好已保存。"), "success")
    return redirect(url_for("accounts.account", lang=locale))

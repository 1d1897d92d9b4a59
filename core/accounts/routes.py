"""Login, logout, resident registration, password change and language preference."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required, login_user, logout_user

from core.accounts import services
from core.accounts.forms import LoginForm, PasswordChangeForm, ResidentRegistrationForm
from core.accounts.models import OrganisationKind, ResidentKind
from core.db import db
from core.districts import district_choices
from core.errors import DomainError
from core.extensions import limiter
from core.forms import attach_domain_error, choices
from core.i18n import LOCALES, _, normalise_locale
from core.permissions import Role
from core.safe_redirect import local_or

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message=lambda: _("登录尝试过于频繁，请稍后再试。"))
def login():
    if current_user.is_authenticated:
        return redirect(local_or(request.args.get("next"), url_for("main.index")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.identifier.data, form.password.data)
        if user is None:
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
        logout_user()
        flash(_("您已退出登录。"), "info")
        return redirect(url_for("main.index"))
    return render_template("core/logout.html")


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = ResidentRegistrationForm()
    form.home_district.choices = choices(district_choices(str(get_locale())))
    if form.validate_on_submit():
        kind = ResidentKind(form.resident_kind.data)
        try:
            user = services.create_user(
                email=form.email.data, phone=form.phone.data, password=form.password.data,
                display_name=form.display_name.data, actor=None, roles=[(Role.resident, None)],
                resident_kind=kind, home_district_id=form.home_district.data,
                organisation_kind=OrganisationKind(form.organisation_kind.data)
                if kind == ResidentKind.organisation else None,
                locale=str(get_locale()),
            )
        except DomainError as exc:
            _attach_error(form, exc)
        else:
            db.session.commit()
            login_user(user)
            flash(_("注册成功，欢迎使用。"), "success")
            return redirect(url_for("main.index"))
    return render_template("core/register.html", form=form)


def _attach_error(form, exc: DomainError) -> None:
    if not attach_domain_error(form, exc):
        flash(exc.message, "danger")


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, current=form.current_password.data,
                                     new=form.new_password.data)
        except DomainError as exc:
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("密码已修改。"), "success")
            return redirect(url_for("accounts.account"))
    return render_template("core/account.html", form=form, locales=LOCALES)


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

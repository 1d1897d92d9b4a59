"""Registry pages: supplier registration; the public, solicitation and official pages are child blueprints."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import login_user

from core.db import db
from core.errors import DomainError
from core.forms import attach_domain_error
from core.i18n import _
from registry import services
from registry.district_admin_routes import bp as district_admin_bp
from registry.forms import SupplierRegistrationForm
from registry.official_routes import bp as official_bp
from registry.public_routes import bp as public_bp
from registry.solicitation_routes import bp as solicitations_bp

bp = Blueprint("registry", __name__)
for _child in (public_bp, solicitations_bp, official_bp, district_admin_bp):
    bp.register_blueprint(_child)


@bp.route("/suppliers/register", methods=["GET", "POST"])
def register_supplier():
    form = SupplierRegistrationForm()
    if form.validate_on_submit():
        try:
            _supplier, user = services.register_supplier(
                legal_name=form.legal_name.data, credit_code=form.credit_code.data, email=form.email.data,
                phone=form.phone.data, display_name=form.display_name.data, password=form.password.data,
                locale=str(get_locale()))
        except DomainError as exc:
            if not attach_domain_error(form, exc):
                flash(exc.message, "danger")
        else:
            db.session.commit()
            login_user(user)
            flash(_("单位注册成功。请完善单位资料，等待核验。"), "success")
            return redirect(url_for("main.index"))
    return render_template("registry/supplier_register.html", form=form)

"""Registry pages: supplier registration (more in later issues)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import login_user

from core.db import db
from core.errors import DomainError
from core.forms import attach_domain_error
from core.i18n import _
from registry import services
from registry.forms import SupplierRegistrationForm

bp = Blueprint("registry", __name__)


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

"""Admin pages: accounts and role grants."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import or_, select

from core import nav
from core.accounts import services
from core.accounts.forms import AdminUserForm, EmptyForm, GrantRoleForm
from core.accounts.models import RoleGrant, User
from core.crypto import blind_index
from core.db import db
from core.districts import district_choices
from core.errors import DomainError
from core.forms import choices
from core.i18n import _, _l
from core.permissions import Role, require_role

bp = Blueprint("admin", __name__, url_prefix="/admin")

nav.add("admin.users", _l("账号管理"), roles=(Role.admin,), order=70)
PER_PAGE = 50


def _district_field(form) -> None:
    form.district.choices = choices([(0, _("（不限区县）")), *district_choices(str(get_locale()))])


@bp.route("/users")
@require_role(Role.admin)
def users():
    query = select(User).order_by(User.id)
    q = (request.args.get("q") or "").strip()
    if q:
        query = query.where(or_(User.email.contains(q.lower()), User.display_name.contains(q),
                                User.phone_index == blind_index(q, purpose="phone")))
    role = request.args.get("role")
    if role in Role.__members__:
        query = query.where(User.grants.any(RoleGrant.role == Role(role)))
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template("core/admin_users.html", page=page, q=q, role=role, roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
@require_role(Role.admin)
def new_user():
    form = AdminUserForm()
    _district_field(form)
    if form.validate_on_submit():
        role = Role(form.role.data)
        try:
            user = services.create_user(email=form.email.data, phone=form.phone.data,
                                        password=form.password.data, display_name=form.display_name.data,
                                        actor=current_user, roles=[(role, form.district.data or None)])
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("账号 %(name)s 已创建。", name=user.display_name), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("core/admin_user_new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_role(Role.admin)
def user(user_id: int):
    target = db.get_or_404(User, user_id)
    form = GrantRoleForm()
    _district_field(form)
    if form.validate_on_submit():
        try:
            services.grant_role(target, Role(form.role.data), district_id=form.district.data or None,
                                actor=current_user)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("角色已添加。"), "success")
            return redirect(url_for("admin.user", user_id=target.id))
    return render_template("core/admin_user.html", target=target, form=form, action_form=EmptyForm())


@bp.route("/users/<int:user_id>/grants/<int:grant_id>/revoke", methods=["POST"])
@require_role(Role.admin)
def revoke(user_id: int, grant_id: int):
    target = db.get_or_404(User, user_id)
    if EmptyForm().validate_on_submit():
        try:
            services.revoke_grant(target, grant_id, actor=current_user)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("角色已撤销。"), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@require_role(Role.admin)
def toggle_active(user_id: int):
    target = db.get_or_404(User, user_id)
    if EmptyForm().validate_on_submit():
        try:
            services.set_active(target, not target.active, actor=current_user)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("账号状态已更新。"), "success")
    return redirect(url_for("admin.user", user_id=target.id))

"""Site-wide pages: home, notifications inbox, audit log browser."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from core import home, nav
from core.accounts.forms import EmptyForm
from core.audit import AuditEntry
from core.db import db, now_utc
from core.i18n import _, _l
from core.notifications import Notification
from core.permissions import Role, require_role
from core.request_args import parse_day

bp = Blueprint("main", __name__)

nav.add_footer("main.privacy", _l("个人信息保护"), order=90)
nav.add("main.audit_log", _l("审计日志"), roles=(Role.admin, Role.regulator), order=80,
        only_if=lambda user: user.can_read_audit())


#: Browsers ask for /favicon.ico on every site; it changes with a release at most.
FAVICON_MAX_AGE = 30 * 24 * 3600


@bp.route("/favicon.ico")
def favicon():
    """The site icon at the address browsers ask for (served without touching the session)."""
    response = send_from_directory(current_app.static_folder, "favicon.ico", max_age=FAVICON_MAX_AGE,
                                   mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    return response


@bp.route("/privacy")
def privacy():
    """What personal data the platform keeps, why, who sees it and for how long (PIPL)."""
    return render_template("core/privacy.html")


@bp.route("/")
def index():
    return render_template("core/index.html", panels=home.rendered_panels())


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    if request.method == "POST":
        if EmptyForm().validate_on_submit():
            db.session.execute(update(Notification).where(
                Notification.user_id == current_user.id, Notification.read_at.is_(None)
            ).values(read_at=now_utc()))
            db.session.commit()
            flash(_("已全部标记为已读。"), "success")
        return redirect(url_for("main.notifications"))
    query = select(Notification).where(Notification.user_id == current_user.id).order_by(
        Notification.created_at.desc(), Notification.id.desc())
    page = db.paginate(query, per_page=30, error_out=False)
    return render_template("core/notifications.html", page=page, form=EmptyForm())


def _parse_day(value: str | None) -> datetime | None:
    day = parse_day(value)  # clamped: `9999-12-31` plus a day must not overflow
    return datetime.combine(day, time.min) if day else None


@bp.route("/audit")
@require_role(Role.admin, Role.regulator)
def audit_log():
    if not current_user.can_read_audit():
        abort(403)
    args = request.args
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if args.get("action"):
        query = query.where(AuditEntry.action.startswith(args["action"].strip()))
    if args.get("actor"):
        query = query.where(AuditEntry.actor_label.contains(args["actor"].strip()))
    if args.get("target_type"):
        query = query.where(AuditEntry.target_type == args["target_type"].strip())
    if args.get("target_id"):
        query = query.where(AuditEntry.target_id == args["target_id"].strip())
    start, end = _parse_day(args.get("from")), _parse_day(args.get("to"))
    if start:
        query = query.where(AuditEntry.at >= start - timedelta(hours=8))
    if end:
        query = query.where(AuditEntry.at < end + timedelta(days=1) - timedelta(hours=8))
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("core/audit.html", page=page, args=args)

"""/admin/calendar: the holiday table (seeded from chinese-calendar up to 2026); an admin adds later years as the
State Council's General Office announces them, and waiting deadlines are computed at once."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from complaints.deadlines import recompute_unknown
from complaints.models import CalendarDay, CalendarYear
from complaints.queries import unknown_years
from complaints.working_days import add_year
from core import nav
from core.db import db
from core.errors import DomainError
from core.forms import BaseForm, attach_domain_error, strip_filter
from core.i18n import _, _l
from core.permissions import Role, require_role

bp = Blueprint("calendar", __name__)

nav.add("complaints.calendar.page", _l("节假日设置"), roles=(Role.admin,), order=62)


class YearForm(BaseForm):
    year = IntegerField(_l("年份"), validators=[
        InputRequired(message=_l("请填写年份。")),
        NumberRange(min=2000, max=2100, message=_l("年份应在 2000 到 2100 之间。"))])
    holidays = TextAreaField(_l("法定节假日（放假日）"), filters=[strip_filter],
                             validators=[DataRequired(message=_l("请至少录入一个法定节假日。")), Length(max=5000)],
                             render_kw={"rows": 8, "placeholder": _l("2027-01-01 元旦\n2027-02-06..2027-02-12 春节")},
                             description=_l("每行一个日期或日期范围和名称，如“2027-02-06..2027-02-12 春节”。"
                                            "包括与节日连休的周末。"))
    workdays = TextAreaField(_l("调休上班日"), filters=[strip_filter], validators=[Optional(), Length(max=2000)],
                             render_kw={"rows": 4, "placeholder": _l("2027-02-14 春节调休")},
                             description=_l("需要上班的周六、周日，每行一个。"))
    source = StringField(_l("依据"), filters=[strip_filter], validators=[Optional(), Length(max=100)],
                         render_kw={"placeholder": _l("国务院办公厅关于 2027 年部分节假日安排的通知")})


@bp.route("/admin/calendar", methods=["GET", "POST"])
@require_role(Role.admin)
def page():
    form = YearForm()
    if form.validate_on_submit():
        try:
            count = add_year(form.year.data, holidays=form.holidays.data, workdays=form.workdays.data,
                             actor=current_user, source=form.source.data)
            fixed = recompute_unknown()
        except DomainError as exc:
            db.session.rollback()
            if not attach_domain_error(form, exc):
                flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("已录入 %(year)s 年的 %(n)s 个特殊日期；%(fixed)s 个案件的期限已重新计算。",
                    year=form.year.data, n=count, fixed=fixed), "success")
            return redirect(url_for(".page"))
    rows = db.session.execute(
        select(CalendarYear.year, CalendarYear.source, func.count(CalendarDay.day))
        .outerjoin(CalendarDay, func.extract("year", CalendarDay.day) == CalendarYear.year)
        .group_by(CalendarYear.year, CalendarYear.source).order_by(CalendarYear.year.desc())).all()
    return render_template("complaints/calendar.html", form=form, years=rows, waiting=unknown_years())

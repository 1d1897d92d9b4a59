"""The report pages' month (and district) picker: a GET form, no CSRF token."""

from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.validators import Optional, ValidationError

from core.forms import BaseForm, strip_filter
from core.i18n import _, _l
from reports.months import Month


def _month_check(_form, field) -> None:
    """A "YYYY-MM" month that has begun (an empty field means the current month)."""
    if not field.data:
        return
    month = Month.parse(field.data)
    if month is None:
        raise ValidationError(_("月份“%(value)s”无效：请按“年-月”填写，例如 %(example)s。",
                                value=field.data[:20], example=str(Month.current())))
    if month > Month.current():
        raise ValidationError(_("%(month)s 尚未到来：只能查看本月和以前各月的统计。", month=str(month)))


class ReportMonthForm(BaseForm):
    """Which month a report page shows (and, on the district page, which of the official's districts)."""

    class Meta:
        csrf = False

    month = StringField(_l("月份"), validators=[Optional(), _month_check], filters=[strip_filter],
                        render_kw={"type": "month", "autocomplete": "off"})
    district = SelectField(_l("区县"), validators=[Optional()], validate_choice=False)

    def chosen_month(self) -> Month:
        """The valid month the form names (call after validate()): the current month when it names none."""
        return Month.parse(self.month.data or "") or Month.current()

"""Forms of the sanctions page (/regulator/suppliers/{id}/sanctions)."""

from __future__ import annotations

from flask_babel import get_locale
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from complaints.models import SANCTION_KIND_TITLES
from core.forms import BaseForm, choices, optional_int, strip_filter
from core.i18n import _, _l


class SanctionForm(BaseForm):
    """A regulator imposes a sanction; the case, the dates and the district are checked by the service."""

    case_number = StringField(_l("案件编号"),
                              validators=[InputRequired(message=_l("请填写案件编号。")), Length(max=20)],
                              filters=[strip_filter],
                              description=_l("例如 TS-2026-000123：须为涉及该单位、未被合并的案件。"))
    kind = SelectField(_l("处理方式"), validators=[InputRequired(message=_l("请选择处理方式。"))])
    district = SelectField(_l("移出区县（仅移出目录清单时）"), coerce=optional_int, validators=[Optional()])
    due_on = DateField(_l("整改期限（仅责令整改时）"), validators=[Optional()])
    until = DateField(_l("黑名单截止日期（仅列入黑名单时，含当日）"), validators=[Optional()])
    note = TextAreaField(_l("处理说明"), validators=[InputRequired(message=_l("请填写处理说明。")), Length(max=2000)],
                         filters=[strip_filter], render_kw={"rows": 3},
                         description=_l("移出目录清单时，说明会与案件类别一起写入公开公告，请勿写入投诉人或举报人的信息。"))

    def set_choices(self, districts) -> None:
        self.kind.choices = choices([("", _("请选择")), *[(k.value, v) for k, v in SANCTION_KIND_TITLES.items()]])
        self.district.choices = choices([("", _("现行清单列有该单位的全部区县")),
                                         *[(d.id, d.display_name(str(get_locale()))) for d in districts]])


class CompleteSanctionForm(BaseForm):
    """Record a rectification as done, or lift a suspension or blacklist."""

    note = TextAreaField(_l("完成或解除说明"),
                         validators=[InputRequired(message=_l("请填写完成或解除的说明。")), Length(max=2000)],
                         filters=[strip_filter], render_kw={"rows": 2})

"""Forms of the district administration: townships, old communities, targets, subsidy policies."""

from __future__ import annotations

from wtforms import DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from catalog.models import DEVICE_TYPE_TITLES
from core.forms import BaseForm, MoneyField, choices, strip_filter
from core.i18n import _l
from registry.districts.models import HOUSEHOLD_CATEGORY_TITLES, SUBSIDY_KIND_TITLES, TOWNSHIP_KIND_TITLES, SubsidyKind


class TownshipForm(BaseForm):
    name = StringField(_l("乡镇/街道名称"), validators=[InputRequired(), Length(max=100)], filters=[strip_filter])
    kind = SelectField(_l("类别"), choices=choices(TOWNSHIP_KIND_TITLES), validators=[InputRequired()])


class CommunityForm(BaseForm):
    name = StringField(_l("小区名称"), validators=[InputRequired(), Length(max=200)], filters=[strip_filter])
    township_id = SelectField(_l("所属乡镇/街道"), coerce=int, validators=[Optional()])
    address = StringField(_l("地址"), validators=[InputRequired(), Length(max=300)], filters=[strip_filter])


class TargetForm(BaseForm):
    township_id = SelectField(_l("乡镇/街道"), coerce=int, validators=[InputRequired()])
    category = SelectField(_l("户类"), choices=choices(HOUSEHOLD_CATEGORY_TITLES), validators=[InputRequired()])
    device_type = SelectField(_l("装置类型"), choices=choices(DEVICE_TYPE_TITLES), validators=[InputRequired()])
    count = IntegerField(_l("目标户数"), validators=[InputRequired(), NumberRange(min=0, max=10_000_000)])


class SubsidyForm(BaseForm):
    category = SelectField(_l("户类"), choices=choices(HOUSEHOLD_CATEGORY_TITLES), validators=[InputRequired()])
    device_type = SelectField(_l("装置类型"), choices=choices(DEVICE_TYPE_TITLES), validators=[InputRequired()])
    kind = RadioField(_l("补贴方式"), choices=choices(SUBSIDY_KIND_TITLES), default=SubsidyKind.fixed.value,
                      validators=[InputRequired()])
    amount = MoneyField(_l("定额补贴金额（元）"), validators=[Optional()])
    percent = IntegerField(_l("补贴比例（%）"), validators=[Optional(), NumberRange(min=1, max=100)])
    cap = MoneyField(_l("封顶金额（元）"), validators=[Optional()])
    valid_from = DateField(_l("开始日期"), validators=[InputRequired()])
    valid_until = DateField(_l("结束日期（可空）"), validators=[Optional()])

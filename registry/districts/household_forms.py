"""Forms of household category claims: the resident's declaration, the official's verification or rejection."""

from __future__ import annotations

from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from core.forms import BaseForm, choices, optional_int, strip_filter
from core.i18n import _l
from registry.districts.household_claims import CERTIFICATE_CATEGORIES
from registry.districts.models import HOUSEHOLD_CATEGORY_TITLES, HouseholdCategory


def community_choices(communities) -> list:
    """The district's old communities after an empty "please choose"."""
    return choices([("", _l("请选择")), *[(str(c.id), c.name) for c in communities]])


class CategoryClaimForm(BaseForm):
    """A household declares its category; the route fills `community.choices` from the home district's list."""

    category = RadioField(_l("住户类别"), choices=choices(HOUSEHOLD_CATEGORY_TITLES),
                          validators=[InputRequired(message=_l("请选择住户类别。"))])
    community = SelectField(_l("老旧小区（老旧小区居民必填）"), coerce=optional_int, validators=[Optional()])
    certificate_number = StringField(_l("证件编号（建档贫困户、城镇低保户必填）"),
                                     validators=[Optional(), Length(max=50)], filters=[strip_filter],
                                     description=_l("建档立卡或低保证上的编号，加密保存，仅核验人员可见。"))
    full_name = StringField(_l("户主姓名"), validators=[InputRequired(), Length(max=50)], filters=[strip_filter],
                            description=_l("与区县住户名单上的姓名一致。"))
    address = StringField(_l("住址"), validators=[InputRequired(), Length(max=200)], filters=[strip_filter],
                          description=_l("与区县住户名单上的地址一致，加密保存。"))

    def validate_community(self, field) -> None:
        if self.category.data == HouseholdCategory.old_community and field.data is None:
            raise ValidationError(_l("老旧小区居民请选择所在小区。"))

    def validate_certificate_number(self, field) -> None:
        if self.category.data in CERTIFICATE_CATEGORIES and not field.data:
            raise ValidationError(_l("建档贫困户和城镇低保户请填写证件编号。"))


class VerifyClaimForm(BaseForm):
    """The official confirms a claim (an optional note)."""

    note = StringField(_l("备注（可不填）"), validators=[Optional(), Length(max=500)], filters=[strip_filter])


class RejectClaimForm(BaseForm):
    """The official rejects a claim with a reason that the resident sees."""

    reason = TextAreaField(_l("不通过的理由（申报人可见）"),
                           validators=[InputRequired(message=_l("请填写不通过的理由。")), Length(max=500)],
                           filters=[strip_filter])

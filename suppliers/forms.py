"""Company-register forms: registration, profile, staff, the credit-code override, the overseers' filter."""

from __future__ import annotations

import re

from flask_wtf.file import FileField
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import EqualTo, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.accounts.forms import NEW_PASSWORD_RULES, ContactFieldsMixin
from core.accounts.passwords import RULE as PASSWORD_RULE
from core.forms import BaseForm, strip_filter
from core.i18n import _l
from suppliers import credit_code
from suppliers.models import PROFILE_FIELD_TITLES


def valid_credit_code(_form, field) -> None:
    """GB 32100-2015: 18 characters and a correct check digit."""
    field.data = credit_code.normalise(field.data)
    message = credit_code.problem(field.data)
    if message:
        raise ValidationError(message)


class SupplierRegistrationForm(ContactFieldsMixin, BaseForm):
    """A company registers with its first staff account."""

    legal_name = StringField(_l("单位名称（与营业执照一致）"), validators=[InputRequired(), Length(max=200)],
                             filters=[strip_filter])
    credit_code = StringField(_l("统一社会信用代码"), validators=[InputRequired(), valid_credit_code],
                              filters=[strip_filter], render_kw={"maxlength": 18, "autocomplete": "off"})
    display_name = StringField(_l("联系人姓名（账号使用人）"), validators=[InputRequired(), Length(max=100)],
                               filters=[strip_filter])
    password = PasswordField(_l("密码"), validators=NEW_PASSWORD_RULES, description=PASSWORD_RULE,
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("确认密码"), validators=[InputRequired(), EqualTo(
        "password", message=_l("两次输入的密码不一致。"))], render_kw={"autocomplete": "new-password"})


def _company_phone(_form, field) -> None:
    """A landline or mobile number: digits with optional area code, dashes, spaces or an extension."""
    value = (field.data or "").strip()
    if value and not re.fullmatch(r"[0-9()+\- ]{7,30}(转[0-9]{1,6})?", value):
        raise ValidationError(_l("请输入有效的联系电话，例如 023-6388 1234 或 13800138000。"))


class SupplierProfileForm(BaseForm):
    """The company profile its staff maintain (SPEC 3.1)."""

    legal_name = StringField(PROFILE_FIELD_TITLES["legal_name"], validators=[InputRequired(), Length(max=200)],
                             filters=[strip_filter], description=_l("与营业执照一致"))
    credit_code = StringField(PROFILE_FIELD_TITLES["credit_code"], validators=[InputRequired()],
                              filters=[strip_filter], render_kw={"maxlength": 18, "autocomplete": "off"})
    qualification_name = StringField(PROFILE_FIELD_TITLES["qualification_name"], filters=[strip_filter],
                                     validators=[Optional(), Length(max=200)],
                                     description=_l("例如：消防设施工程专业承包、燃气燃烧器具安装维修资质"))
    qualification_level = StringField(PROFILE_FIELD_TITLES["qualification_level"], filters=[strip_filter],
                                      validators=[Optional(), Length(max=100)], description=_l("例如：二级"))
    contact_person = StringField(PROFILE_FIELD_TITLES["contact_person"], filters=[strip_filter],
                                 validators=[Optional(), Length(max=100)])
    phone = StringField(PROFILE_FIELD_TITLES["phone"], filters=[strip_filter],
                        validators=[Optional(), Length(max=40), _company_phone],
                        description=_l("单位服务电话，将在目录清单中公开。"))
    address = StringField(PROFILE_FIELD_TITLES["address"], filters=[strip_filter],
                          validators=[Optional(), Length(max=300)])
    service_content = TextAreaField(PROFILE_FIELD_TITLES["service_content"], filters=[strip_filter],
                                    validators=[Optional(), Length(max=4000)], render_kw={"rows": 4},
                                    description=_l("安装和售后服务包含哪些内容，例如上门安装、调试、年检、维修响应时间。"))
    districts = SelectMultipleField(PROFILE_FIELD_TITLES["districts"], coerce=int, validators=[Optional()],
                                    widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    licence = FileField(_l("营业执照扫描件（PDF/PNG/JPEG，不超过 10 MB）"))

    def __init__(self, *args, accepted_code: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: A code an admin accepted although it fails the check digit (credit_code_override).
        self.accepted_code = accepted_code

    def validate_credit_code(self, field) -> None:
        if self.accepted_code and credit_code.normalise(field.data) == self.accepted_code:
            field.data = self.accepted_code
            return
        valid_credit_code(self, field)


class StaffForm(ContactFieldsMixin, BaseForm):
    """Add a colleague's account to one's own company, with a temporary password."""

    display_name = StringField(_l("姓名"), validators=[InputRequired(), Length(max=100)], filters=[strip_filter])
    password = PasswordField(_l("临时密码"), validators=NEW_PASSWORD_RULES, render_kw={"autocomplete": "new-password"},
                             description=_l("请告知同事，并提醒其登录后修改。%(rule)s", rule=PASSWORD_RULE))


class CreditCodeOverrideForm(BaseForm):
    """An admin records a legal early code that fails the check digit."""

    credit_code = StringField(_l("统一社会信用代码"), validators=[InputRequired(), Length(min=18, max=18)],
                              filters=[strip_filter])
    reason = TextAreaField(_l("原因"), validators=[InputRequired(), Length(max=1000)], filters=[strip_filter])


class SupplierFilterForm(BaseForm):
    """Filters of the suppliers list (GET)."""

    class Meta:
        csrf = False

    status = SelectField(_l("状态"), validators=[Optional()])
    district = SelectField(_l("服务区县"), validators=[Optional()])
    q = StringField(_l("关键词（名称、信用代码）"), validators=[Optional(), Length(max=100)], filters=[strip_filter])


class PlatformKeyForm(BaseForm):
    """A new platform key for the company's device platform: only its name (what it is for)."""

    name = StringField(_l("密钥名称"), validators=[InputRequired(), Length(max=100)], filters=[strip_filter],
                       description=_l("用于区分不同的密钥，例如“设备平台生产环境”。"),
                       render_kw={"maxlength": 100, "autocomplete": "off"})


class UtilityKeyForm(PlatformKeyForm):
    """A new platform key for the gas utility's monitoring platform, scoped to some of the inspector's districts."""

    districts = SelectMultipleField(_l("可读取的区县"), coerce=int,
                                    validators=[InputRequired(message=_l("请至少选择一个区县。"))],
                                    widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                    description=_l("密钥只能读取所选区县的设备和报警；只能选择您负责的区县。"))

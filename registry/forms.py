"""Registry forms."""

from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from core.accounts.forms import PASSWORD_RULES, ContactFieldsMixin
from core.forms import BaseForm, strip_filter
from core.i18n import _l
from registry import credit_code


def valid_credit_code(_form, field) -> None:
    """GB 32100-2015: 18 characters and a correct check digit."""
    field.data = credit_code.normalise(field.data)
    if len(field.data) != 18:
        raise ValidationError(_l("统一社会信用代码应为 18 位。"))
    if not credit_code.is_valid(field.data):
        raise ValidationError(_l("统一社会信用代码校验位不正确，请核对营业执照。"))


class SupplierRegistrationForm(ContactFieldsMixin, BaseForm):
    """A company registers with its first staff account."""

    legal_name = StringField(_l("单位名称（与营业执照一致）"), validators=[InputRequired(), Length(max=200)],
                             filters=[strip_filter])
    credit_code = StringField(_l("统一社会信用代码"), validators=[InputRequired(), valid_credit_code],
                              filters=[strip_filter], render_kw={"maxlength": 18, "autocomplete": "off"})
    display_name = StringField(_l("联系人姓名（账号使用人）"), validators=[InputRequired(), Length(max=100)],
                               filters=[strip_filter])
    password = PasswordField(_l("密码"), validators=PASSWORD_RULES, render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("确认密码"), validators=[InputRequired(), EqualTo(
        "password", message=_l("两次输入的密码不一致。"))], render_kw={"autocomplete": "new-password"})

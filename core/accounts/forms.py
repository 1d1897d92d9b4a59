"""Account forms."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional, ValidationError

from core.accounts.models import ORGANISATION_KIND_TITLES, RESIDENT_KIND_TITLES
from core.accounts.passwords import RULE as PASSWORD_RULE
from core.accounts.passwords import StrongPassword
from core.forms import BaseForm, choices, email_address, mobile_number, optional_int, strip_filter
from core.i18n import _l
from core.permissions import ROLE_TITLES

PASSWORD_RULES = [InputRequired(), Length(min=10, max=128, message=_l("密码长度应为 10 到 128 个字符。"))]
#: For a new password: the length, then no common, trivial or personal password (core.accounts.passwords).
NEW_PASSWORD_RULES = [*PASSWORD_RULES, StrongPassword()]


class LoginForm(BaseForm):
    """Log in with email or mobile number."""

    identifier = StringField(_l("邮箱或手机号码"), validators=[InputRequired(), Length(max=254)],
                             filters=[strip_filter], render_kw={"autocomplete": "username"})
    password = PasswordField(_l("密码"), validators=[InputRequired(), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("在此设备上保持登录"))


class ContactFieldsMixin:
    """Email and/or mobile number: at least one is needed to log in."""

    email = EmailField(_l("邮箱"), validators=[Optional(), Length(max=254), email_address], filters=[strip_filter])
    phone = StringField(_l("手机号码"), validators=[Optional(), mobile_number], filters=[strip_filter],
                        description=_l("可用手机号码登录；号码加密保存。"))

    def validate_email(self, field) -> None:
        if not field.data and not self.phone.data:
            raise ValidationError(_l("请填写邮箱或手机号码（至少一项）。"))


#: The yes/no answer of `building_over_100m` as stored on the user (None: not said).
BUILDING_ANSWERS = {"yes": True, "no": False}
BUILDING_TITLES = {True: _l("是，楼栋高于 100 米"), False: _l("否，楼栋不高于 100 米")}


def district_select_choices(pairs) -> list:
    """District choices after an empty "please choose" (so that nothing is silently defaulted)."""
    return choices([("", _l("请选择")), *[(str(i), n) for i, n in pairs]])


def building_answer(value: bool | None) -> str | None:
    """The form value for a stored `building_over_100m`."""
    return None if value is None else ("yes" if value else "no")


class ResidentProfileMixin:
    """Who the resident is: household or organisation (and which kind), district, building height.

    The route fills `home_district.choices` with `district_select_choices`."""

    resident_kind = RadioField(_l("用户类型"), choices=choices(RESIDENT_KIND_TITLES),
                               default="household", validators=[InputRequired()])
    organisation_kind = SelectField(_l("单位类别"),
                                    choices=choices([("", _l("（居民用户无需选择）")),
                                                     *ORGANISATION_KIND_TITLES.items()]),
                                    validate_choice=False)
    home_district = SelectField(_l("所在区县"), coerce=optional_int,
                                validators=[InputRequired(message=_l("请选择所在区县。"))])
    building_over_100m = RadioField(
        _l("所住（所在）楼栋是否高于 100 米"),
        choices=choices([(building_answer(k), v) for k, v in BUILDING_TITLES.items()]), validate_choice=False,
        description=_l("高于 100 米的住宅楼，居民用户还须安装家用可燃气体泄漏报警器。"))

    def validate_organisation_kind(self, field) -> None:
        if self.resident_kind.data != "organisation":
            field.data = None
        elif field.data not in ORGANISATION_KIND_TITLES:
            raise ValidationError(_l("单位用户请选择单位类别。"))

    def validate_building_over_100m(self, field) -> None:
        """Optional (None: not said), so that existing registration clients keep working; never a guess."""
        if field.data in BUILDING_ANSWERS:
            return
        if field.data:
            raise ValidationError(_l("请说明楼栋是否高于 100 米。"))
        field.data = None

    @property
    def building_value(self) -> bool | None:
        """The answer as stored on the user."""
        return BUILDING_ANSWERS.get(self.building_over_100m.data)


class ResidentRegistrationForm(ResidentProfileMixin, ContactFieldsMixin, BaseForm):
    """Self-registration of a household or an organisation."""

    display_name = StringField(_l("姓名或单位名称"), validators=[InputRequired(), Length(max=100)],
                               filters=[strip_filter])
    password = PasswordField(_l("密码"), validators=NEW_PASSWORD_RULES, description=PASSWORD_RULE,
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("确认密码"), validators=[InputRequired(), EqualTo(
        "password", message=_l("两次输入的密码不一致。"))], render_kw={"autocomplete": "new-password"})


class ResidentProfileForm(ResidentProfileMixin, BaseForm):
    """A resident changes their district, kind and building height on the account page."""


class PasswordChangeForm(BaseForm):
    """Change one's own password."""

    current_password = PasswordField(_l("当前密码"), validators=[InputRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("新密码"), validators=NEW_PASSWORD_RULES, description=PASSWORD_RULE,
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("确认新密码"), validators=[InputRequired(), EqualTo(
        "new_password", message=_l("两次输入的密码不一致。"))], render_kw={"autocomplete": "new-password"})


class AdminUserForm(ContactFieldsMixin, BaseForm):
    """An admin creates an official, regulator, inspector or admin account."""

    display_name = StringField(_l("姓名"), validators=[InputRequired(), Length(max=100)], filters=[strip_filter])
    role = SelectField(_l("角色"), choices=choices([(r.value, t) for r, t in ROLE_TITLES.items()
                                                    if r.value not in ("resident", "supplier")]))
    district = SelectField(_l("区县（区县经济信息部门和安检员必填）"), coerce=int, validators=[Optional()])
    password = PasswordField(_l("初始密码"), validators=NEW_PASSWORD_RULES, description=PASSWORD_RULE,
                             render_kw={"autocomplete": "new-password"})


class GrantRoleForm(BaseForm):
    """Add a role to an existing account."""

    role = SelectField(_l("角色"), choices=choices([(r.value, t) for r, t in ROLE_TITLES.items()
                                                    if r.value not in ("resident", "supplier")]))
    district = SelectField(_l("区县"), coerce=int, validators=[Optional()])


class EmptyForm(BaseForm):
    """A form with only the CSRF token, for POST buttons."""

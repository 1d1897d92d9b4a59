"""Forms of the device pages: the utility's alarm actions, the register's filters, outside-platform registration."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from catalog.models import DEVICE_TYPE_TITLES
from core.forms import BaseForm, choices, strip_filter
from core.i18n import _l
from devices.alarms import NOTE_MAX
from devices.models import ALARM_OUTCOME_TITLES, CARRIER_TITLES, GAS_TYPE_TITLES, GasType
from devices.register import ADDRESS_MAX, NAME_MAX
from registry.districts.models import HOUSEHOLD_CATEGORY_TITLES, HouseholdCategory


class AcknowledgeForm(BaseForm):
    """The inspector takes the alarm on (the resident is told that the gas utility is responding)."""

    note = TextAreaField(_l("说明（可选）"), validators=[Optional(), Length(max=NOTE_MAX)], filters=[strip_filter],
                         render_kw={"rows": 2})


class CloseAlarmForm(BaseForm):
    """The inspector closes the alarm with its outcome."""

    outcome = RadioField(_l("处置结果"), choices=choices(ALARM_OUTCOME_TITLES),
                         validators=[InputRequired(message=_l("请选择处置结果。"))])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=NOTE_MAX)], filters=[strip_filter],
                         description=_l("移交时必填：写明移交给了谁（如消防、物业）。用户和安装单位会看到处置结果。"),
                         render_kw={"rows": 3})


class _GetForm(BaseForm):
    class Meta:
        csrf = False


class AlarmFilterForm(_GetForm):
    """The alarm list's filters (GET)."""

    state = SelectField(_l("状态"), validators=[Optional()])
    district = SelectField(_l("区县"), validators=[Optional()])


class RegisterFilterForm(_GetForm):
    """The register's search (GET)."""

    q = StringField(_l("标识、序列号或地址"), validators=[Optional(), Length(max=120)], filters=[strip_filter],
                    render_kw={"type": "search", "autocomplete": "off"})
    state = SelectField(_l("设备状态"), validators=[Optional()])
    district = SelectField(_l("区县"), validators=[Optional()])


class DeviceStateFilterForm(_GetForm):
    """The supplier's device list filter (GET)."""

    state = SelectField(_l("设备状态"), validators=[Optional()])


class OutsideDeviceForm(BaseForm):
    """A device installed outside the platform, as the inspector finds it at the household."""

    district = SelectField(_l("区县"), validators=[InputRequired(message=_l("请选择区县。"))])
    township = SelectField(_l("街道/乡镇"), validators=[Optional()])
    identifier = StringField(_l("工业互联网标识"),
                             validators=[DataRequired(message=_l("请填写设备的工业互联网标识。")), Length(max=120)],
                             filters=[strip_filter],
                             render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"})
    carrier = RadioField(_l("标识载体"), choices=choices(CARRIER_TITLES),
                         validators=[InputRequired(message=_l("请选择标识载体。"))])
    serial = StringField(_l("序列号"), validators=[DataRequired(message=_l("请填写设备序列号。")), Length(max=100)],
                         filters=[strip_filter], render_kw={"autocomplete": "off", "spellcheck": "false"})
    device_type = SelectField(_l("设备类型"), choices=choices(DEVICE_TYPE_TITLES),
                              validators=[InputRequired(message=_l("请选择设备类型。"))])
    brand_model = StringField(_l("品牌和型号"),
                              validators=[DataRequired(message=_l("请填写品牌和型号。")), Length(max=NAME_MAX)],
                              filters=[strip_filter])
    installer_name = StringField(_l("安装单位（可选）"), validators=[Optional(), Length(max=NAME_MAX)],
                                 filters=[strip_filter], description=_l("用户自行选择的销售安装单位，按现场所见填写。"))
    gas_type = SelectField(_l("气源种类"), choices=choices(GAS_TYPE_TITLES), default=GasType.natural_gas.value,
                           validators=[InputRequired(message=_l("请选择气源种类。"))])
    household_category = SelectField(_l("用户类别"), choices=choices(HOUSEHOLD_CATEGORY_TITLES),
                                     default=HouseholdCategory.other.value,
                                     validators=[Optional()],
                                     description=_l("老旧小区居民、建档贫困户、城镇低保户计入重点用户的覆盖率。"))
    installed_on = DateField(_l("安装日期"), validators=[InputRequired(message=_l("请填写安装日期。"))])
    address = StringField(_l("安装地址"), validators=[DataRequired(message=_l("请填写安装地址。")),
                                                  Length(max=ADDRESS_MAX)], filters=[strip_filter],
                          description=_l("个人信息：加密保存，仅用户本人、安装单位和本区县的主管部门、燃气企业可见。"))

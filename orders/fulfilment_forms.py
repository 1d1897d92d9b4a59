"""Forms of fulfilment: the supplier's appointment and installation, the inspector's check, the queue filters."""

from __future__ import annotations

from datetime import datetime

from wtforms import DateField, FieldList, FormField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from core.clock import SHANGHAI
from core.forms import BaseForm, SubForm, choices, strip_filter
from core.i18n import _l
from devices.models import CARRIER_TITLES
from devices.services import DeviceInput
from orders.models import INSPECTION_RESULT_TITLES

#: The most devices one order can hold (OrderLine.quantity is at most 20).
MAX_DEVICES = 20


def shanghai_instant(day, moment) -> datetime:
    """A date and a wall-clock time in Chongqing as an aware instant."""
    return datetime.combine(day, moment, tzinfo=SHANGHAI)


class AppointmentForm(BaseForm):
    """The installation appointment (date and time in Chongqing, no JavaScript needed)."""

    appointment_date = DateField(_l("上门日期"), validators=[InputRequired(message=_l("请选择上门日期。"))])
    appointment_time = TimeField(_l("上门时间"), validators=[InputRequired(message=_l("请选择上门时间。"))])
    note = TextAreaField(_l("给用户的说明（可选）"), validators=[Optional(), Length(max=500)],
                         filters=[strip_filter])

    def appointment_at(self) -> datetime:
        return shanghai_instant(self.appointment_date.data, self.appointment_time.data)


class DeviceRowForm(SubForm):
    """One installed device as the installer reads it off the label or module."""

    identifier = StringField(_l("工业互联网标识"), validators=[DataRequired(message=_l("请填写设备的工业互联网标识。")),
                                                          Length(max=120)], filters=[strip_filter],
                             render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"})
    carrier = RadioField(_l("标识载体"), choices=choices(CARRIER_TITLES),
                         validators=[InputRequired(message=_l("请选择标识载体。"))])
    serial = StringField(_l("序列号"), validators=[DataRequired(message=_l("请填写设备序列号。")), Length(max=100)],
                         filters=[strip_filter], render_kw={"autocomplete": "off", "spellcheck": "false"})


class InstallForm(BaseForm):
    """The installation: when, and one row per unit ordered."""

    installed_date = DateField(_l("安装日期"), validators=[InputRequired(message=_l("请选择安装日期。"))])
    installed_time = TimeField(_l("安装时间"), validators=[InputRequired(message=_l("请选择安装时间。"))])
    devices = FieldList(FormField(DeviceRowForm), min_entries=0, max_entries=MAX_DEVICES)

    def installed_at(self) -> datetime:
        return shanghai_instant(self.installed_date.data, self.installed_time.data)

    def device_inputs(self) -> list[DeviceInput]:
        return [DeviceInput(row.identifier.data or "", row.carrier.data or "", row.serial.data or "")
                for row in self.devices]


class InspectionForm(BaseForm):
    """The acceptance check: passed or failed, with the inspector's notes (required when failed)."""

    result = RadioField(_l("验收结果"), choices=choices(INSPECTION_RESULT_TITLES),
                        validators=[InputRequired(message=_l("请选择验收结果。"))])
    notes = TextAreaField(_l("验收意见"), validators=[Optional(), Length(max=2000)], filters=[strip_filter],
                          description=_l("不合格时必填：写明需要整改的问题，用户和安装单位都会看到。"))


class SupplierOrderFilterForm(BaseForm):
    """Filters of the supplier's queue (GET)."""

    class Meta:
        csrf = False

    state = SelectField(_l("状态"), validators=[Optional()])
    date_field = SelectField(_l("日期类型"), validators=[Optional()],
                             choices=choices([("created", _l("下单日期")), ("appointment", _l("预约日期"))]))
    date_from = StringField(_l("起始日期"), validators=[Optional(), Length(max=10)], filters=[strip_filter],
                            render_kw={"type": "date", "placeholder": "YYYY-MM-DD"})
    date_to = StringField(_l("截止日期"), validators=[Optional(), Length(max=10)], filters=[strip_filter],
                          render_kw={"type": "date", "placeholder": "YYYY-MM-DD"})


class InspectionFilterForm(BaseForm):
    """The inspector's district filter (GET), when they serve several districts."""

    class Meta:
        csrf = False

    district = SelectField(_l("区县"), validators=[Optional()])

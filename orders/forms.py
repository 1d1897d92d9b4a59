"""Forms of the resident's side of orders: the order form (field names fixed by SPEC 3.3), cancellation."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import BaseForm, mobile_number, optional_int, strip_filter
from core.i18n import _l
from core.request_args import parse_day
from orders.pricing import MAX_QUANTITY


def iso_day(_form, field) -> None:
    """YYYY-MM-DD, as a date input sends it."""
    if field.data and parse_day(field.data) is None:
        raise ValidationError(_l("日期格式应为 YYYY-MM-DD，例如 2026-12-01。"))


class OrderForm(BaseForm):
    """`/orders/new?product={id}&district={code}`: the contract's field names; prices are never posted."""

    quantity = IntegerField(_l("数量（台）"), default=1,
                            validators=[InputRequired(message=_l("请填写数量。")),
                                        NumberRange(min=1, max=MAX_QUANTITY,
                                                    message=_l("数量应为 1 到 %(max)s。", max=MAX_QUANTITY))],
                            render_kw={"inputmode": "numeric", "min": 1, "max": MAX_QUANTITY})
    township = SelectField(_l("街道（乡镇）"), coerce=optional_int,
                           validators=[InputRequired(message=_l("请选择安装地址所在的街道（乡镇）。"))])
    community = SelectField(_l("老旧小区"), coerce=optional_int, validators=[Optional()],
                            description=_l("老旧小区住户请选择所在小区；其他用户不用选。"))
    address = StringField(_l("详细地址"),
                          validators=[DataRequired(message=_l("请填写详细地址（路、门牌号、楼栋、单元、房号）。")),
                                      Length(min=4, max=200, message=_l("详细地址应为 4 到 200 个字。"))],
                          filters=[strip_filter], render_kw={"autocomplete": "street-address"},
                          description=_l("路、门牌号、楼栋、单元和房号，方便安装人员上门。"))
    contact_name = StringField(_l("联系人"), validators=[DataRequired(message=_l("请填写联系人姓名。")),
                                                      Length(max=50, message=_l("联系人姓名最多 50 个字。"))],
                               filters=[strip_filter], render_kw={"autocomplete": "name"})
    contact_phone = StringField(_l("联系电话"),
                                validators=[DataRequired(message=_l("请填写联系电话。")), mobile_number],
                                filters=[strip_filter], render_kw={"autocomplete": "tel", "inputmode": "tel"})
    building_over_100m = BooleanField(_l("所在建筑高度超过 100 米"),
                                      description=_l("超过 100 米的高层住宅还必须安装家用燃气泄漏报警器。"))
    preferred_date = StringField(_l("希望上门的日期（可选）"), validators=[Optional(), Length(max=10), iso_day],
                                 filters=[strip_filter], render_kw={"type": "date", "placeholder": "YYYY-MM-DD"})
    #: The price token the page was shown with (orders.pricing.Quote.token): a changed price is never charged
    #: without being shown first.
    quote = HiddenField()

    def preferred_day(self):
        return parse_day(self.preferred_date.data) if self.preferred_date.data else None


class CancelForm(BaseForm):
    """The resident's cancellation: an optional reason."""

    reason = TextAreaField(_l("取消原因（可选）"), validators=[Optional(), Length(max=500)], filters=[strip_filter])


class SupplierCancelForm(BaseForm):
    """The supplier's cancellation of a paid order: the reason is required and shown to the resident."""

    reason = TextAreaField(_l("取消原因（用户会看到）"),
                           validators=[DataRequired(message=_l("请写明取消原因，用户会看到。")), Length(max=500)],
                           filters=[strip_filter])

"""Forms of solicitations, applications, reviews and list publication."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from catalog.models import DEVICE_TYPE_TITLES
from core.forms import BaseForm, MoneyField, SubForm, choices, strip_filter
from core.i18n import _l
from core.request_args import parse_int
from registry.lists.models import CRITERIA_TITLES


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes (rendered by the forms macro as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _weight(label):
    return IntegerField(label, default=25, validators=[InputRequired(), NumberRange(min=0, max=100)])


def _score(label):
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=100)])


class SolicitationForm(BaseForm):
    """An official opens a public call."""

    title = StringField(_l("征集标题"), validators=[InputRequired(), Length(max=200)], filters=[strip_filter])
    requirements = TextAreaField(_l("征集要求"), validators=[InputRequired(), Length(max=5000)],
                                 render_kw={"rows": 5})
    device_types = MultiCheckboxField(_l("征集的装置类型"), choices=choices(DEVICE_TYPE_TITLES),
                                      validators=[InputRequired()])
    deadline = DateField(_l("报名截止日期"), validators=[InputRequired()])
    weight_qualification = _weight(CRITERIA_TITLES["qualification"])
    weight_quality = _weight(CRITERIA_TITLES["quality"])
    weight_after_sales = _weight(CRITERIA_TITLES["after_sales"])
    weight_price = _weight(CRITERIA_TITLES["price"])

    def weights(self) -> dict[str, int]:
        return {c: getattr(self, f"weight_{c}").data for c in CRITERIA_TITLES}


class ApplicationItemForm(SubForm):
    """One of the supplier's valid products, with its price and installation fee in the district."""

    product_id = HiddenField()
    offered = BooleanField(_l("申报此产品"))
    price = MoneyField(_l("区县销售价（元）"), validators=[Optional()], minimum_fen=1)
    install_fee = MoneyField(_l("安装费（元）"), validators=[Optional()])


class ApplicationForm(BaseForm):
    """A supplier applies with products and district prices."""

    items = FieldList(FormField(ApplicationItemForm))
    note = TextAreaField(_l("申请说明"), validators=[Optional(), Length(max=3000)], render_kw={"rows": 3})

    def offered_items(self) -> list[tuple[int, int | None, int | None]]:
        return [(product_id, row.price.data, row.install_fee.data) for row in self.items
                if row.offered.data and (product_id := parse_int(row.product_id.data, minimum=1)) is not None]


class ReviewForm(BaseForm):
    """An official scores an application and decides."""

    score_qualification = _score(CRITERIA_TITLES["qualification"])
    score_quality = _score(CRITERIA_TITLES["quality"])
    score_after_sales = _score(CRITERIA_TITLES["after_sales"])
    score_price = _score(CRITERIA_TITLES["price"])
    comment = TextAreaField(_l("评审意见"), validators=[Optional(), Length(max=3000)], render_kw={"rows": 3})
    decision = RadioField(_l("决定"), default="", choices=choices(
        {"": _l("暂存评分（下一轮再定）"), "accept": _l("入选"), "reject": _l("不入选")}), validators=[Optional()])
    reason = TextAreaField(_l("入选或不入选的理由（告知申请单位）"), validators=[Optional(), Length(max=2000)],
                           render_kw={"rows": 2})

    def scores(self) -> dict[str, int | None]:
        return {c: getattr(self, f"score_{c}").data for c in CRITERIA_TITLES}


class PublishForm(BaseForm):
    """Publish the working list, with a written exception when fewer than 3 suppliers."""

    exception_reason = TextAreaField(_l("少于 3 家时的书面例外理由"), validators=[Optional(), Length(max=2000)],
                                     render_kw={"rows": 3},
                                     description=_l("仅在入选单位少于 3 家时填写；理由将在公告和公开页面展示。"))
    #: The current version number the official was looking at (0: none yet); a later one means a conflict.
    seen_number = HiddenField()
    #: Empty on the list page (the next step shows the changes to confirm); on the confirmation page, the digest
    #: of what was shown: publishing refuses when the working list changed since.
    confirm = HiddenField()

    def seen(self) -> int | None:
        """The version number the form was loaded with; None when the form did not send one."""
        raw = (self.seen_number.data or "").strip()
        if not raw:
            return None
        return int(raw) if raw.isdigit() and len(raw) < 10 else -1


class RemoveSupplierForm(BaseForm):
    """Remove a supplier from the list with a reason (and the case number of a sanction)."""

    reason = TextAreaField(_l("移出理由"), validators=[InputRequired(), Length(max=1000)], render_kw={"rows": 2})
    case_number = StringField(_l("案件编号（如有）"), validators=[Optional(), Length(max=50)], filters=[strip_filter])

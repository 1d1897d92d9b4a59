"""Forms of the complaints package: filing, following, the regulator's actions and the supplier's answer."""

from __future__ import annotations

import time

from flask import current_app
from flask_wtf.file import MultipleFileField
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from complaints.models import CASE_CATEGORY_TITLES, FINDING_TITLES
from core.forms import BaseForm, choices, email_address, mobile_number, optional_int, strip_filter
from core.i18n import _l

EVIDENCE_HELP = _l("可选，最多 5 个文件；PDF、PNG 或 JPEG，每个不超过 10 MB（如发票、收据、照片、聊天截图）。")


def _description(label, length_message) -> TextAreaField:
    """What happened: 10 to 5000 characters, with the hint that makes a case quick to check."""
    return TextAreaField(label, filters=[strip_filter],
                         validators=[DataRequired(message=_l("请把事情经过写清楚（至少 10 个字）。")),
                                     Length(min=10, max=5000, message=length_message)],
                         render_kw={"rows": 6}, description=_l("时间、地点、经过和涉及的金额，写得越具体，核查越快。"))


def category_choices():
    return choices([("", _l("请选择")), *[(key.value, title) for key, title in CASE_CATEGORY_TITLES.items()]])


class ComplaintForm(BaseForm):
    """`/complaints/new`: a resident's complaint about a supplier (optionally one of their orders or a product)."""

    supplier = SelectField(_l("被投诉单位"), coerce=optional_int,
                           validators=[InputRequired(message=_l("请选择被投诉的单位。"))])
    order = SelectField(_l("相关订单（可选）"), coerce=optional_int, validators=[Optional()])
    product = SelectField(_l("相关产品（可选）"), coerce=optional_int, validators=[Optional()])
    category = SelectField(_l("投诉类别"), choices=category_choices,
                           validators=[InputRequired(message=_l("请选择投诉类别。"))])
    description = _description(_l("事情经过"), _l("事情经过应为 10 到 5000 个字。"))
    resolution_wanted = TextAreaField(_l("希望如何解决"), filters=[strip_filter],
                                      validators=[Optional(), Length(max=1000, message=_l("最多 1000 个字。"))],
                                      render_kw={"rows": 2}, description=_l("如退款、更换、上门维修等（可选）。"))
    evidence = MultipleFileField(_l("证据材料"), description=EVIDENCE_HELP)


class SpamGuard:
    """Mixin for the anonymous form: a honeypot field that people never see and a signed time stamp.

    Both work without JavaScript: a bot that fills every field or posts faster than a person can type is
    refused (REPORT_MIN_FILL_SECONDS); an edited or missing stamp is refused too.
    """

    SALT = "report-form-stamp"

    @classmethod
    def new_stamp(cls, at: float | None = None) -> str:
        serializer = URLSafeTimedSerializer(current_app.secret_key, salt=cls.SALT)
        return serializer.dumps({"t": int(at if at is not None else time.time())})

    @classmethod
    def stamp_age(cls, stamp: str | None) -> float | None:
        serializer = URLSafeTimedSerializer(current_app.secret_key, salt=cls.SALT)
        try:
            data = serializer.loads(stamp or "", max_age=24 * 3600)
        except BadSignature:  # includes SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("t"), int):
            return None
        return time.time() - data["t"]

    def spam_reason(self) -> str | None:
        """Why this submission looks automated, or None."""
        if (self.website.data or "").strip():
            return "honeypot"
        age = self.stamp_age(self.started.data)
        if age is None:
            return "stamp"
        if age < float(current_app.config["REPORT_MIN_FILL_SECONDS"]):
            return "too_fast"
        return None


class ReportForm(SpamGuard, BaseForm):
    """`/report`: anyone's report, about a supplier in the register or one typed by name."""

    supplier = SelectField(_l("被举报单位（平台登记的单位）"), coerce=optional_int, validators=[Optional()])
    supplier_name = StringField(_l("或填写单位名称"), filters=[strip_filter],
                                validators=[Optional(), Length(max=200, message=_l("单位名称最多 200 个字。"))],
                                description=_l("未在平台登记的销售安装单位，请填写其名称、店招或网店名。"))
    district = SelectField(_l("发生地所在区县"), coerce=optional_int, validators=[Optional()])
    category = SelectField(_l("举报类别"), choices=category_choices,
                           validators=[InputRequired(message=_l("请选择举报类别。"))])
    description = _description(_l("举报内容"), _l("举报内容应为 10 到 5000 个字。"))
    evidence = MultipleFileField(_l("证据材料"), description=EVIDENCE_HELP)
    reporter_name = StringField(_l("您的姓名（可选）"), filters=[strip_filter],
                                validators=[Optional(), Length(max=50, message=_l("姓名最多 50 个字。"))],
                                render_kw={"autocomplete": "name"})
    reporter_phone = StringField(_l("联系电话（可选）"), filters=[strip_filter],
                                 validators=[Optional(), mobile_number], render_kw={"autocomplete": "tel"})
    reporter_email = StringField(_l("电子邮箱（可选）"), filters=[strip_filter],
                                 validators=[Optional(), Length(max=254), email_address],
                                 render_kw={"autocomplete": "email"})
    #: Honeypot: hidden from people by CSS and aria-hidden, left empty by them.
    website = StringField(_l("网址（请留空）"), validators=[Optional()], render_kw={"autocomplete": "off",
                                                                            "tabindex": "-1"})
    started = HiddenField()

    def validate_supplier_name(self, field) -> None:
        if not self.supplier.data and not field.data:
            raise ValidationError(_l("请选择或填写被举报的单位名称。"))


class TrackForm(BaseForm):
    """`/report/track`: the case number and the tracking code shown when the report was filed."""

    number = StringField(_l("案件编号"), filters=[strip_filter],
                         validators=[DataRequired(message=_l("请填写案件编号。")), Length(max=20)],
                         render_kw={"placeholder": "JB-2026-000001", "autocomplete": "off"})
    code = StringField(_l("查询码"), filters=[strip_filter],
                       validators=[DataRequired(message=_l("请填写查询码。")), Length(max=40)],
                       render_kw={"autocomplete": "off", "placeholder": "XXXX-XXXX-XXXX-XXXX"})


class AcceptForm(BaseForm):
    reason = TextAreaField(_l("受理说明（可选）"), filters=[strip_filter],
                           validators=[Optional(), Length(max=5000, message=_l("最多 5000 个字。"))],
                           render_kw={"rows": 2})


class AddInfoForm(BaseForm):
    text = TextAreaField(_l("补充说明"), filters=[strip_filter],
                         validators=[Optional(), Length(max=5000, message=_l("最多 5000 个字。"))],
                         render_kw={"rows": 3})
    evidence = MultipleFileField(_l("补充材料"), description=EVIDENCE_HELP)


def _required_text(label, message):
    return TextAreaField(label, filters=[strip_filter],
                         validators=[DataRequired(message=message), Length(max=5000, message=_l("最多 5000 个字。"))],
                         render_kw={"rows": 3})


class ReasonForm(BaseForm):
    """A required reason (the complainant's request to reopen)."""

    reason = _required_text(_l("理由"), _l("请填写理由。"))


class RejectForm(BaseForm):
    reason = _required_text(_l("不予受理的理由（投诉人会看到）"), _l("请写明不予受理的理由，投诉人会看到。"))


class InviteForm(BaseForm):
    reason = _required_text(_l("需要被投诉单位说明的问题"), _l("请写明需要被投诉单位说明的问题。"))


class NoteForm(BaseForm):
    reason = _required_text(_l("调查记录（仅监管部门可见）"), _l("请填写调查记录。"))


class AnswerForm(BaseForm):
    """The supplier's answer at /supplier/cases/<number>."""

    text = TextAreaField(_l("情况说明"), filters=[strip_filter],
                         validators=[DataRequired(message=_l("请填写情况说明。")),
                                     Length(max=5000, message=_l("最多 5000 个字。"))],
                         render_kw={"rows": 5})
    evidence = MultipleFileField(_l("证明材料"), description=EVIDENCE_HELP)


class AssignForm(BaseForm):
    officer = SelectField(_l("承办人"), coerce=optional_int,
                          validators=[InputRequired(message=_l("请选择承办人。"))])


class CloseForm(BaseForm):
    finding = RadioField(_l("核查结论"), choices=choices([(k.value, v) for k, v in FINDING_TITLES.items()]),
                         validators=[InputRequired(message=_l("请选择核查结论。"))])
    reason = TextAreaField(_l("处理结果和依据（投诉人会看到）"), filters=[strip_filter],
                           validators=[DataRequired(message=_l("请写明处理结果和依据，投诉人会看到。")),
                                       Length(max=5000, message=_l("最多 5000 个字。"))],
                           render_kw={"rows": 4})


class MergeForm(BaseForm):
    target = StringField(_l("并入案件编号"), filters=[strip_filter],
                         validators=[DataRequired(message=_l("请填写要并入的另一个案件编号。")), Length(max=20)],
                         render_kw={"placeholder": "JB-2026-000001"})
    reason = TextAreaField(_l("合并说明（可选）"), filters=[strip_filter],
                           validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})


class ReopenDecisionForm(BaseForm):
    decision = RadioField(_l("决定"), choices=choices([("grant", _l("同意重新处理")), ("refuse", _l("不同意"))]),
                          validators=[InputRequired(message=_l("请选择决定。"))])
    reason = TextAreaField(_l("理由（投诉人会看到）"), filters=[strip_filter],
                           validators=[DataRequired(message=_l("请写明决定的理由，投诉人会看到。")),
                                       Length(max=2000)], render_kw={"rows": 2})


class TypicalForm(BaseForm):
    typical_title = StringField(_l("典型案例标题"), filters=[strip_filter],
                                validators=[DataRequired(message=_l("请填写典型案例的标题和摘要。")),
                                            Length(max=200)])
    typical_summary = TextAreaField(_l("案情摘要（已匿名：不写个人姓名、电话、住址）"), filters=[strip_filter],
                                    validators=[DataRequired(message=_l("请填写典型案例的标题和摘要。")),
                                                Length(max=5000)], render_kw={"rows": 5})


class QueueFilterForm(BaseForm):
    """GET filters of /regulator/cases (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    state = SelectField(_l("状态"), validators=[Optional()])
    category = SelectField(_l("类别"), validators=[Optional()])
    kind = SelectField(_l("来源"), validators=[Optional()])
    district = SelectField(_l("区县"), coerce=optional_int, validators=[Optional()])
    supplier = SelectField(_l("单位"), coerce=optional_int, validators=[Optional()])
    flag = SelectField(_l("期限"), validators=[Optional()])
    q = StringField(_l("编号或单位名称"), filters=[strip_filter], validators=[Optional(), Length(max=100)])

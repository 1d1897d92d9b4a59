"""Catalog forms: product declaration, certificates, certificate status."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from catalog.models import (
    CERTIFICATE_KIND_TITLES,
    CERTIFICATE_STATUS_TITLES,
    DEVICE_TYPE_TITLES,
    TIER_TITLES,
    USAGE_TITLES,
    CertificateKind,
    DeviceType,
    Tier,
    Usage,
)
from catalog.services import CertificateData, ProductData
from catalog.tiers import FEATURE_LABELS, CertificateDeclaration
from core.forms import BaseForm, MoneyField, choices, strip_filter
from core.i18n import _l


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (rendered by _macros/forms.html)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


#: How many not-yet-uploaded certificates the pre-check lets a supplier type in (an alarm needs three).
PRECHECK_CERTIFICATE_ROWS = 3


class PrecheckCertificateForm(BaseForm):
    """A certificate typed into the pre-check only (not uploaded, never saved): kind, number and dates."""

    class Meta:
        csrf = False

    kind = SelectField(_l("证书类型"), choices=choices([("", _l("—（不填）")), *CERTIFICATE_KIND_TITLES.items()]),
                       validators=[Optional()])
    number = StringField(_l("证书编号"), validators=[Optional(), Length(max=100)], filters=[strip_filter])
    valid_from = DateField(_l("有效期起"), validators=[Optional()])
    valid_until = DateField(_l("有效期至"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.kind.data:
            if self.number.data or self.valid_until.data or self.valid_from.data:
                self.kind.errors = [*self.kind.errors, _l("请选择证书类型，或清空这一行。")]
                return False
            return valid
        if self.valid_until.data is None and not self.valid_until.errors:
            self.valid_until.errors = [*self.valid_until.errors, _l("请填写有效期截止日期。")]
            return False
        if self.valid_from.data and self.valid_until.data and self.valid_from.data > self.valid_until.data:
            self.valid_until.errors = [*self.valid_until.errors, _l("有效期起始日期不能晚于截止日期。")]
            return False
        return valid

    def declaration(self) -> CertificateDeclaration | None:
        if not self.kind.data or self.valid_until.data is None:
            return None
        return CertificateDeclaration(kind=self.kind.data, valid_until=self.valid_until.data,
                                      number=self.number.data or None, valid_from=self.valid_from.data)


class ProductForm(BaseForm):
    """A product declaration; `check` re-renders with the validator's verdict, `save` stores a draft."""

    device_type = SelectField(_l("装置类型"), choices=choices(DEVICE_TYPE_TITLES), validators=[InputRequired()])
    usage = SelectField(_l("用途（报警装置必填）"), choices=choices([("", _l("—（安全自闭阀无需选择）")),
                                                            *USAGE_TITLES.items()]), validators=[Optional()])
    tier = SelectField(_l("申报档次"), choices=choices(TIER_TITLES), validators=[InputRequired()])
    brand = StringField(_l("品牌"), validators=[InputRequired(), Length(max=100)], filters=[strip_filter])
    manufacturer = StringField(_l("生产厂家"), validators=[InputRequired(), Length(max=200)], filters=[strip_filter])
    is_own_manufacture = BooleanField(_l("本单位即生产厂家"),
                                      description=_l("不是生产厂家的，提交前须上传生产厂家出具的授权书。"))
    model = StringField(_l("型号"), validators=[InputRequired(), Length(max=100)], filters=[strip_filter],
                        render_kw={"autocomplete": "off"})
    #: The product's version_id when the editor loaded it (optimistic locking; empty on a new product).
    version_id = HiddenField()
    features = MultiCheckboxField(_l("具备的功能（按附件3 勾选）"), choices=choices(FEATURE_LABELS),
                                  validators=[Optional()])
    standards = TextAreaField(_l("执行标准（每行一项，含版本年号）"), validators=[Optional(), Length(max=2000)],
                              description=_l("例如：GB 15322.2-2019、GB/T 50058-2014、GB 16838-2021、CJ/T 447-2014"),
                              render_kw={"rows": 4})
    price = MoneyField(_l("设备价格（元）"), validators=[InputRequired()])
    install_fee = MoneyField(_l("安装费（元）"), validators=[InputRequired()])
    warranty_months = IntegerField(_l("质保期（月）"), default=12, validators=[
        InputRequired(), NumberRange(min=0, max=240, message=_l("质保期应在 0 到 240 个月之间。"))])
    service_content = TextAreaField(_l("服务内容（安装与售后包含的内容）"), validators=[Optional(), Length(max=4000)],
                                    filters=[strip_filter], render_kw={"rows": 3})
    early_price = MoneyField(_l("早鸟价（元，可选）"), validators=[Optional()],
                            description=_l("限时优惠价（附件1 四(五) 差别化激励），须同时填写截止日期。"))
    early_price_until = DateField(_l("早鸟价截止日期"), validators=[Optional()])
    authorisation = FileField(_l("生产厂家授权书（PDF/PNG/JPEG，不超过 10 MB）"))
    #: Certificates the supplier holds but has not uploaded: counted by the pre-check only, never saved.
    precheck_certificates = FieldList(FormField(PrecheckCertificateForm), min_entries=PRECHECK_CERTIFICATE_ROWS,
                                      max_entries=PRECHECK_CERTIFICATE_ROWS)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Not an inline `validate_usage`: `Optional` stops the chain before it when usage is empty.
        if self.device_type.data == DeviceType.leak_alarm and not self.usage.data and not self.usage.errors:
            self.usage.errors.append(_l("报警装置请选择用途（家用或商用）。"))
            return False
        return valid

    def declared_certificates(self) -> tuple[CertificateDeclaration, ...]:
        """The pre-check's typed-in certificates that are complete enough to count."""
        rows = (entry.form.declaration() for entry in self.precheck_certificates.entries if not entry.form.errors)
        return tuple(row for row in rows if row is not None)

    def validate_early_price_until(self, field) -> None:
        if (self.early_price.data is None) != (field.data is None):
            raise ValidationError(_l("早鸟价和截止日期须同时填写或同时留空。"))

    def to_data(self) -> ProductData:
        is_alarm = self.device_type.data == DeviceType.leak_alarm
        return ProductData(
            device_type=DeviceType(self.device_type.data), usage=Usage(self.usage.data) if is_alarm else None,
            tier=Tier(self.tier.data), brand=self.brand.data, manufacturer=self.manufacturer.data,
            model=self.model.data, is_own_manufacture=bool(self.is_own_manufacture.data),
            price_fen=self.price.data, install_fee_fen=self.install_fee.data,
            warranty_months=self.warranty_months.data, features=list(self.features.data or []),
            standards=_lines(self.standards.data), service_content=self.service_content.data or None,
            early_price_fen=self.early_price.data, early_price_until=self.early_price_until.data)

    def seen_version(self) -> int | None:
        """The version the editor loaded; None when the form sent none, -1 when it sent junk."""
        raw = (self.version_id.data or "").strip()
        if not raw:
            return None
        return int(raw) if raw.isdigit() and len(raw) < 10 else -1

    def fill_from(self, product) -> None:
        """Prefill a GET form from a product."""
        self.version_id.data = str(product.version_id)
        for name in ("device_type", "tier", "brand", "manufacturer", "model", "is_own_manufacture",
                     "warranty_months", "service_content", "early_price_until"):
            getattr(self, name).data = getattr(product, name)
        self.usage.data = product.usage or ""
        self.features.data = list(product.features or [])
        self.standards.data = "\n".join(product.standards or [])
        self.price.data, self.install_fee.data = product.price_fen, product.install_fee_fen
        self.early_price.data = product.early_price_fen


class CertificateForm(BaseForm):
    """A certificate of a product model, with an optional scan."""

    kind = SelectField(_l("证书类型"), choices=choices(CERTIFICATE_KIND_TITLES), validators=[InputRequired()])
    number = StringField(_l("证书编号"), validators=[InputRequired(), Length(max=100)], filters=[strip_filter])
    issuer = StringField(_l("发证机构"), validators=[InputRequired(), Length(max=200)], filters=[strip_filter])
    standard_edition = StringField(_l("检验依据标准及版本"), validators=[Optional(), Length(max=100)],
                                   filters=[strip_filter], description=_l("例如：GB 15322.2-2019"))
    valid_from = DateField(_l("有效期起"), validators=[Optional()])
    valid_until = DateField(_l("有效期至"), validators=[InputRequired()])
    scan = FileField(_l("证书扫描件（PDF/PNG/JPEG，不超过 10 MB）"))

    def validate_valid_until(self, field) -> None:
        if self.valid_from.data and field.data and self.valid_from.data > field.data:
            raise ValidationError(_l("有效期起始日期不能晚于截止日期。"))

    def to_data(self) -> CertificateData:
        return CertificateData(kind=CertificateKind(self.kind.data), number=self.number.data,
                               issuer=self.issuer.data, standard_edition=self.standard_edition.data or None,
                               valid_from=self.valid_from.data, valid_until=self.valid_until.data)

    def fill_from(self, cert) -> None:
        for name in ("kind", "number", "issuer", "standard_edition", "valid_from", "valid_until"):
            getattr(self, name).data = getattr(cert, name)


class CertificateStatusForm(BaseForm):
    """A regulator sets a certificate's register status, with a reason."""

    status = SelectField(_l("证书状态"), choices=choices(CERTIFICATE_STATUS_TITLES), validators=[InputRequired()])
    reason = TextAreaField(_l("原因（将记录在审计日志并告知单位）"), validators=[InputRequired(), Length(max=1000)],
                           filters=[strip_filter], render_kw={"rows": 2})


class ProductFilterForm(BaseForm):
    """Filters of the regulator's product list (GET)."""

    class Meta:
        csrf = False

    status = SelectField(_l("状态"), validators=[Optional()])
    district = SelectField(_l("服务区县"), validators=[Optional()])
    device_type = SelectField(_l("装置类型"), validators=[Optional()])
    tier = SelectField(_l("档次"), validators=[Optional()])
    q = StringField(_l("关键词（型号、品牌、单位）"), validators=[Optional(), Length(max=100)], filters=[strip_filter])

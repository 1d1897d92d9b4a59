"""Form base class and shared field helpers."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice, SelectFieldBase
from wtforms.form import Form
from wtforms.i18n import get_translations as wtforms_translations
from wtforms.validators import StopValidation

from core.districts import district_choices
from core.i18n import _, _l

#: Tab, line feed and carriage return are allowed in text areas only; no other control character anywhere.
_TEXT_AREA_CONTROLS = frozenset(chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127))
_LINE_CONTROLS = frozenset(chr(c) for c in (*range(0, 32), 127))


def clean_text_input(_form, field) -> None:
    """Every field of every form: no NUL or other control characters; a required field not only spaces.

    PostgreSQL refuses NUL in text, and `strip_filter` turns "   " into an empty string that
    `InputRequired` (which looks at the raw input) lets through.
    """
    values = [value for value in (field.raw_data or ()) if isinstance(value, str)]
    controls = _TEXT_AREA_CONTROLS if isinstance(field, TextAreaField) else _LINE_CONTROLS
    if any(not controls.isdisjoint(value) for value in values):
        field.errors.clear()
        raise StopValidation(_l("不能包含控制字符（如 NUL 字节）。"))
    if field.flags.required and values and not isinstance(field, SelectFieldBase) \
            and not any(value.strip() for value in values):  # a choice's own "required" message says more
        field.errors.clear()
        raise StopValidation(_l("不能只包含空格。"))


class _InputMeta:
    """Meta mixin: `clean_text_input` runs first on every field of the form."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        field.validators = [clean_text_input, *field.validators]
        return field

    def get_translations(self, form):  # WTForms' built-in messages in the active locale
        locale = get_locale()
        languages = ["zh"] if locale is None or locale.language == "zh" else ["en"]
        return wtforms_translations(languages)


class BaseForm(FlaskForm):
    """All forms: CSRF-protected, translated messages from WTForms' own catalogue via Flask-Babel,
    and clean text input (see `clean_text_input`)."""

    class Meta(_InputMeta):
        pass


class SubForm(Form):
    """A form nested in a BaseForm through FormField/FieldList (no CSRF token of its own)."""

    class Meta(_InputMeta):
        pass


#: The largest amount any money field accepts (exclusive), in yuan.
MAX_YUAN = Decimal("10000000")
_YUAN = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_yuan(text: str | None, *, maximum: Decimal = MAX_YUAN) -> int | None:
    """'199.5' (yuan) → 19950 (fen); None for blank; ValueError (with a message) for anything else.

    Refused: more than 2 decimals, negative, exponents, inf/nan, `maximum` yuan or more, junk.
    Full-width digits, a ¥ sign and thousands separators are accepted.
    """
    text = unicodedata.normalize("NFKC", text or "").strip().replace(",", "").lstrip("¥").strip()
    if not text:
        return None
    if not _YUAN.fullmatch(text):
        raise ValueError(_l("请输入金额（元），例如 199 或 199.50。"))
    value = Decimal(text)
    if value < 0:
        raise ValueError(_l("金额不能为负数。"))
    if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise ValueError(_l("金额最多保留两位小数（精确到分）。"))
    if value >= maximum:
        raise ValueError(_l("金额须小于 %(max)s 元。", max=f"{maximum:,}"))
    return int(value * 100)


def format_yuan(fen: int | None) -> str:
    """19950 → '199.50' for redisplay in a form."""
    return "" if fen is None else f"{Decimal(fen) / 100:.2f}"


class MoneyField(StringField):
    """A money amount entered in yuan; `data` is integer fen (None when left blank).

    `minimum_fen` is the smallest amount accepted (0 by default); see `parse_yuan` for the rest.
    """

    def __init__(self, label=None, validators=None, *, minimum_fen: int = 0, maximum: Decimal = MAX_YUAN,
                 **kwargs) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, **kwargs)
        self.minimum_fen, self.maximum = minimum_fen, maximum

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0] if valuelist else ""
        value = parse_yuan(text, maximum=self.maximum)
        if value is not None and value < self.minimum_fen:
            raise ValueError(_l("金额不能小于 %(min)s 元。", min=format_yuan(self.minimum_fen)))
        self.data = value

    def process_data(self, value):
        self.data = value if isinstance(value, int) and not isinstance(value, bool) else None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_yuan(self.data)


def strip_filter(value):
    """Trim surrounding white space of text input."""
    return value.strip() if isinstance(value, str) else value


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")


def email_address(_form, field) -> None:
    """A plausible email address (deliverability is not checked: demo addresses use .local)."""
    value = (field.data or "").strip().lower()
    if value and not _EMAIL.match(value):
        raise ValidationError(_l("请输入有效的邮箱地址。"))
    field.data = value or None


def mobile_number(_form, field) -> None:
    """A mainland mobile number: 11 digits starting with 1."""
    value = (field.data or "").replace(" ", "").replace("-", "")
    if value and (len(value) != 11 or not value.isdigit() or not value.startswith("1")):
        raise ValidationError(_l("请输入 11 位手机号码。"))
    field.data = value or None


def optional_int(value) -> int | None:
    """Coerce for a SelectField whose first option is an empty "please choose": "" → None, else int.

    Pair it with InputRequired(message=...) so that submitting the empty option gives a translated error."""
    if value is None or value == "":
        return None
    return int(value)


def attach_domain_error(form, exc) -> bool:
    """Show a DomainError next to the field it names; returns False when it names no field of the form."""
    field = getattr(form, exc.field or "", None)
    if field is None or not hasattr(field, "errors"):
        return False
    field.errors = [*field.errors, exc.message]
    return True


def choices(pairs) -> list[SelectChoice]:
    """Select/radio choices from (value, label) pairs or a {value: label} dict (WTForms 3.3 style)."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


def title_choices(titles: dict, blank) -> list:
    """Select choices from an enum's titles, after a blank "all" entry."""
    return choices([("", blank), *[(str(k), v) for k, v in titles.items()]])


def district_filter_choices() -> list:
    """Select choices of every district, after "all districts"."""
    return choices([("", _("全部区县")), *[(str(i), n) for i, n in district_choices(str(get_locale()))]])

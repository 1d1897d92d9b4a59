"""Form base class and shared field helpers."""

from __future__ import annotations

import re

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import get_translations as wtforms_translations

from core.i18n import _l


class BaseForm(FlaskForm):
    """All forms: CSRF-protected, translated messages from WTForms' own catalogue via Flask-Babel."""

    class Meta:
        def get_translations(self, form):  # WTForms' built-in messages in the active locale
            locale = get_locale()
            languages = ["zh"] if locale is None or locale.language == "zh" else ["en"]
            return wtforms_translations(languages)


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

"""Password strength: refuse common and trivially guessable passwords (SPEC section 8).

`password_problem` is the rule; `StrongPassword` is the WTForms validator for any form with a password
field (resident and supplier registration, password change, admin account creation). The list of common
passwords ships with the project in data/common-passwords.txt.
"""

from __future__ import annotations

import re
from functools import lru_cache

from wtforms.validators import ValidationError

from core.config import PROJECT_ROOT
from core.i18n import _l

COMMON_PASSWORDS_PATH = PROJECT_ROOT / "data" / "common-passwords.txt"
MIN_LENGTH = 10
MAX_LENGTH = 128
#: Runs typed in order: digits, the alphabet, keyboard rows (each also read backwards).
SEQUENCES = ("01234567890123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm",
             "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp")
#: The rule, stated next to every new-password field before anyone types.
RULE = _l("%(min)d 到 %(max)d 个字符；不能是常见密码，不能只是重复或连续的字符，也不能包含您的邮箱、手机号码或姓名。",
          min=MIN_LENGTH, max=MAX_LENGTH)
MESSAGES = {
    "short": _l("密码长度应为 10 到 128 个字符。"),
    "common": _l("这个密码太常见，很容易被猜到，请换一个。"),
    "trivial": _l("密码不能只是重复或连续的字符（例如 aaaaaa、123456、qwerty）。"),
    "personal": _l("密码不能包含您的邮箱、手机号码或姓名。"),
}


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _is_periodic(value: str) -> bool:
    """aaaaaaaaaa, abababab, abcabcabc: the whole password repeats a shorter unit."""
    return any(all(value[i] == value[i % p] for i in range(len(value))) for p in range(1, len(value) // 2 + 1))


def _is_sequence(value: str) -> bool:
    return any(value in seq or value in seq[::-1] for seq in SEQUENCES)


def _personal_parts(email: str | None, phone: str | None, name: str | None) -> list[str]:
    parts = []
    if email:
        local = email.strip().lower().split("@")[0]
        parts += [p for p in re.split(r"[._+-]", local) + [local] if len(p) >= 3]
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 6:
        parts += [digits, digits[-8:]]
    compact = re.sub(r"\s+", "", (name or "").lower())
    if len(compact) >= 3 or (len(compact) == 2 and not compact.isascii()):
        parts.append(compact)
    return parts


def password_problem(password: str, *, email: str | None = None, phone: str | None = None,
                     name: str | None = None) -> str | None:
    """The key of MESSAGES that refuses `password`, or None when it is acceptable."""
    password = password or ""
    if len(password) < MIN_LENGTH or len(password) > 128:
        return "short"
    lowered = password.lower()
    core = lowered.strip("0123456789!@#$%^&*()-_=+.,;:?~ ")
    if len(set(lowered)) < 4 or _is_periodic(lowered) or _is_sequence(lowered) or _is_sequence(core):
        return "trivial"
    if lowered in common_passwords() or (len(core) >= 4 and core in common_passwords()):
        return "common"
    if any(part in lowered for part in _personal_parts(email, phone, name)):
        return "personal"
    return None


def password_message(problem: str) -> str:
    return str(MESSAGES[problem])


class StrongPassword:
    """WTForms validator: the field's form may have email, phone and name fields (names configurable)
    and a `password_owner` (the User changing their password) whose details the password may not contain."""

    def __init__(self, email_field: str = "email", phone_field: str = "phone", name_field: str = "display_name"):
        self.fields = (email_field, phone_field, name_field)

    def __call__(self, form, field) -> None:
        values = [getattr(form[name], "data", None) if name in form else None for name in self.fields]
        owner = getattr(form, "password_owner", None)
        if owner is not None:
            values = [values[0] or owner.email, values[1] or owner.phone, values[2] or owner.display_name]
        problem = password_problem(field.data or "", email=values[0], phone=values[1], name=values[2])
        if problem is not None:
            raise ValidationError(MESSAGES[problem])

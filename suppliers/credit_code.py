"""Unified social credit code (统一社会信用代码) check digit, GB 32100-2015."""

from __future__ import annotations

from core.i18n import _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise(code: str) -> str:
    """Upper-case and strip white space."""
    return "".join((code or "").split()).upper()


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 (raises ValueError on a character outside the alphabet)."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    value = 31 - total % 31
    return ALPHABET[0 if value == 31 else value]


def is_valid(code: str) -> bool:
    """True when the code has 18 characters from the alphabet and a correct check digit."""
    code = normalise(code)
    if len(code) != 18 or any(ch not in ALPHABET for ch in code):
        return False
    return check_digit(code[:17]) == code[17]


def problem(code: str) -> str | None:
    """What is wrong with a code, as a translated message (length, a character not allowed, check digit)."""
    code = normalise(code)
    if len(code) != 18:
        return _("统一社会信用代码应为 18 位。")
    illegal = list(dict.fromkeys(ch for ch in code if ch not in ALPHABET))
    if illegal:
        return _("统一社会信用代码中不能出现字符 %(chars)s（代码只用数字和除 I、O、S、V、Z 以外的大写字母）。",
                 chars="、".join(f"“{ch}”" for ch in illegal))
    if check_digit(code[:17]) != code[17]:
        return _("统一社会信用代码校验位不正确，请核对营业执照。")
    return None

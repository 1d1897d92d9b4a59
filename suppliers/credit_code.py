"""Unified social credit code (统一社会信用代码) check digit, GB 32100-2015."""

from __future__ import annotations

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

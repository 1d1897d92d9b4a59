"""Field encryption for personal data (AES-256-GCM) and keyed blind indexes for exact look-ups."""

from __future__ import annotations

import base64
import hashlib
import hmac

from Crypto.Cipher import AES
from Crypto.Random import get_random_bytes
from flask import current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

_VERSION = b"\x01"


def _master_key() -> bytes:
    raw = current_app.config["DATA_KEY"]
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        key = hashlib.sha256(raw.encode()).digest()
    return key


def _derive(purpose: bytes) -> bytes:
    return hmac.new(_master_key(), purpose, hashlib.sha256).digest()


def encrypt(plaintext: str) -> str:
    """Encrypt a string; the result is ASCII (version, nonce, tag, ciphertext, base64)."""
    nonce = get_random_bytes(12)
    cipher = AES.new(_derive(b"encrypt"), AES.MODE_GCM, nonce=nonce)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext.encode("utf-8"))
    return base64.urlsafe_b64encode(_VERSION + nonce + tag + ciphertext).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt what encrypt() produced; raises ValueError when it was tampered with."""
    blob = base64.urlsafe_b64decode(token.encode("ascii"))
    if blob[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    nonce, tag, ciphertext = blob[1:13], blob[13:29], blob[29:]
    cipher = AES.new(_derive(b"encrypt"), AES.MODE_GCM, nonce=nonce)
    return cipher.decrypt_and_verify(ciphertext, tag).decode("utf-8")


def blind_index(value: str, *, purpose: str = "default") -> str:
    """A keyed HMAC of a normalised value, for exact look-ups without storing the value."""
    normalised = "".join(value.split()).lower()
    return hmac.new(_derive(b"index:" + purpose.encode()), normalised.encode("utf-8"), hashlib.sha256).hexdigest()


def mask_phone(phone: str | None) -> str:
    """138****5678 style masking for display to people who may not see the number."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) <= 7:
        return digits[:1] + "*" * max(len(digits) - 2, 1) + digits[-1:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_text(text: str | None, keep: int = 6) -> str:
    """Keep the first characters of an address (district, street) and hide the rest."""
    if not text:
        return ""
    return text[:keep] + "****" if len(text) > keep else text[:1] + "****"


class EncryptedString(TypeDecorator):
    """A column stored encrypted at rest and read back as plain text."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)

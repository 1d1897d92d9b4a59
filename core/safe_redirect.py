"""Redirect targets: only local paths are followed (no open redirects)."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_local_path(target: str | None) -> bool:
    """True for a path on this site such as /orders?x=1; false for //evil, http://evil, \\\\evil.

    Control characters are refused: browsers drop tabs and newlines (`/<TAB>/evil` becomes `//evil`) and a
    newline cannot go into a `Location` header.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not any(ord(c) < 32 or ord(c) == 127 for c in target)


def local_or(target: str | None, fallback: str) -> str:
    """`target` when it is a local path, else `fallback`."""
    return target if is_local_path(target) else fallback

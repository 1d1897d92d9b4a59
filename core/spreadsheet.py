"""Text that goes into a spreadsheet (CSV or XLSX) from people's input."""

from __future__ import annotations

#: A cell starting with one of these is a formula to Excel, LibreOffice and Numbers (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Text as a spreadsheet shows it, never as a formula (=, +, -, @ at the start are neutralised)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text

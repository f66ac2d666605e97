"""Spreadsheet cells that would start a formula (OWASP CSV injection): what counts, and the CSV guard.

A cell whose text starts with ``= + - @`` (or a tab or carriage return before one) is run as a formula by Excel
and its kin. The xlsx writers mark such cells as text (``monthly.workbook_xlsx``); the CSV writer prefixes a
single quote, and the CSV/XLSX reader takes exactly that quote off again, so export → import changes nothing.
"""

from __future__ import annotations

FORMULA_START = frozenset("=+-@\t\r")
GUARD = "'"


def starts_formula(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula (its first character is ``= + - @``, tab or CR),
    looking past the single quotes a guard put in front."""
    bare = text.lstrip(GUARD)
    return bool(bare) and bare[0] in FORMULA_START


def guarded(text: str) -> str:
    """``text`` for a CSV cell: a single quote in front when it would start a formula (OWASP)."""
    return GUARD + text if starts_formula(text) else text


def unguarded(text: str) -> str:
    """The text ``guarded`` was given: the one quote it added taken off, anything else unchanged."""
    return text[1:] if text.startswith(GUARD) and starts_formula(text[1:]) else text

"""Cells that a spreadsheet would run as formulas, and how CSV files keep them text.

A spreadsheet runs a cell starting with = + - @ tab or CR as a formula (OWASP "CSV
injection"). CSV exports put an apostrophe before such a cell, and before one that is
apostrophes and then such a character, so that an import, which strips exactly one
apostrophe from both kinds, gives back the original text.
"""

import re

FORMULA = re.compile(r"'*[=+\-@\t\r]")
_RISKY_FIRST = frozenset("'=+-@\t\r")


def neutralise(cell):
    """The cell as written to a CSV file: with an apostrophe first if it would run."""
    # The first-character test spares the regex for almost every cell of a large export.
    if cell and cell[0] in _RISKY_FIRST and FORMULA.match(cell):
        return "'" + cell
    return cell


def unneutralise(cell):
    """The cell as read from a CSV file: ``neutralise`` undone."""
    return cell[1:] if cell.startswith("'") and FORMULA.match(cell, 1) else cell

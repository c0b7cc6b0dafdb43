"""The spreadsheet formula guard for CSV cells, shared by the exports and the batch run reports.

A module of its own (it imports nothing) so that the reports, which the store uses, need not
import the export, which imports the store.
"""

from __future__ import annotations

#: Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection"); LF added
#: because some importers trim a leading newline and then see the next character.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that starts like a formula with ``'``; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value

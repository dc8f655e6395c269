"""The matching report's content: what an import could not match or place, and why.

The Annex A import and the extract import fill one :class:`Matching` as they read; nothing
is dropped silently, since every row read is imported or listed in ``rows`` with its reason.
``casekit import-annex-a`` and ``casekit import-csv`` write it as an editable workbook
(:func:`casekit.ingest.annex_import.write_report`).

>>> m = Matching()
>>> m.skip(3, "List 3", 5, "101", "no Date of Referral")
>>> m.rows
[{'list': 3, 'sheet': 'List 3', 'row': 5, 'child': '101', 'reason': 'no Date of Referral'}]
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Matching"]


@dataclass
class Matching:
    """What the import could not match or place: the matching report's content."""

    headers: list[dict[str, object]] = field(default_factory=list)
    values: Counter[tuple[str, str]] = field(default_factory=Counter)
    rows: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    read: Counter[int | str] = field(default_factory=Counter)
    """Rows read per list (or table)."""
    imported: Counter[int | str] = field(default_factory=Counter)
    """Rows imported per list (each row read is imported or listed in ``rows``)."""

    def skip(self, number: int, sheet: str, row: int, child: object, reason: str) -> None:
        """List one row of an Annex A list that was not imported, with its reason."""
        self.rows.append(
            {"list": number, "sheet": sheet, "row": row, "child": child, "reason": reason}
        )

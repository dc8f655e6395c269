"""Open an agency's spreadsheet as rows of cells, then find and match its header row.

The one opener, header-row finder and header matcher that every importer uses: agency
chronology merges (:mod:`casekit.ingest.merge`), Annex A (:mod:`casekit.ingest.annex_import`)
and case-management extracts (:mod:`casekit.ingest.extract`). Each importer says which
targets (contract columns or Annex A fields) it looks for and how each is spelt; this module
reads the file within casekit's limits (:func:`casekit.bundle.workbooks.read_workbook`,
:func:`casekit.bundle.io.read_csv_rows`), finds the row that names the most of them (files
often open with a title or a note), and matches each header to its target whatever its case,
spaces or punctuation.

>>> index = header_index({"date": ("Date of event", "When"), "summary": ("What happened",)})
>>> rows = [("School chronology",), ("WHEN", "What happened", "Seen by"), ("05/02/2024", "Visit")]
>>> find_header_row(rows, index, required=("date",))
1
>>> match_headers(rows[1], index)
({0: 'date', 1: 'summary'}, [(2, 'Seen by')])
>>> [number for number, _ in data_rows(rows, 1)]
[3]
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from casekit.bundle.io import read_csv_rows
from casekit.bundle.workbooks import Sheet, read_workbook
from casekit.errors import CasekitError

__all__ = [
    "HEADER_ROWS",
    "header_key",
    "header_index",
    "blank",
    "read_grid",
    "find_header_row",
    "match_headers",
    "data_rows",
    "closest",
]

HEADER_ROWS = 10
"""How many rows from the top of a sheet may hold its header row."""

Row = Sequence[object]


def header_key(name: object) -> str:
    """Reduce a header to letters and digits, lower case, so spellings of one header match.

    >>> header_key("Child Unique ID"), header_key("CHILD_UNIQUE_ID "), header_key("Referral NFA?")
    ('childuniqueid', 'childuniqueid', 'referralnfa')
    """
    return re.sub(r"[^a-z0-9]", "", str(name).replace("\xa0", " ").lower())


def header_index(synonyms: Mapping[str, Iterable[str]], *more: Mapping[str, str]) -> dict[str, str]:
    """Map each header's key to its target: ``synonyms`` (target -> spellings), then ``more``.

    Each mapping in ``more`` (spelling -> target, such as the columns' own names or an
    analyst's mapping file) is applied in turn, so a later one wins over an earlier one.

    >>> header_index({"date": ("Date", "When")}, {"Date seen": "date"})
    {'date': 'date', 'when': 'date', 'dateseen': 'date'}
    """
    index = {header_key(s): target for target, names in synonyms.items() for s in names}
    for pairs in more:
        index.update({header_key(spelling): target for spelling, target in pairs.items()})
    return index


def blank(value: object) -> bool:
    """Say whether a cell is empty: nothing, or only spaces.

    >>> blank(None), blank("  "), blank(0), blank("x")
    (True, True, False, False)
    """
    return value is None or (isinstance(value, str) and not value.strip())


def read_grid(
    path: str | Path,
    what: str,
    wanted: Callable[[str], bool] | None = None,
    *,
    csv: bool = True,
) -> Iterator[Sheet]:
    """Open a CSV file (one sheet, named after the file) or a workbook, sheet by sheet.

    ``what`` names the file in a message (``"an extract"``). A workbook is read by the one safe
    reader (:func:`casekit.bundle.workbooks.read_workbook`: ``wanted`` picks sheets by title,
    the others come with ``rows`` None), a CSV file in whatever encoding it was saved
    (:func:`casekit.bundle.io.read_csv_rows`); both within casekit's limits. With
    ``csv=False`` the file must be a workbook, whatever its name ends with. A missing file, or
    one of another kind, is a :class:`CasekitError` that says what to do.
    """
    path = Path(path)
    if not path.is_file():
        raise CasekitError(f"{path}: no such {'file' if csv else 'workbook'}. Check the path.")
    suffix = path.suffix.lower()
    if csv and suffix == ".csv":
        yield Sheet(path.name, [tuple(row) for row in read_csv_rows(path)])
    elif not csv or suffix in (".xlsx", ".xlsm"):
        yield from read_workbook(path, wanted)
    else:
        raise CasekitError(
            f"{path.name}: {what} must be a .csv or .xlsx file; save it as one (in Excel: "
            "File > Save As > 'Excel Workbook (*.xlsx)' or 'CSV UTF-8')."
        )


def find_header_row(
    rows: Sequence[Row],
    index: Mapping[str, str],
    required: Iterable[str] = (),
    within: int = HEADER_ROWS,
) -> int | None:
    """Find the header row: the one of the first ``within`` rows that names the most targets.

    Only a row that names every ``required`` target counts, and the first row wins a tie.
    Returns the row's position in ``rows`` (spreadsheet row minus 1), or None when no row
    names a target (or none names all the required ones).
    """
    need = set(required)
    best, at = 0, None
    for i, row in enumerate(rows[:within]):
        found = {index.get(header_key(c)) for c in row if not blank(c)} - {None}
        if need <= found and len(found) > best:
            best, at = len(found), i
    return at


def match_headers(
    row: Row, index: Mapping[str, str]
) -> tuple[dict[int, str], list[tuple[int, str]]]:
    """Match a header row's cells to targets: ``({column: target}, [(column, header)])``.

    Columns count from 0; empty header cells are left out of both. Each importer reports the
    unmatched headers its own way (with :func:`closest` for a suggestion).
    """
    columns: dict[int, str] = {}
    unmatched: list[tuple[int, str]] = []
    for j, cell in enumerate(row):
        if blank(cell):
            continue
        key = header_key(cell)
        if key in index:
            columns[j] = index[key]
        else:
            unmatched.append((j, str(cell)))
    return columns, unmatched


def data_rows(
    rows: Sequence[Row], header_at: int, empty: Callable[[object], bool] = blank
) -> Iterator[tuple[int, Row]]:
    """Yield ``(spreadsheet row number, row)`` for each row below the header with a value.

    A row whose every cell is ``empty`` is skipped; row numbers count the header as it sits
    in the sheet (the row just below a header in row 1 is row 2). ``header_at`` -1 yields
    every row, from row 1.
    """
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not all(empty(c) for c in row):
            yield number, row


def closest(text: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """Return the choice most like ``text`` (a suggestion for an unmatched header), or "".

    >>> closest("Ref Src", ["Referral Source", "Referral Date"]), closest("xyz", ["date"])
    ('Referral Source', '')
    """
    found = difflib.get_close_matches(text, list(choices), n=1, cutoff=cutoff)
    return found[0] if found else ""

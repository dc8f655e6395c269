"""Read .xlsx workbooks safely: the one reader every casekit command uses.

A workbook is a zip of XML files, so a tiny file can declare a sheet of 17 billion cells or
unzip to gigabytes. :func:`read_workbook` refuses such a file before memory is spent:

- the zip itself is checked first: its members may unzip to at most ``unzipped_mb`` in all,
  and no large member may be compressed more than ``max_ratio`` times (a zip bomb);
- each sheet's declared ``<dimension>`` is checked against the row and column limits;
- rows are then streamed (openpyxl's read-only parser) and counted as they come: the row
  number, the row's width (trailing empty cells do not count) and the cells read so far.
  Rows are never padded to the declared width, and empty rows after the data cost nothing.

XML entity tricks are refused by ``defusedxml``, which openpyxl uses when it is installed (it
is a casekit dependency). Every refusal is a :class:`~casekit.errors.CasekitError` naming the
file and sheet and saying how to go on. The limits have defaults that suit any workbook a team
keeps (Excel's own sheet holds at most 1,048,576 rows); raise them with :class:`Limits` or the
environment variables in :data:`ENVIRONMENT`.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from casekit.errors import CasekitError

if TYPE_CHECKING:
    from openpyxl.worksheet._reader import WorkSheetParser

__all__ = ["Limits", "Sheet", "read_workbook", "ENVIRONMENT"]

ENVIRONMENT = {
    "rows": "CASEKIT_MAX_ROWS",
    "columns": "CASEKIT_MAX_COLUMNS",
    "cells": "CASEKIT_MAX_CELLS",
    "unzipped_mb": "CASEKIT_MAX_UNZIPPED_MB",
    "csv_mb": "CASEKIT_MAX_CSV_MB",
}
"""The environment variable that sets each limit (a whole number)."""

EXCEL_COLUMNS = 16_384
"""Excel's last column (XFD): no row of a real workbook holds more cells."""

_RESAVE = "Open it in Excel and save it again as 'Excel Workbook (*.xlsx)'"


@dataclass(frozen=True)
class Limits:
    """How much of a workbook (or CSV file) casekit reads before refusing it.

    ``rows`` and ``columns`` are per sheet, ``cells`` counts every cell read from the whole
    workbook (rows times their width, trailing empty cells left out). ``unzipped_mb`` bounds
    what the workbook's zip members unzip to, and ``max_ratio`` how far a member larger than
    1 MB may be compressed. ``csv_mb`` bounds one CSV file's size.
    """

    rows: int = 1_000_000
    columns: int = 500
    cells: int = 10_000_000
    unzipped_mb: int = 500
    max_ratio: int = 100
    csv_mb: int = 500

    @classmethod
    def from_environment(cls) -> Limits:
        """Return the defaults, with any limit set in the environment (``CASEKIT_MAX_ROWS``…)."""
        changes = {}
        for f in fields(cls):
            name = ENVIRONMENT.get(f.name)
            text = os.environ.get(name or "", "").strip().replace(",", "").replace("_", "")
            if not name or not text:
                continue
            if not text.isdigit() or int(text) < 1:
                raise CasekitError(
                    f"{name}={os.environ[name]!r}: a limit is a whole number of 1 or more."
                )
            changes[f.name] = int(text)
        return replace(cls(), **changes)


def _how(limit: str) -> str:
    default = getattr(Limits(), limit)
    return (
        f"split the file, or raise the limit by setting {ENVIRONMENT[limit]} "
        f"(for example {ENVIRONMENT[limit]}={default * 2})"
    )


@dataclass
class Sheet:
    """One sheet as read: its title and its rows of cell values.

    ``rows[0]`` is spreadsheet row 1. Trailing empty cells and trailing empty rows are left
    out, so rows may be narrower than the header. ``rows`` is None for a sheet that was not
    asked for.
    """

    title: str
    rows: list[tuple[object, ...]] | None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_zip(path: Path, name: str, limits: Limits) -> None:
    """Refuse a file that is not a zip, or whose members would unzip to too much."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise CasekitError(
            f"{name}: cannot be opened as an .xlsx workbook ({exc}); the file is damaged or "
            f"is not a workbook. {_RESAVE}."
        ) from None
    total = sum(m.file_size for m in members)
    if total > limits.unzipped_mb * 2**20:
        raise CasekitError(
            f"{name}: unzips to {total / 2**20:,.0f} MB, more than the limit of "
            f"{limits.unzipped_mb:,} MB; {_how('unzipped_mb')}."
        )
    for m in members:
        ratio = m.file_size // max(m.compress_size, 1)
        if m.file_size > 2**20 and ratio > limits.max_ratio:
            raise CasekitError(
                f"{name}: its part {m.filename!r} is compressed {ratio:,} "
                f"times (a zip bomb?); a workbook's parts are compressed at most "
                f"{limits.max_ratio} times. {_RESAVE}."
            )


def _read_rows(sheet: Any, where: str, limits: Limits, budget: list[int]) -> list[tuple]:
    """Stream one read-only sheet's rows, counting rows, width and cells against the limits.

    ``sheet`` is openpyxl's ``ReadOnlyWorksheet``; it is typed ``Any`` because this reads the
    private parts openpyxl's own reader uses (its source, shared strings, date formats), which
    the openpyxl stubs leave out.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    declared_rows, declared_columns = sheet.max_row, sheet.max_column  # from <dimension>
    if declared_rows is not None and declared_rows > limits.rows:
        raise CasekitError(
            f"{where}: declares {declared_rows:,} rows, more than the limit of "
            f"{limits.rows:,}; {_how('rows')}."
        )
    if declared_columns is not None and declared_columns > limits.columns:
        raise CasekitError(
            f"{where}: declares {declared_columns:,} columns, more than the limit of "
            f"{limits.columns:,}; {_how('columns')}."
        )
    rows: list[tuple] = []
    book = sheet.parent
    with sheet._get_source() as source:  # openpyxl's own cell parser, without its padding
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in _parsed_rows(source, parser, where):
            filled = [c for c in cells if not _blank(c["value"])]
            if not filled:
                continue  # an empty row costs nothing, wherever it is
            if number > limits.rows:
                raise CasekitError(
                    f"{where}: has data in row {number:,}, more than the limit of "
                    f"{limits.rows:,} rows; {_how('rows')}."
                )
            width = max(c["column"] for c in filled)
            if width > limits.columns:
                raise CasekitError(
                    f"{where}: row {number:,} has data in column {width:,}, more than the "
                    f"limit of {limits.columns:,} columns; {_how('columns')}."
                )
            budget[0] += width
            if budget[0] > limits.cells:
                raise CasekitError(
                    f"{where}: the workbook holds more than the limit of {limits.cells:,} "
                    f"cells (reached at row {number:,}); {_how('cells')}."
                )
            if number <= len(rows):
                raise ValueError(f"row {number} comes after row {len(rows)}")
            rows.extend([()] * (number - 1 - len(rows)))  # rows left out of the file are empty
            values: list[object] = [None] * width
            for c in filled:
                values[c["column"] - 1] = c["value"]
            rows.append(tuple(values))
    return rows


def _parsed_rows(
    source: IO[bytes], parser: WorkSheetParser, where: str
) -> Iterator[tuple[int, list]]:
    """Yield (row number, cells) as openpyxl parses them, refusing a row of too many cells.

    openpyxl builds each row's XML before reading it, so a row of millions of empty cells
    would fill memory before any limit could count them; here they are counted as they close.
    An Excel sheet has at most 16,384 columns, so no real row holds more cells than that.
    """
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse  # defusedxml's, when it is installed

    row_tag, cell_tag = f"{{{SHEET_MAIN_NS}}}row", f"{{{SHEET_MAIN_NS}}}c"
    in_row = 0
    for _, element in iterparse(source):  # each element as it closes: a cell before its row
        tag = element.tag
        if tag == cell_tag:
            in_row += 1
            if in_row > EXCEL_COLUMNS:
                raise CasekitError(
                    f"{where}: a row holds more than {EXCEL_COLUMNS:,} cells, more than any "
                    f"Excel sheet can; the file is damaged or was made to harm. {_RESAVE}."
                )
        elif tag == row_tag:
            in_row = 0
            yield parser.parse_row(element)
            element.clear()


def read_workbook(
    path: str | Path,
    wanted: Callable[[str], bool] | None = None,
    limits: Limits | None = None,
) -> Iterator[Sheet]:
    """Read a workbook's sheets one by one (those ``wanted`` by title), within the limits.

    Yields each sheet as it is read, so a caller can turn one into a table before the next
    is read. Cell values are as openpyxl gives them (strings, numbers, booleans, datetimes;
    formulas as their cached values). Every problem, from a damaged zip to a sheet beyond the
    limits, is a :class:`CasekitError` naming the file and the sheet.
    """
    from openpyxl import load_workbook

    path = Path(path)
    name = path.name
    limits = limits or Limits.from_environment()
    if not path.is_file():
        raise CasekitError(f"{path}: no such workbook. Check the path.")
    _check_zip(path, name, limits)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise CasekitError(
            f"{name}: cannot be opened as an .xlsx workbook ({_first_line(exc)}). {_RESAVE}."
        ) from None
    budget = [0]
    try:
        for ws in book.worksheets:
            title = str(ws.title)
            if wanted is not None and not wanted(title):
                yield Sheet(title, None)
                continue
            where = f"{name}, sheet {title!r}"
            try:
                rows = _read_rows(ws, where, limits, budget)
            except CasekitError:
                raise
            except Exception as exc:  # a damaged part: bad XML, a broken zip stream, bad values
                raise CasekitError(
                    f"{where}: cannot be read ({_first_line(exc)}); the file is damaged. {_RESAVE}."
                ) from None
            yield Sheet(title, rows)
            del rows
    finally:
        book.close()


def _first_line(exc: BaseException) -> str:
    """Say what went wrong: the first line of the innermost cause (openpyxl wraps them)."""
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def check_csv_size(path: Path, limits: Limits | None = None) -> None:
    """Refuse a CSV file larger than the ``csv_mb`` limit, before reading it."""
    limits = limits or Limits.from_environment()
    size = path.stat().st_size
    if size > limits.csv_mb * 2**20:
        raise CasekitError(
            f"{path.name}: is {size / 2**20:,.0f} MB, more than the limit of "
            f"{limits.csv_mb:,} MB for one CSV file; {_how('csv_mb')}."
        )

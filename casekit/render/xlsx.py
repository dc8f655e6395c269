"""Write workbooks and people's CSVs so that no cell is ever a formula made from data.

Every ``.xlsx`` casekit writes goes through :func:`write_workbook`. It streams a write-only
openpyxl workbook and writes every text as a string cell (``t="inlineStr"``): openpyxl would
otherwise store a text starting with ``=`` as a formula and one such as ``#N/A`` as an error,
so the text would be lost and Excel would run it. What a workbook cannot hold (XML-illegal
control characters, text over 32,767 characters) is refused with a located message when the
workbook must keep the data exactly (a bundle, an export), and replaced visibly otherwise
(a report).

CSVs come in two kinds. Bundle CSVs are the interchange format and keep every text exactly.
CSVs meant for people to open in a spreadsheet (review tables, flags, chronology exports,
merged chronologies) go through :func:`for_people`, which puts a ``'`` before a leading
``= + - @``, tab or carriage return (OWASP's advice on CSV injection), except in plain numbers.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from casekit.contract import CONTROL_CHARACTERS, LIST_SEPARATOR
from casekit.errors import CasekitError

__all__ = [
    "CONTROL_CHARACTERS",
    "CONTROL_CHARACTER_EXPECTED",
    "MAX_CELL_TEXT",
    "Sheet",
    "control_character",
    "for_people",
    "neutralise",
    "write_people_csv",
    "write_workbook",
]

MAX_CELL_TEXT = 32_767
"""The longest text an Excel cell holds."""

XML_ILLEGAL = re.compile(CONTROL_CHARACTERS[:-1] + "\ud800-\udfff]")
"""Characters XML 1.0 (and so a workbook) cannot hold: the contract's control characters and
lone surrogates."""

CONTROL_CHARACTER_EXPECTED = "contains a control character, which a case record cannot hold"
"""What a problem says of a cell holding one of :data:`CONTROL_CHARACTERS`."""

REPLACEMENT = "\ufffd"
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def control_character(text: str) -> str | None:
    r"""Name the first character of ``text`` a workbook cannot hold, as ``U+000B``; else None.

    >>> control_character("tab\tand newline\n are fine")
    >>> control_character("a\x0bb")
    'U+000B'
    """
    found = XML_ILLEGAL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def neutralise(text: str) -> str:
    r"""Make one CSV cell safe to open in a spreadsheet: ``'`` before a formula-like start.

    >>> neutralise("=1+1"), neutralise("@SUM(A1)"), neutralise("\t=1"), neutralise("+1")
    ("'=1+1", "'@SUM(A1)", "'\t=1", "'+1")
    >>> neutralise("-3"), neutralise("-2.5"), neutralise("visit"), neutralise("'=1")
    ('-3', '-2.5', 'visit', "'=1")
    """
    if text[:1] in _RISKY_START and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells and headers are safe to open in Excel.

    Only text is changed: numbers, dates and missing cells stay as they are, and text that is
    a plain number (``-3``) stays a number.
    """
    out = frame.copy()
    for name in out.columns:
        s = out[name]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            out[name] = s.map(lambda v: neutralise(v) if isinstance(v, str) else v)
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_people_csv(frame: pd.DataFrame, target: Path | IO[str]) -> None:
    """Write ``frame`` as a CSV meant for people: no index, LF line ends, formulas neutralised."""
    for_people(frame).to_csv(target, index=False, lineterminator="\n")


@dataclass
class Sheet:
    """One worksheet: a frame and how to lay it out.

    ``title`` goes in A1 with the header ``header_row`` rows down (1 = the first row);
    ``header=False`` writes the rows alone. ``wrap`` names columns whose text wraps;
    ``number_formats`` maps a column to an Excel number format (for dates, say).
    """

    name: str
    frame: pd.DataFrame
    title: str | None = None
    header_row: int = 1
    header: bool = True
    bold_header: bool = False
    freeze: bool = True
    widths: bool = True
    wrap: tuple[str, ...] = ()
    number_formats: dict[str, str] = field(default_factory=dict)
    max_width: int = 60
    min_width: int = 0


def write_workbook(
    target: Path | IO[bytes],
    sheets: Sequence[Sheet],
    *,
    exact: bool,
    source: str = "",
    instead: str = "write CSV or Parquet instead",
) -> None:
    """Write ``sheets`` as one streamed workbook in which every text is a string cell.

    With ``exact`` (a bundle or an export someone keeps), text a workbook cannot hold is
    refused before anything is written, with a :class:`CasekitError` naming the file
    (``source``), sheet, row and column; otherwise (a report) such text is kept visibly: a
    control character becomes U+FFFD and over-long text ends with a note of its length.
    ``instead`` says which form would keep the text whole.
    """
    from openpyxl import Workbook

    if exact:
        for sheet in sheets:
            _refuse_unstorable(sheet, source or Path(str(target)).name, instead)
    book = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(book, sheet)
    book.save(target)


def _refuse_unstorable(sheet: Sheet, source: str, instead: str) -> None:
    """Raise a located CasekitError for the first text in ``sheet`` a workbook cannot hold."""
    first_data_row = sheet.header_row + (1 if sheet.header else 0)
    for i, name in enumerate(sheet.frame.columns):
        s = sheet.frame.iloc[:, i]
        texts = s[s.map(lambda v: isinstance(v, str))]
        if texts.empty:
            continue
        bad = texts.map(lambda t: len(t) > MAX_CELL_TEXT or XML_ILLEGAL.search(t) is not None)
        if not bad.any():
            continue
        position = int(np.flatnonzero(s.index.isin(bad[bad].index))[0])
        text = texts[bad].iloc[0]
        where = f"{source} [sheet {sheet.name}], row {first_data_row + position}, column {name!r}"
        char = control_character(text)
        if char:
            raise CasekitError(
                f"{where}: contains the control character {char}, which a workbook cannot "
                f"hold; nothing was written. Remove the control character {char} from the "
                f"data, or {instead}."
            )
        raise CasekitError(
            f"{where}: the text is {len(text):,} characters long and a workbook cell holds at "
            f"most {MAX_CELL_TEXT:,}; nothing was written. To keep it whole, {instead}."
        )


def _visible(text: str) -> str:
    """Keep text a workbook cannot hold visibly: controls as U+FFFD, long text marked as cut."""
    text = XML_ILLEGAL.sub(REPLACEMENT, text)
    if len(text) > MAX_CELL_TEXT:
        note = f" … [cut: the text has {len(text):,} characters]"
        text = text[: MAX_CELL_TEXT - len(note)] + note
    return text


def _write_sheet(book: Any, sheet: Sheet) -> None:
    """Lay out one sheet (widths and panes first, as a streamed sheet needs), then its rows."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(_visible(str(sheet.name))[:31])
    frame = sheet.frame
    columns = [str(c) for c in frame.columns]
    first_data_row = sheet.header_row + (1 if sheet.header else 0)
    if sheet.freeze and sheet.header:
        ws.freeze_panes = f"A{first_data_row}"
    if sheet.widths:
        for i, name in enumerate(columns):
            sample = frame.iloc[:500, i].map(lambda v: len(str(v)) if _present(v) else 0)
            longest = max([len(name) if sheet.header else 0, *sample.tolist()])
            width = min(sheet.max_width, max(sheet.min_width, longest + 2))
            ws.column_dimensions[get_column_letter(i + 1)].width = width

    def text_cell(text: str, **style: object) -> Any:
        cell = WriteOnlyCell(ws)
        cell.value = _visible(text)  # exact writes were checked: _visible leaves them alone
        cell.data_type = "s"  # never "f" (a formula) or "e" (an error), whatever the text
        if text[:1] in _RISKY_START:
            cell.quotePrefix = True  # Excel keeps it text even when someone edits the cell
        for key, value in style.items():
            setattr(cell, key, value)
        return cell

    if sheet.title is not None:
        ws.append([text_cell(sheet.title)])
    for _ in range(sheet.header_row - 1 - (sheet.title is not None)):
        ws.append([])
    if sheet.header:
        bold = {"font": Font(bold=True)} if sheet.bold_header else {}
        ws.append([text_cell(name, **bold) for name in columns])
    wrap = Alignment(wrap_text=True, vertical="top")
    styles: list[dict[str, object]] = [
        {
            **({"alignment": wrap} if name in sheet.wrap else {}),
            **({"number_format": sheet.number_formats[name]} if name in sheet.number_formats
               else {}),
        }
        for name in columns
    ]  # fmt: skip
    for row in _rows(frame):
        cells: list[object] = []
        for value, style in zip(row, styles, strict=True):
            if isinstance(value, str):
                cells.append(text_cell(value, **style))
            elif style and value is not None:
                cell = WriteOnlyCell(ws)  # then the value: its stub takes no date or time
                cell.value = value
                for key, setting in style.items():
                    setattr(cell, key, setting)
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)


def _present(value: object) -> bool:
    """Tell whether a cell holds something (not None, NaN, NaT or NA)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return False
    return not (isinstance(value, float) and math.isnan(value))


_CellValue = str | bool | int | float | dt.datetime | dt.date | dt.time | None
"""What a workbook cell is given: text, a number, a truth value, a date or time, or nothing."""


def _rows(frame: pd.DataFrame) -> Iterator[list[_CellValue]]:
    """Yield the frame's rows as values a workbook cell takes (text, number, bool, date)."""
    columns = [[_cell_value(v) for v in frame.iloc[:, i].tolist()] for i in range(frame.shape[1])]
    for i in range(len(frame)):
        yield [column[i] for column in columns]


def _cell_value(value: object) -> _CellValue:
    """Turn one frame value into what a workbook cell takes; anything else becomes text."""
    if not _present(value):
        return None
    if isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date | dt.time):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple | np.ndarray):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)

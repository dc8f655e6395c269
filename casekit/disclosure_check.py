"""Check outputs for disclosure before they leave the team: small counts, recoverable cells, IDs.

:func:`check_path` scans a file or a whole folder (a review's output, say): every CSV, every
sheet of every .xlsx workbook and every table of every HTML page. It reports

- **small counts**: a count from 1 to 5 that is shown (the DfE convention shows them as ``c``);
- **recoverable cells**: a hidden cell (``c``) whose value the shown cells and the published
  totals pin down (a ``Total`` or ``all`` row or column), worked out with the same linear
  programme as :mod:`casekit.disclosure`;
- **raw identifiers**: text that looks like a UPN, an NHS number (with a valid check digit), a
  full postcode or an e-mail address, and full dates in a date-of-birth column.

Which columns hold counts is read from their headers: numbers under a header that names a
percentage, an interval, a median or mean, a rate, FTE, a scale, an age or a year are not
counts. ``ignore`` names more columns to pass over. Each finding names the file, sheet, row
(the header is row 1, as a spreadsheet shows it) and column, and says how to fix it. An
identifier is reported masked, so the report itself discloses nothing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .disclosure import SUPPRESSED, pinned_cells
from .errors import CasekitError
from .io import cell_to_str
from .workbooks import check_csv_size, read_workbook

__all__ = ["Finding", "check_path", "check_table", "looks_like_identifier", "SUFFIXES"]

SUFFIXES = (".csv", ".xlsx", ".html", ".htm")
"""The files a check reads."""

_NOT_COUNT = re.compile(
    r"%|percent|\bci\b|interval|median|mean|average|\brate\b|per |fte|scale|score|\bage\b|"
    r"year|date|month|\bid\b|_id$|days since",
    re.IGNORECASE,
)
_TOTAL = {"total", "all"}
BIRTH_HEADER = re.compile(r"birth|\bdob\b", re.IGNORECASE)
"""A column header that names a date of birth."""
FULL_POSTCODE = r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d)[A-Z]{2}\b"
"""A full UK postcode; its groups are the outward code and the sector digit."""
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}/\d{1,2}/\d{4}$")
_PATTERNS = (
    ("a UPN (unique pupil number)", re.compile(r"\b[A-Z]\d{11}[0-9A-Z]\b")),
    ("a full postcode", re.compile(FULL_POSTCODE)),
    ("an e-mail address", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
)
_NHS = re.compile(r"(?<![\d-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d-])")


@dataclass(frozen=True)
class Finding:
    """One disclosure risk: where it is, what it is, and how to fix it."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    kind: str
    detail: str
    fix: str

    def where(self) -> str:
        """Say where the finding is: file (and sheet or table), row and column."""
        parts = [self.file + (f" [{self.sheet}]" if self.sheet else "")]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        """Write the finding as one line a person can act on."""
        return f"{self.where()}: {self.kind}: {self.detail} — {self.fix}"


def _nhs_valid(digits: str) -> bool:
    """Check an NHS number's modulus 11 check digit.

    >>> _nhs_valid("9434765919"), _nhs_valid("9434765918")
    (True, False)
    """
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _mask(text: str) -> str:
    return text[:2] + "*" * max(0, len(text) - 4) + text[-2:] if len(text) > 4 else "****"


def looks_like_identifier(text: str) -> list[tuple[str, str]]:
    """Return what in ``text`` looks like a raw identifier: (what it looks like, masked).

    >>> looks_like_identifier("NHS 943 476 5919, pupil A12345678901Z")
    [('a UPN (unique pupil number)', 'A1*********1Z'), ('an NHS number', '94******19')]
    >>> looks_like_identifier("Case C00012, worker W003, 12 referrals")
    []
    """
    found = []
    for what, pattern in _PATTERNS:
        found += [(what, _mask(m.group(0))) for m in pattern.finditer(text)]
    for m in _NHS.finditer(text):
        digits = "".join(m.groups())
        if _nhs_valid(digits):
            found.append(("an NHS number", _mask(digits)))
    return found


def _number(cell: str) -> float | None:
    try:
        return float(cell.replace(",", ""))
    except ValueError:
        return None


def _count_columns(frame: pd.DataFrame, ignore: set[str]) -> list[str]:
    """Columns whose shown values are whole numbers (or c) under a header that names a count."""
    columns = []
    for c in frame.columns[1:]:
        name = str(c)
        if name.lower() in ignore or _NOT_COUNT.search(name):
            continue
        cells = [v for v in frame[c] if v != ""]
        numbers = [_number(v) for v in cells if v != SUPPRESSED]
        if cells and all(n is not None and float(n).is_integer() for n in numbers):
            columns.append(c)  # a column of hidden cells only is a count column too
    return columns


def _recoverable(frame: pd.DataFrame, counts: list[str]) -> list[tuple[int, str]]:
    """Hidden cells that the shown cells and the table's totals pin down."""
    labels = frame.iloc[:, 0].astype(str).str.strip().str.lower()
    total_rows = [i for i, label in enumerate(labels) if label in _TOTAL]
    total_cols = [c for c in counts if str(c).strip().lower() in _TOTAL]
    body_cols = [c for c in counts if c not in total_cols]
    if not body_cols or not (total_rows or total_cols):
        return []
    body_rows = [i for i in range(len(frame)) if i not in total_rows]
    grid = frame[body_cols + total_cols].iloc[body_rows + total_rows[:1]]
    hidden = (grid == SUPPRESSED).to_numpy()
    if not hidden.any():
        return []
    values = grid.map(lambda v: _number(v) if v not in ("", SUPPRESSED) else 0.0)
    full = values.fillna(0.0).to_numpy(dtype=float)
    if not total_cols:  # margins the table does not publish are unknown to a reader
        full = np.column_stack([full, full.sum(axis=1)])
        hidden = np.column_stack([hidden, np.ones(len(full), dtype=bool)])
    if not total_rows:
        full = np.vstack([full, full.sum(axis=0)])
        hidden = np.vstack([hidden, np.ones(full.shape[1], dtype=bool)])
    if hidden[:-1, :-1].sum() == 0:
        return []
    names = [*body_cols, *total_cols]
    rows = [*body_rows, *total_rows[:1]]
    out = []
    for r, c in pinned_cells(full, hidden):
        if r < len(rows) and c < len(names):
            out.append((rows[r], names[c]))
    return out


def check_table(
    frame: pd.DataFrame, file: str, sheet: str | None = None, ignore: Iterable[str] = ()
) -> list[Finding]:
    """Check one table (every cell a string, header as the columns) for disclosure risks."""
    frame = frame.fillna("").astype(str).map(str.strip)
    skip = {s.lower() for s in ignore}
    findings = []
    counts = _count_columns(frame, skip)
    for c in counts:
        for i, cell in enumerate(frame[c]):
            n = _number(cell) if cell not in ("", SUPPRESSED) else None
            if n is not None and 1 <= n <= 5:
                findings.append(
                    Finding(
                        file, sheet, i + 2, str(c), "small count",
                        f"{int(n)} is a count from 1 to 5",
                        "show it as c (casekit.suppress, or casekit review --suppress)",
                    )
                )  # fmt: skip
    for i, c in _recoverable(frame, counts):
        findings.append(
            Finding(
                file, sheet, i + 2, str(c), "recoverable cell",
                "this hidden cell can be worked out from the shown cells and the totals",
                "hide another cell in its row and column (secondary suppression)",
            )
        )  # fmt: skip
    birth = [c for c in frame.columns if BIRTH_HEADER.search(str(c))]
    for c in frame.columns:
        for i, cell in enumerate(frame[c]):
            if not cell:
                continue
            if c in birth and _FULL_DATE.match(cell):
                findings.append(
                    Finding(
                        file, sheet, i + 2, str(c), "raw identifier",
                        "a full date of birth", "give the birth month (YYYY-MM) at most",
                    )
                )  # fmt: skip
            for what, masked in looks_like_identifier(cell):
                findings.append(
                    Finding(
                        file, sheet, i + 2, str(c), "raw identifier",
                        f"{masked} looks like {what}",
                        "remove it, or pseudonymise the data first (casekit pseudonymise)",
                    )
                )  # fmt: skip
    order = {str(c): i for i, c in enumerate(frame.columns)}
    return sorted(findings, key=lambda f: (f.row or 0, order.get(f.column or "", 0)))


def _sheet_frame(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    """Make a sheet's rows a frame of text: the first row is the header, every cell is kept."""
    if not rows:
        return pd.DataFrame()
    width = max(len(r) for r in rows)
    names: list[str] = []
    for i in range(width):
        name = cell_to_str(rows[0][i]) if i < len(rows[0]) else None
        name = name if isinstance(name, str) and name.strip() else f"Unnamed: {i}"
        while name in names:  # a repeated header would make two columns one
            name += f".{i}"
        names.append(name)
    data = [[cell_to_str(v) for v in r] + [""] * (width - len(r)) for r in rows[1:]]
    return pd.DataFrame(data, columns=names, dtype=object).fillna("")


def _tables(path: Path) -> Iterator[tuple[str | None, pd.DataFrame]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        check_csv_size(path)
        yield None, pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        for sheet in read_workbook(path):
            yield f"sheet {sheet.title}", _sheet_frame(sheet.rows or [])
    else:
        text = path.read_text(encoding="utf-8", errors="replace")
        if "<table" not in text.lower():
            return
        for i, frame in enumerate(pd.read_html(io.StringIO(text), flavor="lxml"), 1):
            if isinstance(frame.columns, pd.MultiIndex):
                frame.columns = [" ".join(map(str, c)) for c in frame.columns]
            yield f"table {i}", frame.astype(str).replace("nan", "")


def check_path(path: str | Path, ignore: Iterable[str] = ()) -> tuple[list[Finding], int]:
    """Check a file, or every CSV, workbook and HTML page under a folder; return findings and files.

    Raises :class:`CasekitError` when the path does not exist or holds nothing to check.
    """
    root = Path(path)
    if not root.exists():
        raise CasekitError(f"{path}: no such file or folder. Check the path.")
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    elif root.suffix.lower() in SUFFIXES:
        files = [root]
    else:
        raise CasekitError(f"{path}: a disclosure check reads .csv, .xlsx and .html files.")
    if not files:
        raise CasekitError(f"{path}: no .csv, .xlsx or .html file to check in this folder.")
    findings = []
    for f in files:
        name = str(f.relative_to(root)) if root.is_dir() else f.name
        try:
            for sheet, frame in _tables(f):
                findings += check_table(frame, name, sheet, ignore)
        except (CasekitError, ValueError, OSError, KeyError) as exc:  # unreadable: say so
            findings.append(
                Finding(name, None, None, None, "unreadable", str(exc).splitlines()[0],
                        "check the file by hand, or remove it from what leaves the team")
            )  # fmt: skip
    return findings, len(files)

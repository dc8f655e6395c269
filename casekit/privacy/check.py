"""Check outputs for disclosure before they leave the team: small counts, recoverable cells, IDs.

:func:`check_path` scans a file or a whole folder (a review's output, say): every CSV, every
sheet of every .xlsx workbook and every table of every HTML page. It reports

- **small counts**: a count from 1 to 5 that is shown (the DfE convention shows them as ``c``);
- **recoverable cells**: a hidden cell (``c``) whose value the shown cells and the published
  totals pin down (a ``Total`` or ``all`` row or column), knowing that a ``c`` is at least 1,
  worked out with the same model as :mod:`casekit.privacy.disclosure`; and, among the tables of one
  review (a folder of CSVs with its ``headline.json``, a workbook's sheets, an HTML page's
  tables named by id), a hidden cell that they give away together through the totals they
  share (:data:`casekit.privacy.margins.MARGINS`);
- **raw identifiers**: text that looks like a UPN, an NHS number (with a valid check digit), a
  full postcode, an e-mail address, a UK phone number or a date of birth given as such ("DOB
  03/04/2010"), in any case (the patterns of :mod:`casekit.privacy.identifiers`, which pseudonymise
  masks with), and full dates in a date-of-birth column.

Which columns hold counts is read from their headers: numbers under a header that names a
percentage, an interval, a median or mean, a rate, FTE, a scale, an age or a year are not
counts, and neither are a number of statistical ``comparisons`` (tests made, not people)
or a relative rate index (``rri``, which is 1 for a reference group).
``ignore`` names more columns to pass over. Each finding names the file, sheet, row
(the header is row 1, as a spreadsheet shows it) and column, and says how to fix it. An
identifier is reported masked, so the report itself discloses nothing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from casekit.bundle.io import cell_to_str
from casekit.bundle.workbooks import check_csv_size, read_workbook
from casekit.errors import CasekitError, conninfo_refusal, is_conninfo, load_json
from casekit.privacy.disclosure import SUPPRESSED, Publication
from casekit.privacy.identifiers import BIRTH_HEADER, scan
from casekit.privacy.margins import HEADLINE, MARGINS, row_labels

__all__ = ["Finding", "check_path", "check_table", "looks_like_identifier", "SUFFIXES"]

SUFFIXES = (".csv", ".xlsx", ".html", ".htm")
"""The files a check reads."""

_NOT_COUNT = re.compile(
    r"%|percent|\bci\b|interval|median|mean|average|\brate\b|per |fte|scale|score|\bage\b|"
    r"year|date|month|\bid\b|_id$|days since|\bcomparisons\b|\brri",
    re.IGNORECASE,
)
_TOTAL = {"total", "all"}
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}/\d{1,2}/\d{4}$")


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


def _mask(text: str) -> str:
    return text[:2] + "*" * max(0, len(text) - 4) + text[-2:] if len(text) > 4 else "****"


def looks_like_identifier(text: str) -> list[tuple[str, str]]:
    """Return what in ``text`` looks like a raw identifier: (what it looks like, masked).

    >>> looks_like_identifier("NHS 943 476 5919, pupil a12345678901z")
    [('an NHS number', '94********19'), ('a UPN (unique pupil number)', 'a1*********1z')]
    >>> looks_like_identifier("dob 3.4.10, seen on 03/04/2024 by W003 about C00012")
    [('a date of birth', '*.*.**')]
    """
    return [
        (kind.label, _mask(raw) if kind.partly_shown else re.sub(r"\w", "*", raw))
        for kind, raw in scan(text)[1]
    ]


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
    publication = Publication()
    rows = publication.add_frame("", frame, counts)
    return _located(publication, {("", r): i for i, r in enumerate(rows)})


def _located(publication: Publication, where: dict[tuple[str, str], int]) -> list[tuple[int, str]]:
    """List the pinned cells as (row position, column); none when the numbers contradict."""
    try:
        pinned = publication.pinned()
    except ValueError:  # totals that do not add up: nothing can be worked out from them
        return []
    return [(where[(key, row)], column) for key, row, column in pinned]


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


@dataclass
class _Published:
    """One table read from a file, with where it came from."""

    file: str
    sheet: str | None
    path: Path
    frame: pd.DataFrame


def _keyed(group: Path, published: list[_Published]) -> list[tuple[str, _Published]]:
    """Name each table of a group as a review does: CSV by file, sheet by name, HTML by id.

    A folder's ``headline.json`` (a review's headline numbers) joins its CSVs.
    """
    out = []
    ids: dict[Path, list[str | None]] = {}
    for p in published:
        if p.path.suffix.lower() == ".csv":
            out.append((p.path.stem, p))
        elif p.path.suffix.lower() == ".xlsx" and p.sheet:
            out.append((p.sheet.removeprefix("sheet "), p))
        elif p.sheet:
            if p.path not in ids:
                import lxml.html

                text = p.path.read_text(encoding="utf-8", errors="replace")
                ids[p.path] = [t.get("id") for t in lxml.html.fromstring(text).iter("table")]
            found = ids[p.path]
            n = int(p.sheet.removeprefix("table "))
            if len(found) == sum(q.path == p.path for q in published) and found[n - 1]:
                out.append((str(found[n - 1]), p))
    headline = group / "headline.json" if group.is_dir() else None
    if headline is not None and headline.is_file() and headline.stat().st_size < 100_000:
        try:
            numbers = load_json(headline.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            numbers = None
        if isinstance(numbers, dict):
            frame = pd.DataFrame([{"": HEADLINE, **{str(k): v for k, v in numbers.items()}}])
            out.append((HEADLINE, _Published(headline.name, None, headline, frame.astype(str))))
    return [(key, _as_headline(p) if key == HEADLINE else p) for key, p in out]


def _as_headline(p: _Published) -> _Published:
    """Turn a two-column headline table (name, number) into one row labelled ``headline``."""
    frame = p.frame
    if len(frame.columns) == 2 and HEADLINE not in set(frame.iloc[:, 0].astype(str)):
        pairs = dict(zip(frame.iloc[:, 0].astype(str), frame.iloc[:, 1].astype(str), strict=True))
        frame = pd.DataFrame([{"": HEADLINE, **pairs}])
    return _Published(p.file, p.sheet, p.path, frame)


def _linked_findings(
    group: Path, published: list[_Published], found: list[Finding], ignore: Iterable[str]
) -> list[Finding]:
    """Hidden cells that tables of one review give away together (their shared margins).

    The tables of a folder (with its ``headline.json``), of a workbook or of an HTML page are
    read as one review: each table's totals and the margins a casekit review's tables share
    (:data:`casekit.privacy.margins.MARGINS`) are attacked at once, as
    :class:`casekit.privacy.disclosure.Publication` does. Cells a single table already gives away
    are not reported twice.
    """
    keyed = _keyed(group, published)
    if len(keyed) < 2:
        return []
    skip = {s.lower() for s in ignore}
    publication = Publication()
    where: dict[tuple[str, str], tuple[_Published, int]] = {}
    for key, p in keyed:
        frame = p.frame.fillna("").astype(str).map(str.strip)
        counts = _count_columns(frame, skip)
        rows = publication.add_frame(key, frame, counts, labels=row_labels(key, frame))
        where.update({(key, r): (p, i) for i, r in enumerate(rows)})
    shared = 0
    for left, right in MARGINS:  # a sum these tables contradict is not one they share
        if publication.equate(left, right):
            if publication.consistent():
                shared += 1
            else:
                publication.equations.pop()
    if not shared:
        return []  # no two tables share a margin
    try:
        pinned = publication.pinned()
    except ValueError:  # the tables contradict the margins: they are not one review
        return []
    known = {(f.file, f.sheet, f.row, f.column) for f in found if f.kind == "recoverable cell"}
    out = []
    for key, row, column in pinned:
        p, i = where[(key, row)]
        if (p.file, p.sheet, i + 2, str(column)) in known:
            continue
        out.append(
            Finding(
                p.file, p.sheet, i + 2, str(column), "recoverable cell",
                "this hidden cell can be worked out from this table together with others of "
                "the same review (totals they share)",
                "hide another cell it shares a total with (casekit review --suppress protects "
                "the whole review at once)",
            )
        )  # fmt: skip
    return out


def check_path(path: str | Path, ignore: Iterable[str] = ()) -> tuple[list[Finding], int]:
    """Check a file, or every CSV, workbook and HTML page under a folder; return findings and files.

    Raises :class:`CasekitError` when the path does not exist or holds nothing to check.
    """
    root = Path(path)
    if not root.exists():
        if is_conninfo(str(path)):
            raise CasekitError(conninfo_refusal("the path", str(path)))
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
    groups: dict[Path, list[_Published]] = {}
    for f in files:
        name = str(f.relative_to(root)) if root.is_dir() else f.name
        try:
            for sheet, frame in _tables(f):
                findings += check_table(frame, name, sheet, ignore)
                group = f.parent if f.suffix.lower() == ".csv" else f
                groups.setdefault(group, []).append(_Published(name, sheet, f, frame))
        except (CasekitError, ValueError, OSError, KeyError) as exc:  # unreadable: say so
            findings.append(
                Finding(name, None, None, None, "unreadable", str(exc).splitlines()[0],
                        "check the file by hand, or remove it from what leaves the team")
            )  # fmt: skip
    for group, published in groups.items():
        findings += _linked_findings(group, published, findings, ignore)
    return findings, len(files)

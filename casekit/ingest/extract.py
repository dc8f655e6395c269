"""Import any CSV or xlsx extract onto bundle tables, with the Annex A import's mapping report.

Each file (or each sheet of a workbook) holds one contract table: named on the command line
(``cases.csv=cases``), in the mapping file (``tables:``), or by its own name. Headers are
matched to the table's columns (spelling and case aside) and vocabulary values to the
contract's (``Police`` is ``police``); dates may be written as UK agencies write them. What is
not matched goes into the matching report with a suggestion; a row the contract refuses
(a bad date, an unknown value, a reference to a case the extract does not hold) is left out
and listed there with the reason. The mapping file::

    tables:            # a file or sheet name -> the table it holds
      CaseList.xlsx: cases
    headers:           # a table -> {header as written: column}
      cases:
        Case Ref: case_id
    values:            # a column -> {value as written: contract value}
      referral_source:
        Police Force: police
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from casekit.bundle.dates import parse_agency_date
from casekit.bundle.io import RawTable, canonical, read_mapping_file
from casekit.bundle.validation import check_tables
from casekit.contract import TABLES
from casekit.errors import CasekitError, did_you_mean
from casekit.ingest.grid import (
    closest,
    data_rows,
    find_header_row,
    header_index,
    header_key,
    match_headers,
    read_grid,
)
from casekit.ingest.matching import Matching

__all__ = ["ExtractMapping", "ExtractRefused", "load_extract_mapping", "import_extract"]

_PASSES = 4
"""Rows refused for a reference can make others refusable (events of a refused case)."""


class ExtractRefused(CasekitError):
    """The extract as a whole cannot be imported (a required column is missing, say)."""

    def __init__(self, message: str, matching: Matching):
        """Keep the matching report, so that it can still be written for the analyst."""
        super().__init__(message)
        self.matching = matching


class ExtractMapping:
    """An analyst's fixes for a generic extract: tables, headers and values."""

    def __init__(self) -> None:
        """Start with nothing mapped."""
        self.tables: dict[str, str] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.values: dict[str, dict[str, str]] = {}


def load_extract_mapping(path: str | Path | None) -> ExtractMapping:
    """Read a mapping file (YAML) for ``casekit import-csv``, checking every target."""
    m = ExtractMapping()
    if path is None:
        return m
    data = read_mapping_file(
        path, ("tables", "headers", "values"), f"--map {path}", nested=("headers", "values")
    )
    for name, table in (data.get("tables") or {}).items():
        if table not in TABLES:
            raise CasekitError(f"--map {path}: tables: {name!r} -> {table!r}, not a table.")
        m.tables[str(name)] = str(table)
    for table, pairs in (data.get("headers") or {}).items():
        if table not in TABLES:
            raise CasekitError(f"--map {path}: headers: {table!r} is not a table.")
        for header, column in (pairs or {}).items():
            if column not in TABLES[table].column_names:
                hint = did_you_mean(str(column), TABLES[table].column_names)
                raise CasekitError(
                    f"--map {path}: headers: {table}: {header!r} -> {column!r}, not a column "
                    f"of {table}{' (' + hint + ')' if hint else ''}."
                )
            m.headers.setdefault(table, {})[header_key(header)] = str(column)
    vocabularies = {
        c.name: c.vocabulary for t in TABLES.values() for c in t.columns if c.vocabulary
    }
    for column, pairs in (data.get("values") or {}).items():
        if column not in vocabularies:
            raise CasekitError(f"--map {path}: values: {column!r} is not a vocabulary column.")
        for raw, target in (pairs or {}).items():
            if str(target) not in vocabularies[column]:
                raise CasekitError(
                    f"--map {path}: values: {column}: {raw!r} -> {target!r}; expected one of "
                    f"{', '.join(vocabularies[column])}."
                )
            m.values.setdefault(column, {})[str(raw).strip().lower()] = str(target)
    return m


def _table_of(name: str, given: str | None, mapping: ExtractMapping) -> str | None:
    if given:
        return given
    if name in mapping.tables:
        return mapping.tables[name]
    key = header_key(Path(name).stem)
    for t in TABLES.values():
        if key in (header_key(t.name), header_key(t.singular)):
            return t.name
    return None


def _cell(value: object, kind: str, vocabulary: tuple[str, ...], column: str,
          mapping: ExtractMapping, matching: Matching) -> str:  # fmt: skip
    if value is None:
        return ""
    if hasattr(value, "isoformat") and kind in ("date", "month"):
        text = value.isoformat()[: 7 if kind == "month" else 10]
        return text
    text = " ".join(str(value).replace("\xa0", " ").split())
    if kind == "date" and text:
        parsed = parse_agency_date(text)
        return parsed[0].isoformat() if parsed else text
    if kind in ("vocab", "vocabs") and text:
        parts = (
            [p.strip() for p in text.replace(",", ";").split(";")] if kind == "vocabs" else [text]
        )
        out = []
        for part in parts:
            low = part.lower()
            snake = "_".join(low.replace("-", " ").split())
            found = mapping.values.get(column, {}).get(low) or (
                snake if snake in vocabulary else None
            )
            if found is None:
                matching.values[(column, part)] += 1
            out.append(found or part)
        return ";".join(out)
    return text


def _read(name: str, rows: list[tuple[object, ...]], table: str, mapping: ExtractMapping,
          matching: Matching) -> pd.DataFrame | None:  # fmt: skip
    spec = TABLES[table]
    index = header_index({c.name: (c.name,) for c in spec.columns}, mapping.headers.get(table, {}))
    at = find_header_row(rows, index)
    if at is None:
        matching.notes.append(
            f"{name}: no header row names a column of {table}; map its headers (headers:)."
        )
        return None
    columns, unmatched = match_headers(rows[at], index)
    for _, h in unmatched:
        close = closest(header_key(h), index)
        matching.headers.append(
            {"file": name, "table": table, "header": h, "suggestion": index.get(close, "")}
        )
    records = {}
    for i, row in data_rows(rows, at):
        matching.read[table] += 1
        records[i] = {
            col: _cell(row[j] if j < len(row) else None, spec.column(col).kind,
                       spec.column(col).vocabulary, col, mapping, matching)
            for j, col in columns.items()
        }  # fmt: skip
    frame = pd.DataFrame.from_dict(records, orient="index", columns=list(columns.values()))
    frame = frame.astype(object).replace({"": None})
    empty = frame.isna().all(axis=1)
    for row in frame.index[empty]:
        matching.rows.append({"file": name, "table": table, "row": int(row),
                              "reason": "nothing in the columns that were matched"})  # fmt: skip
    return frame[~empty]


def import_extract(
    files: list[tuple[Path, str | None]], mapping: ExtractMapping | None = None
) -> tuple[dict[str, pd.DataFrame], Matching]:
    """Read extracts onto contract tables; return canonical tables and the matching report."""
    mapping = mapping or ExtractMapping()
    matching = Matching()
    raws: dict[str, RawTable] = {}
    for path, given in files:
        if given is not None and given not in TABLES:
            hint = did_you_mean(given, list(TABLES))
            raise CasekitError(f"{path}={given}: not a table{' (' + hint + ')' if hint else ''}.")
        for sheet in read_grid(path, "an extract"):
            name = sheet.title
            table = _table_of(name, given, mapping)
            if table is None:
                matching.notes.append(
                    f"{name}: which table it holds is not known; name it (file=TABLE, or "
                    "tables: in the mapping file). Its rows were not imported."
                )
                continue
            if table in raws:
                raise CasekitError(f"{name}: a second source for {table}; give one per table.")
            frame = _read(name, sheet.rows or [], table, mapping, matching)
            if frame is not None:
                raws[table] = RawTable(table, frame, name)
    if "cases" not in raws:
        raise CasekitError("no extract holds cases; name the file or sheet that does.")
    if "events" not in raws:  # every bundle has an events table, if only an empty one
        empty = pd.DataFrame(columns=list(TABLES["events"].column_names), dtype=object)
        raws["events"] = RawTable("events", empty, "events")
    sources = {raw.source: table for table, raw in raws.items()}
    for _ in range(_PASSES):
        typed, problems = check_tables(raws, "extract")
        errors = [p for p in problems if p.severity == "error"]
        if not errors:
            break
        whole = [
            p for p in errors if p.row is None or p.row not in raws[sources[p.source]].frame.index
        ]
        if whole:
            matching.notes += [str(p) for p in whole]
            raise ExtractRefused(
                "the extract cannot be imported: "
                + "; ".join(str(p) for p in whole[:5])
                + ". Map the headers in a mapping file (headers:) and run it again.",
                matching,
            )
        refused: dict[str, dict[int, str]] = {}
        for p in errors:
            if p.row is not None:  # always, once the whole-table problems are refused above
                refused.setdefault(sources[p.source], {}).setdefault(int(p.row), str(p))
        for table, rows in refused.items():
            raw = raws[table]
            for row, reason in rows.items():
                matching.rows.append({"file": raw.source, "table": table, "row": row,
                                      "reason": reason})  # fmt: skip
            raws[table] = RawTable(table, raw.frame.drop(index=list(rows)), raw.source)
    else:
        raise CasekitError("the extract still has problems after removing the refused rows.")
    for table, raw in raws.items():
        matching.imported[table] += len(raw.frame)
    return {t: canonical(typed[t], t) for t in raws}, matching

"""Merge agencies' own chronologies into one composite chronology that keeps its provenance.

Schools, police and health each keep a chronology in their own spreadsheet, with their own
headers, date styles and codes. :func:`merge_files` reads each (CSV or .xlsx), recognises the
headers agencies actually use, reads UK day-first and approximate dates, keeps the agency, file
and row of every entry, and marks likely cross-agency duplicates with ``duplicate_of`` (it never
deletes one). The result is in the contract's events schema plus provenance columns, sorted by
date, and ready for ``casekit import``.

Fields an agency file cannot supply are filled with safe defaults and named in
``needs_review``: the lens (``category``) defaults to ``uncategorised``, because deciding whether
an entry is belief, views or behaviour is the practitioner's judgement, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from casekit.bundle.dates import excel_day, parse_agency_date
from casekit.bundle.io import cell_to_str, read_mapping_file
from casekit.contract import AGENCIES, TABLES, normalise_header
from casekit.errors import CasekitError, Problem, did_you_mean, format_problems
from casekit.ingest.grid import data_rows, find_header_row, header_index, match_headers, read_grid
from casekit.render.xlsx import CONTROL_CHARACTER_EXPECTED, control_character

__all__ = [
    "PROVENANCE",
    "HEADER_SYNONYMS",
    "Mapping",
    "load_mapping",
    "parse_agency_date",
    "excel_day",
    "read_agency_file",
    "merge_files",
    "mark_duplicates",
]

PROVENANCE = ("source_file", "source_row", "date_uncertain", "duplicate_of", "needs_review")
"""Columns the merged chronology adds to the events schema."""

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "date of event",
        "event date",
        "date of incident",
        "incident date",
        "date of contact",
        "when",
        "date/time",
        "date and time",
        "occurred",
    ),
    "time": ("time", "time of event", "time of incident"),
    "summary": (
        "event",
        "details",
        "description",
        "summary",
        "event details",
        "what happened",
        "narrative",
        "incident",
        "details of event",
        "notes",
        "information",
        "entry",
    ),
    "source_agency": (
        "source of information",
        "agency",
        "source",
        "organisation",
        "organization",
        "source agency",
        "provided by",
    ),
    "significance": (
        "significance",
        "level of significance",
        "significance level",
        "priority",
        "risk level",
        "rag",
    ),
    "impact": ("impact on child", "impact", "impact on the child", "impact on young person"),
    "action_taken": ("action taken", "action", "actions", "outcome", "action/outcome", "response"),
    "restricted": (
        "restricted",
        "confidential",
        "sensitive",
        "not for disclosure",
        "restricted information",
        "do not share",
    ),
    "kind": ("type", "event type", "type of event", "kind", "contact type"),
    "category": ("category", "lens"),
    "level": ("level", "about", "whose"),
    "evidence": ("evidence", "how known", "evidence type", "source type"),
    "recorded_on": (
        "recorded on",
        "date recorded",
        "entered on",
        "date entered",
        "recorded date",
        "date of record",
    ),
    "recorded_by": ("recorded by", "author", "entered by", "worker", "completed by"),
    "event_id": ("event id", "id", "ref", "reference", "entry id"),
}
REQUIRED = ("date", "summary")

_VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "significance": {
        "h": "high",
        "hi": "high",
        "red": "high",
        "m": "medium",
        "med": "medium",
        "amber": "medium",
        "moderate": "medium",
        "l": "low",
        "lo": "low",
        "green": "low",
        "minor": "low",
        "major": "high",
        "significant": "high",
    },
    "impact": {
        "+": "positive",
        "+ve": "positive",
        "-": "negative",
        "-ve": "negative",
        "good": "positive",
        "bad": "negative",
        "none": "neutral",
        "unclear": "unknown",
        "not known": "unknown",
        "n/k": "unknown",
    },
    "kind": {
        "home visit": "visit",
        "phone call": "contact",
        "telephone call": "contact",
        "call": "contact",
        "email": "contact",
        "letter": "contact",
        "strategy meeting": "meeting",
        "strategy discussion": "meeting",
        "professionals meeting": "meeting",
        "cp conference": "meeting",
        "arrest": "incident",
        "missing episode": "incident",
        "exclusion": "incident",
        "fgc": "family_group_conference",
        "family group conference": "family_group_conference",
        "channel panel": "panel",
        "mash referral": "referral",
        "intelligence": "information_shared",
        "information sharing": "information_shared",
        "school report": "observation",
        "review": "plan_review",
    },
    "source_agency": {
        "school": "education",
        "academy": "education",
        "college": "education",
        "gp": "health",
        "nhs": "health",
        "hospital": "health",
        "camhs": "health",
        "children's social care": "social_care",
        "csc": "social_care",
        "social services": "social_care",
        "la": "social_care",
        "yot": "youth_justice",
        "youth offending": "youth_justice",
        "charity": "voluntary_sector",
        "parent": "family",
        "mother": "family",
        "father": "family",
    },
}
_TRUE = {"true", "yes", "y", "1", "t", "restricted", "confidential", "x"}
_FALSE = {"false", "no", "n", "0", "f", ""}


@dataclass
class Mapping:
    """A user's mapping file: header → contract column, and value → vocabulary value."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    cache: dict[tuple[str, str], str | None] = field(default_factory=dict, repr=False)
    """Values already mapped, so that each distinct value is looked up once."""


def load_mapping(path: Path | None) -> Mapping:
    """Read a mapping file (YAML), checking every target against the contract.

    The file looks like::

        columns:
          When it happened: date
          What: summary
        values:
          significance:
            Red: high
    """
    if path is None:
        return Mapping()
    data = read_mapping_file(path, ("columns", "values"), str(path), nested=("values",))
    known = set(TABLES["events"].column_names) | {"time"}
    columns = {str(k): str(v) for k, v in (data.get("columns") or {}).items()}
    for header, target in columns.items():
        if target not in known:
            hint = did_you_mean(target, sorted(known))
            raise CasekitError(
                f"{path}: columns: {header!r} maps to {target!r}, which is not an "
                f"events column{' (' + hint + ')' if hint else ''}."
            )
    values: dict[str, dict[str, str]] = {}
    for column, pairs in (data.get("values") or {}).items():
        spec = TABLES["events"].column(str(column)) if column in known - {"time"} else None
        if spec is None or not spec.vocabulary:
            raise CasekitError(f"{path}: values: {column!r} is not a vocabulary column of events.")
        values[str(column)] = {}
        for raw, target in (pairs or {}).items():
            if str(target) not in spec.vocabulary:
                raise CasekitError(
                    f"{path}: values: {column}: {raw!r} maps to {target!r}; "
                    f"expected one of: {', '.join(spec.vocabulary)}."
                )
            values[str(column)][str(raw).strip().lower()] = str(target)
    return Mapping(columns, values)


# --- reading one agency file --------------------------------------------------------------------


def _synonym_index(mapping: Mapping) -> dict[str, str]:
    columns = {c: c for c in TABLES["events"].column_names}
    return header_index(HEADER_SYNONYMS, columns, mapping.columns)


def _rows_of(path: Path) -> list[tuple[object, ...]]:
    """Read a CSV or xlsx file's cells, row by row (the first sheet with data)."""
    for sheet in read_grid(path, "an agency chronology"):
        if sheet.rows:  # trailing empty rows are never read, so any row means data
            return sheet.rows
    return []


def read_agency_file(
    path: Path, agency: str | None, mapping: Mapping | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one agency chronology into events-schema columns plus provenance.

    The header row is found among the first ten rows (agency files often open with a title).
    Returns the rows (strings, and ``date`` as a date) and every problem found.
    """
    mapping = mapping or Mapping()
    path = Path(path)
    rows = _rows_of(path)
    index = _synonym_index(mapping)
    header_at = find_header_row(rows, index, required=("date",))
    header_row = rows[header_at] if header_at is not None else (rows[0] if rows else ())
    found = [str(c).strip() for c in header_row if c is not None and str(c).strip()]
    targets, _ = match_headers(header_row, index)
    missing = [r for r in REQUIRED if r not in targets.values()]
    if header_at is None or missing:
        need = ", ".join(missing or ["date"])
        example = "\n".join(f"    {h}: {t}" for h, t in zip(found, REQUIRED, strict=False))
        raise CasekitError(
            f"{path.name}: no column found for {need}. Headers found: "
            f"{', '.join(repr(h) for h in found) or 'none'}.\nMap them in a mapping file and "
            f"pass --map mapping.yml, for example:\n  columns:\n{example}"
        )
    agency = agency or _agency_from(path, targets)
    problems: list[Problem] = []
    records = []
    assert header_at is not None
    for offset, row in data_rows(rows, header_at):
        cells = {t: row[i] for i, t in targets.items() if i < len(row)}
        records.append(_record(cells, offset, path, agency, mapping, problems))
    frame = pd.DataFrame.from_records(records)
    return frame, problems


def _agency_from(path: Path, targets: dict[int, str]) -> str:
    if "source_agency" in targets.values():
        return ""  # per row, from the file's own column
    stem = normalise_header(path.stem)
    for agency in AGENCIES:
        if normalise_header(agency) in stem:
            return agency
    for word, agency in _VALUE_SYNONYMS["source_agency"].items():
        if normalise_header(word) == stem or stem.startswith(normalise_header(word)):
            return agency
    raise CasekitError(
        f"{path.name}: which agency's chronology is this? Name it on the command line as "
        f"{path.name}=AGENCY, where AGENCY is one of: {', '.join(AGENCIES)}."
    )


def _vocab(column: str, value: object, mapping: Mapping) -> str | None:
    key = (column, value if isinstance(value, str) else str(value))
    cache = mapping.cache
    if key not in cache:
        cache[key] = _vocab_uncached(column, value, mapping)
    return cache[key]


def _vocab_uncached(column: str, value: object, mapping: Mapping) -> str | None:
    text = str(value).strip()
    if not text:
        return None
    low = text.lower()
    vocabulary = TABLES["events"].column(column).vocabulary
    for table in (mapping.values.get(column, {}), _VALUE_SYNONYMS.get(column, {})):
        if low in table:
            return table[low]
    snake = re.sub(r"[\s\-/]+", "_", low)
    return snake if snake in vocabulary else "?" + text


def _record(
    cells: dict[str, object],
    row: int,
    path: Path,
    agency: str,
    mapping: Mapping,
    problems: list[Problem],
) -> dict[str, object]:
    def bad(column: str, value: object, expected: str, hint: str = "") -> None:
        text = cell_to_str(value)  # NaN for an empty cell, which has no value to quote
        shown = text if isinstance(text, str) else None
        problems.append(Problem(path.name, row, column, shown, expected, hint))

    for column, value in cells.items():  # they would reach the store and every workbook
        if isinstance(value, str) and (char := control_character(value)):
            bad(column, value, CONTROL_CHARACTER_EXPECTED, f"remove the control character {char}")
    rec: dict[str, object] = {"source_file": path.name, "source_row": row}
    raw_date = cells.get("date")
    parsed: tuple[dt.date | None, str, bool] | None = None
    if isinstance(raw_date, dt.datetime | dt.date):
        day = raw_date.date() if isinstance(raw_date, dt.datetime) else raw_date
        parsed = (day, "day", False)
    elif raw_date not in (None, ""):
        parsed = parse_agency_date(str(raw_date))
    if parsed is None:
        bad(
            "date",
            raw_date,
            "expected a date such as 05/02/2024, 03/2024 or 2024",
            "day first, as in the UK",
        )
        parsed = (None, "day", False)
    rec["date"], rec["date_precision"], rec["date_uncertain"] = parsed
    summary = str(cells.get("summary") or "").strip()
    if not summary:
        bad("summary", None, "is empty; every entry needs a description")
    rec["summary"] = summary
    review: list[str] = []
    source = cells.get("source_agency") if not agency else agency
    mapped = _vocab("source_agency", source or "", mapping) if source else None
    if mapped is None or mapped.startswith("?"):
        hint = did_you_mean(str(source), AGENCIES) if source else ""
        bad("source_agency", source, "expected an agency: " + ", ".join(AGENCIES), hint)
        mapped = "other"
    rec["source_agency"] = mapped
    for column in ("kind", "significance", "impact", "evidence", "category", "level"):
        value = _vocab(column, cells.get(column) or "", mapping)
        if value is not None and value.startswith("?"):
            spec = TABLES["events"].column(column)
            if column == "kind":  # an agency's own event types: keep the entry, note it
                review.append("kind")
                value = "other"
            else:
                bad(
                    column,
                    value[1:],
                    "expected one of: " + ", ".join(spec.vocabulary),
                    did_you_mean(value[1:], spec.vocabulary) or "or add it to the mapping file",
                )
                value = None
        rec[column] = value
    if rec["kind"] is None:
        rec["kind"] = "other"
        review.append("kind")
    if rec["category"] is None:
        rec["category"] = "uncategorised"
        review.append("category")
    if rec["level"] is None:
        rec["level"] = "child"
        review.append("level")
    restricted = str(cells.get("restricted") or "").strip().lower()
    if restricted not in _TRUE | _FALSE:
        bad("restricted", restricted, "expected yes or no")
    rec["restricted"] = restricted in _TRUE
    recorded = cells.get("recorded_on")
    rec["recorded_on"] = None
    if recorded not in (None, ""):
        got = (
            (recorded.date() if isinstance(recorded, dt.datetime) else recorded)
            if isinstance(recorded, dt.date)
            else (parse_agency_date(str(recorded)) or (None,))[0]
        )
        if got is None:
            bad("recorded_on", recorded, "expected a date such as 05/02/2024")
        rec["recorded_on"] = got
    for column in ("action_taken", "recorded_by", "time", "event_id"):
        value = cells.get(column)
        rec[column] = None if value in (None, "") else str(cell_to_str(value)).strip()
    rec["needs_review"] = ";".join(review)
    return rec


# --- duplicates ---------------------------------------------------------------------------------

_STOP = set(
    """the and was were with that this from have has had they them their there then
when what which who for not but are his her she him young person child school police said
told about after before into onto over under than also been being very more most some such
""".split()
)


def _tokens(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9']+", text.lower()) if len(w) > 2 and w not in _STOP}


def mark_duplicates(events: pd.DataFrame, window_days: int = 2, overlap: float = 0.5) -> pd.Series:
    """Mark likely cross-agency duplicates: return ``duplicate_of`` for each row (or None).

    Two entries are likely the same happening when different agencies record them within
    ``window_days`` of each other and at least ``overlap`` of the shorter summary's content words
    appear in the other. The earlier entry (then the first listed) is kept as the original.
    Vectorised: candidate pairs are found by joining on shared words within the date window.
    """
    n = len(events)
    result = pd.Series([None] * n, index=events.index, dtype=object)
    if n < 2:
        return result
    order = np.arange(n)
    toks = [_tokens(s) for s in events["summary"].astype(str)]
    lengths = np.array([len(t) for t in toks])
    days = pd.to_datetime(events["date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    agency = events["source_agency"].astype(str).to_numpy()
    flat = pd.DataFrame({"row": np.repeat(order, lengths), "token": [w for t in toks for w in t]})
    if flat.empty:
        return result
    df = flat["token"].map(flat["token"].value_counts())
    flat = flat[df <= max(50, n // 100)]  # common words say nothing about identity
    flat["day"] = days[flat["row"].to_numpy()]
    shifted = pd.concat(
        [flat.assign(day=flat["day"] + k) for k in range(-window_days, window_days + 1)]
    )
    pairs = flat.merge(shifted, on=["token", "day"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["row_a"] < pairs["row_b"]]
    pairs = pairs[agency[pairs["row_a"].to_numpy()] != agency[pairs["row_b"].to_numpy()]]
    if pairs.empty:
        return result
    shared = pairs.groupby(["row_a", "row_b"]).size().reset_index(name="shared")
    shorter = np.minimum(lengths[shared["row_a"]], lengths[shared["row_b"]])
    hits = shared[shared["shared"] >= np.maximum(2, overlap * shorter)]
    ids = events["event_id"].astype(str).to_numpy()
    marks: list[str | None] = [None] * n
    for a, b in zip(hits["row_a"].tolist(), hits["row_b"].tolist(), strict=True):
        first, second = (a, b) if (days[a], a) <= (days[b], b) else (b, a)
        if marks[second] is None and marks[first] is None:
            marks[second] = ids[first]
    return pd.Series(marks, index=events.index, dtype=object)


# --- the merge ----------------------------------------------------------------------------------


def merge_files(
    files: list[tuple[Path, str | None]],
    case_id: str,
    mapping: Mapping | None = None,
    window_days: int = 2,
) -> pd.DataFrame:
    """Merge agency chronologies for one case into a composite chronology.

    ``files`` pairs each path with its agency (None: from a column, or from the file name).
    Raises :class:`~casekit.errors.CasekitError` listing every problem in every file, so that
    nothing is merged from a file the user has not seen the problems in.
    """
    if not files:
        raise CasekitError("give at least one agency chronology to merge.")
    frames, problems = [], []
    for path, agency in files:
        if agency is not None and agency not in AGENCIES:
            hint = did_you_mean(agency, AGENCIES)
            raise CasekitError(
                f"{Path(path).name}={agency}: {agency!r} is not an agency; "
                f"expected one of: {', '.join(AGENCIES)}" + (f" ({hint})" if hint else "")
            )
        frame, found = read_agency_file(Path(path), agency, mapping)
        frames.append(frame)
        problems += found
    if problems:
        raise CasekitError(
            f"{len(problems)} problem(s) in the agency files; nothing was merged.\n"
            + format_problems(problems, 25)
        )
    merged = pd.concat(frames, ignore_index=True)
    if merged.empty:
        raise CasekitError("the agency files hold no entries.")
    merged["date"] = pd.to_datetime(merged["date"])
    merged["recorded_on"] = pd.to_datetime(merged["recorded_on"]).fillna(merged["date"])
    merged = merged.sort_values(["date", "source_file", "source_row"], kind="stable")
    merged = merged.reset_index(drop=True)
    width = max(4, len(str(len(merged))))
    given = merged["event_id"] if "event_id" in merged else pd.Series([None] * len(merged))
    fresh = [f"{case_id}-{i + 1:0{width}d}" for i in range(len(merged))]
    merged["event_id"] = [
        g if isinstance(g, str) and g else f for g, f in zip(given, fresh, strict=True)
    ]
    merged["case_id"] = case_id
    merged["duplicate_of"] = mark_duplicates(merged, window_days)
    merged["date"] = merged["date"].dt.strftime("%Y-%m-%d")
    merged["recorded_on"] = merged["recorded_on"].dt.strftime("%Y-%m-%d")
    columns = list(TABLES["events"].column_names) + ["time", *PROVENANCE]
    for column in columns:
        if column not in merged:
            merged[column] = None
    merged["restricted"] = merged["restricted"].map({True: "true", False: "false"})
    merged["date_uncertain"] = merged["date_uncertain"].map({True: "true", False: "false"})
    return merged[columns].astype(object).where(merged[columns].notna(), "")

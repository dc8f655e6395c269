"""Check raw tables against the contract and turn them into typed frames.

Every rule in the contract is checked column by column with vectorised pandas operations, and
every problem is collected (not just the first), each naming its file, row, column, value and
what was expected. The same checks serve a whole bundle and a single write to the store.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from casekit.bundle.arrowops import arrow_strings as _arrow
from casekit.bundle.arrowops import find_rows, gc_paused
from casekit.bundle.io import RawTable
from casekit.bundle.rules import (
    BEFORE_EARLIEST,
    BEFORE_EARLIEST_HINT,
    DATE_EXPECTED,
    DATE_ORDERS,
    DUPLICATE_ID,
    EARLIEST_YEAR,
    FULL_DATE_HINT,
    FULL_DATE_PATTERN,
    MONTH_EXPECTED,
    MONTH_PATTERN,
    ONLY_WITH_FLAG,
    REQUIRED_EMPTY,
    absent_table,
    duplicate_hint,
    future_expected,
    missing_reference,
    number_bounds,
    number_expected,
    other_case,
    vocab_expected,
)
from casekit.contract import (
    LIST_SEPARATOR,
    ORDERED_VOCABULARIES,
    REQUIRED_TABLES,
    TABLES,
    Column,
    Table,
    normalise_header,
)
from casekit.errors import Problem, did_you_mean
from casekit.render.xlsx import CONTROL_CHARACTER_EXPECTED, CONTROL_CHARACTERS, control_character

__all__ = [
    "IdIndex",
    "FrameIndex",
    "check_table",
    "check_references",
    "check_tables",
    "did_you_mean",
]

_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}
_MONTH = re.compile(MONTH_PATTERN)
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def _problems(
    raw: RawTable,
    mask: pd.Series,
    column: str | None,
    values: pd.Series | None,
    expected: str,
    hint: str | dict[str, str] = "",
) -> list[Problem]:
    """Build one problem for each row where ``mask`` is true."""
    rows = mask.index[mask.to_numpy(dtype=bool)]
    out = []
    for row in rows:
        value = None if values is None else values.at[row]
        if isinstance(value, float) and np.isnan(value):
            value = None
        h = (
            (hint.get(value, "") if isinstance(value, str) else "")
            if isinstance(hint, dict)
            else hint
        )
        out.append(
            Problem(
                raw.source,
                int(row) if raw.row_word else None,
                column,
                None if value is None else str(value),
                expected,
                h,
                sheet=raw.sheet,
                row_word=raw.row_word,
            )
        )
    return out


def _check_column(
    raw: RawTable, col: Column, s: pd.Series, today: dt.date
) -> tuple[pd.Series, list[Problem]]:
    """Check one contract column and return its typed values and its problems."""
    problems: list[Problem] = []
    missing = s.isna()
    if col.default is not None:
        s = s.where(~missing, col.default)
        missing = s.isna()
    if col.required and missing.any():
        problems += _problems(raw, missing, col.name, None, REQUIRED_EMPTY)
    present = ~missing
    kind = col.kind
    if kind in ("id", "ref", "text"):
        return s, problems
    if kind == "vocab":  # in Arrow: lower-case, look up, and keep the codes
        vocabulary = pa.array(col.vocabulary, type=pa.large_string())
        codes = pc.index_in(pc.utf8_lower(_arrow(s)), value_set=vocabulary)
        found = pd.Series(codes.is_valid().to_numpy(zero_copy_only=False), index=s.index)
        bad = present & ~found
        if bad.any():
            hints = {v: did_you_mean(v, col.vocabulary) for v in s[bad].unique()}
            problems += _problems(raw, bad, col.name, s, vocab_expected(col), hints)
        coded = pd.Categorical.from_codes(
            pc.fill_null(codes, -1).to_numpy(zero_copy_only=False),
            categories=pd.Index(col.vocabulary),
            ordered=col.name in ORDERED_VOCABULARIES,
        )
        return pd.Series(coded, index=s.index, name=col.name), problems
    if kind == "vocabs":
        lists = _split(s)
        flat = lists.explode().dropna()
        flat_low = flat.str.lower()
        bad_items = flat[~flat_low.isin(col.vocabulary)]
        if len(bad_items):
            bad_rows = pd.Series(s.index.isin(bad_items.index), index=s.index)
            firsts = bad_items.groupby(level=0).first()
            hints = {v: did_you_mean(v, col.vocabulary) for v in firsts.unique()}
            problems += _problems(
                raw,
                bad_rows,
                col.name,
                firsts.reindex(s.index),
                vocab_expected(col),
                hints,
            )
        typed = lists.map(lambda items: [i.lower() for i in items])
        return typed, problems
    if kind == "ids":
        return _split(s), problems
    if kind == "date":
        parsed, future, ancient = _by_distinct(s, _parse_dates, today)
        bad = present & parsed.isna() & ~future & ~ancient
        if bad.any():
            hints = {v: _date_hint(v) for v in s[bad].unique()}
            problems += _problems(raw, bad, col.name, s, DATE_EXPECTED, hints)
        if future.any():
            problems += _problems(raw, future, col.name, s, future_expected(today))
        if ancient.any():
            problems += _problems(raw, ancient, col.name, s, BEFORE_EARLIEST, BEFORE_EARLIEST_HINT)
        return parsed, problems
    if kind == "month":
        ok = s.str.match(_MONTH).fillna(False).astype(bool)
        bad = present & ~ok
        if bad.any():
            full = s[bad].str.match(FULL_DATE_PATTERN).fillna(False)
            hints = {v: (FULL_DATE_HINT if f else "") for v, f in zip(s[bad], full, strict=True)}
            problems += _problems(raw, bad, col.name, s, MONTH_EXPECTED, hints)
        future = ok & (s.where(ok, "") > today.strftime("%Y-%m"))
        if future.any():
            problems += _problems(raw, future, col.name, s, future_expected(today))
        return s.where(ok), problems
    if kind == "bool":
        low = s.str.lower()
        truth = low.isin(_TRUE)
        bad = present & ~truth & ~low.isin(_FALSE)
        if bad.any():
            problems += _problems(
                raw, bad, col.name, s, "expected yes or no (true/false, 1/0, Y/N)"
            )
        return pd.Series(truth, index=s.index).astype("boolean").where(present & ~bad), problems
    # int and number
    num = pd.to_numeric(s, errors="coerce")
    bad = present & num.isna()
    if kind == "int":
        bad |= num.notna() & (num != np.floor(num))
    bounds = number_bounds(col)
    if bounds is not None:
        least, greatest, exclusive = bounds
        low_bad = num <= least if exclusive else num < least
        bad |= num.notna() & (low_bad | (num > greatest))
    if bad.any():
        problems += _problems(raw, bad, col.name, s, number_expected(col))
    num = num.where(~bad)
    return (num.astype("Int64") if kind == "int" else num.astype(float)), problems


def _split(s: pd.Series) -> pd.Series:
    """Split a ``;``-separated list column into lists of stripped, non-empty items.

    Done in Arrow: split, trim, drop empty items, then rebuild each row's list.
    """
    arr = _arrow(s)
    lists = pc.split_pattern(pc.fill_null(arr, ""), pattern=LIST_SEPARATOR)
    items = pc.utf8_trim_whitespace(lists.flatten())
    keep = pc.not_equal(items, "").to_numpy(zero_copy_only=False)
    parents = pc.list_parent_indices(lists).to_numpy()[keep]
    counts = np.bincount(parents, minlength=len(s))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    kept = pc.filter(items, pa.array(keep)).to_pylist()  # slicing one flat list is quickest
    starts, ends = offsets[:-1].tolist(), offsets[1:].tolist()
    with gc_paused():
        rows = [kept[a:b] for a, b in zip(starts, ends, strict=True)]
    return pd.Series(rows, index=s.index, dtype=object)


def _parse_dates(s: pd.Series, today: dt.date) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse ISO dates; return the dates and the masks of future and pre-1900 dates.

    Compare as text first: ISO dates sort as strings, and years outside pandas' datetime range
    (a typo such as 2999 or 0204) must give a message, not an overflow.
    """
    shaped = s.str.match(r"^\d{4}-\d{1,2}-\d{1,2}$").fillna(False).astype(bool)
    future = shaped & (s.where(shaped, "") > today.isoformat())
    ancient = shaped & (s.where(shaped, "9") < EARLIEST_YEAR)
    in_range = s.where(~(future | ancient))
    parsed = pd.to_datetime(in_range, format="%Y-%m-%d", errors="coerce")
    return parsed.astype("datetime64[ns]"), future, ancient


def _by_distinct(
    s: pd.Series,
    work: Callable[[pd.Series, dt.date], tuple[pd.Series, ...]],
    today: dt.date,
) -> tuple[pd.Series, ...]:
    """Apply a column-wise ``work`` to the column's distinct values only, then spread back.

    A date column of millions of rows holds a few thousand distinct dates, so parsing each
    distinct value once is what makes national extracts quick to check.
    """
    encoded = pc.dictionary_encode(_arrow(s))
    distinct = pd.Series(encoded.dictionary, dtype="str")
    codes = pc.fill_null(encoded.indices, len(distinct)).to_numpy(zero_copy_only=False)
    missing = pd.Series([pd.NA], dtype="str")  # the slot that missing cells point at
    results = work(pd.concat([distinct, missing], ignore_index=True), today)
    return tuple(
        pd.Series(r.to_numpy()[codes], index=s.index, name=s.name, dtype=r.dtype) for r in results
    )


def _date_hint(value: str) -> str:
    m = _DAY_FIRST.match(str(value))
    if m:
        day, month, year = (int(g) for g in m.groups())
        try:
            return f"write it as {dt.date(year, month, day).isoformat()}"
        except ValueError:
            return "that day does not exist"
    try:
        dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        if re.match(r"^\d{4}-\d{2}-\d{2}$", str(value)):
            return "that day does not exist"
    return ""


def _match_headers(raw: RawTable, spec: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """Rename the frame's headers to contract names; report duplicates and missing columns."""
    problems: list[Problem] = []
    keys = {normalise_header(c): c for c in spec.column_names}
    rename: dict[str, str] = {}
    seen: dict[str, str] = {}
    repeated: set[str] = set()
    for header in raw.frame.columns:
        target = keys.get(normalise_header(header))
        mangled = re.fullmatch(r"(.+)\.(\d+)", str(header))  # pandas renames a repeat to X.1
        if target is None and mangled and keys.get(normalise_header(mangled.group(1))):
            target = keys[normalise_header(mangled.group(1))]
            header_text = mangled.group(1)
        else:
            header_text = str(header)
        if target is None:
            continue
        if target in seen:
            problems.append(
                Problem(
                    raw.source,
                    1,
                    header_text,
                    None,
                    f"repeats column {target!r} (already given as {seen[target]!r})",
                    "delete or rename one of the two columns",
                    sheet=raw.sheet,
                    row_word="row",
                )
            )
            repeated.add(header)
            continue
        seen[target] = str(header)
        rename[header] = target
    keep = [h for h in raw.frame.columns if h not in repeated]  # extra columns are kept
    frame = raw.frame.loc[:, keep].rename(columns=rename)
    found = ", ".join(map(str, raw.frame.columns)) or "none"
    for col in spec.columns:
        if col.required and col.name not in frame.columns:
            problems.append(
                Problem(
                    raw.source,
                    1,
                    col.name,
                    None,
                    "required column is missing from the header row",
                    f"headers found: {found}",
                    sheet=raw.sheet,
                    row_word="row",
                )
            )
    return frame, problems


def check_table(raw: RawTable, today: dt.date | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Check one table's cells and in-table rules; return the typed frame and its problems.

    The typed frame keeps the raw index (row numbers) and any extra columns after the
    contract's. References to other tables are checked by :func:`check_references`.
    """
    today = today or dt.date.today()
    spec = TABLES[raw.table]
    frame, problems = _match_headers(raw, spec)
    columns: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.name in frame.columns:
            s = frame[col.name]
        else:
            s = pd.Series(np.nan, index=frame.index, dtype="str")
            if col.required:  # already reported once for the header; don't repeat per row
                col = Column(col.name, col.kind, vocabulary=col.vocabulary, default=col.default)
        columns[col.name], found = _check_column(raw, col, s, today)
        problems += found
    columns.update({c: frame[c] for c in frame.columns if c not in spec.column_names})
    problems += _control_characters(raw, frame)
    typed = pd.DataFrame(columns, index=frame.index)
    problems += _in_table_rules(raw, spec, typed)
    return typed, problems


def _control_characters(raw: RawTable, frame: pd.DataFrame) -> list[Problem]:
    """Refuse control characters (NUL, U+000B, …) in any cell: no workbook can hold them.

    Tab, line feed and carriage return are text; the others are never typed by a person and
    would stop every export to a workbook.
    """
    problems: list[Problem] = []
    for i, name in enumerate(frame.columns):
        s = frame.iloc[:, i]
        bad = s.str.contains(CONTROL_CHARACTERS, regex=True).fillna(False).astype(bool)
        if bad.any():
            hints = {v: f"remove the control character {control_character(v)}" for v in s[bad]}
            problems += _problems(raw, bad, str(name), s, CONTROL_CHARACTER_EXPECTED, hints)
    return problems


def _in_table_rules(raw: RawTable, spec: Table, typed: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    ids = typed[spec.id_column]
    present = _arrow(ids).drop_null()
    if len(pc.unique(present)) < len(present):  # hashing in Arrow; pandas only to find them
        dup = ids.notna() & ids.duplicated(keep="first")
        first_row = {v: r for r, v in ids[ids.notna() & ~dup].items()}
        hints = {
            v: duplicate_hint(spec.id_column, f"{raw.row_word} {first_row.get(v)}")
            for v in ids[dup].unique()
        }
        problems += _problems(raw, dup, spec.id_column, ids, DUPLICATE_ID, hints)
    for order in DATE_ORDERS:
        if order.table != spec.name:
            continue
        later, earlier = typed[order.column], typed[order.earlier]
        if order.defaults_to_earlier:
            later = typed[order.column] = later.fillna(earlier)
        bad = later.notna() & (later < earlier)
        problems += _problems(raw, bad, order.column, _iso(later, bad), order.expected, order.hint)
    rule = ONLY_WITH_FLAG
    if rule.table == spec.name:
        flagged = typed[rule.flags].map(lambda flags: rule.flag in flags)
        bad = typed[rule.column].notna() & ~flagged.astype(bool)
        problems += _problems(raw, bad, rule.column, typed[rule.column], rule.expected, rule.hint)
    return problems


def _iso(s: pd.Series, rows: pd.Series) -> pd.Series:
    """Write the dates of the given rows as YYYY-MM-DD (only those: others are not shown)."""
    return s[rows].dt.strftime("%Y-%m-%d")


class IdIndex(Protocol):
    """Where references are looked up: a bundle's own tables, or a casebook store."""

    def has_table(self, table: str) -> bool:
        """Say whether the table exists at all (an absent optional table cannot be checked)."""
        ...

    def lookup(self, table: str, values: pd.Series) -> pa.Array:
        """Return, for each value, the ``case_id`` of the record it names.

        The result is null where ``table`` holds no such record, and "" for a record of a
        table without cases (teams, workers).
        """
        ...


class FrameIndex:
    """An :class:`IdIndex` over a bundle's own typed frames, using Arrow hash lookups."""

    def __init__(self, typed: dict[str, pd.DataFrame]):
        """Index each table's ids and their cases (the first row wins for a duplicated id)."""
        self._index: dict[str, tuple[pa.Array, pa.Array]] = {}
        for table, frame in typed.items():
            id_col = TABLES[table].id_column
            present = frame[id_col].notna()
            ids = _arrow(frame.loc[present, id_col])
            if "case_id" in frame.columns:  # for cases, the case is the record itself
                cases = _arrow(frame.loc[present, "case_id"])
            else:
                cases = pa.nulls(len(ids), pa.large_string()).fill_null("")
            self._index[table] = (ids, cases)

    def has_table(self, table: str) -> bool:
        """Say whether the bundle has the table."""
        return table in self._index

    def lookup(self, table: str, values: pd.Series) -> pa.Array:
        """Return each value's case id (null where the table has no such id)."""
        ids, cases = self._index[table]
        rows = find_rows(_arrow(values), ids)
        return pc.take(cases, pa.array(rows, mask=rows < 0))


def _reference_problem(
    raw: RawTable,
    s: pd.Series,
    col: Column,
    flat: pd.Series,
    bad: np.ndarray,
    expected: str,
    hint: str,
) -> list[Problem]:
    """Report each row of ``s`` holding a flagged item, naming its first flagged item."""
    if not bad.any():
        return []
    wrong = flat[bad]
    rows = pd.Series(s.index.isin(wrong.index), index=s.index)
    first = wrong.groupby(level=0).first().reindex(s.index)
    return _problems(raw, rows, col.name, first, expected, hint)


def check_references(
    raw: RawTable, typed: pd.DataFrame, index: IdIndex, *, warn_absent: bool = True
) -> list[Problem]:
    """Check that every reference in a table resolves, and that cited records share its case."""
    spec = TABLES[raw.table]
    problems: list[Problem] = []
    for col in spec.of_kind("ref", "ids"):
        target = col.references
        assert target is not None
        s = typed[col.name]
        flat = s.explode().dropna() if col.kind == "ids" else s.dropna()
        if flat.empty:
            continue
        if not index.has_table(target):
            if warn_absent:
                expected, hint = absent_table(target)
                problems.append(
                    Problem(
                        raw.source,
                        None,
                        col.name,
                        None,
                        expected,
                        hint,
                        sheet=raw.sheet,
                        severity="warning",
                    )
                )
            continue
        owner = index.lookup(target, flat)
        missing = owner.is_null().to_numpy(zero_copy_only=False)
        problems += _reference_problem(raw, s, col, flat, missing, *missing_reference(target))
        if col.kind == "ids" and "case_id" in typed.columns:
            own = _arrow(typed["case_id"].reindex(flat.index))
            other = pc.fill_null(pc.not_equal(owner, own), False)
            problems += _reference_problem(
                raw, s, col, flat, other.to_numpy(zero_copy_only=False), *other_case(target)
            )
    return problems


def check_tables(
    raws: dict[str, RawTable], source: str, today: dt.date | None = None
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Check a whole bundle: every table, every rule; return typed frames and all problems."""
    problems: list[Problem] = []
    for table in REQUIRED_TABLES:
        if table not in raws:
            problems.append(
                Problem(
                    source,
                    None,
                    None,
                    None,
                    f"has no {table} table, which every bundle needs",
                    f"add {table}.csv (or a sheet named {table})",
                )
            )
    typed: dict[str, pd.DataFrame] = {}
    for table, raw in raws.items():
        problems += raw.notes
        typed[table], found = check_table(raw, today)
        problems += found
    index = FrameIndex(typed)
    for table, raw in raws.items():
        problems += check_references(raw, typed[table], index)
    order = {t: i for i, t in enumerate(TABLES)}
    problems.sort(
        key=lambda p: (
            p.severity != "error",
            order.get(_table_of(p.source), -1),
            p.source,
            p.row or 0,
        )
    )
    return typed, problems


def _table_of(source: str) -> str:
    return source.rsplit(".", 1)[0].lower()

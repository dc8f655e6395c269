"""Check a partitioned Parquet dataset against the contract with DuckDB, out of core.

A *dataset* is a folder holding one subfolder per contract table, each a set of Parquet parts
(``events/part-00000.parquet``, ...) typed by the contract: dates ``date32``, booleans
``bool``, whole numbers ``int64``, list columns ``list<string>``, everything else ``string``
(a number such as ``fte`` may be a float or text; ``concern_flags`` a list or ``;``-separated
text). National extracts (tens of millions of events) do not fit in memory as pandas text, so
this checks them where they lie: DuckDB reads the parts under a memory limit and spills to a
private temporary folder.

The rules are those of :mod:`casekit.bundle.validation` (their words are in
:mod:`casekit.bundle.rules`): every part's schema (a missing required column or a wrong type
names the part and the column), required values, vocabularies, dates, months, ranges, control
characters, unique ids, the date order and ideology rules, and every reference (including
evidence cited from another case). Each problem names the part, the record within it (the
first record is 1), the column and the value; each rule lists at most ``limit`` problems, then
says how many there are in all.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from casekit.bundle import spill
from casekit.bundle.damage import Damage
from casekit.bundle.partitioned import arrow_type, check_marker, hidden, is_part
from casekit.bundle.partitioned import is_dataset as _written_dataset
from casekit.bundle.rules import (
    BEFORE_EARLIEST,
    BEFORE_EARLIEST_HINT,
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
from casekit.bundle.spill import first_line as _first_line
from casekit.contract import (
    CONTROL_CHARACTERS,
    LIST_SEPARATOR,
    REQUIRED_TABLES,
    TABLE_ORDER,
    TABLES,
    Column,
    Table,
    normalise_header,
)
from casekit.errors import CasekitError, Problem, did_you_mean, printable
from casekit.render.xlsx import CONTROL_CHARACTER_EXPECTED, control_character

__all__ = [
    "EXPANSION",
    "LIMIT",
    "MAX_PARTS",
    "MEMORY_LIMIT",
    "DatasetCheck",
    "is_dataset",
    "layout_problems",
    "check_dataset",
    "refuse_bombs",
    "validate_dataset",
    "parquet_type",
]

LIMIT = 20
"""How many problems each rule lists by default; the rest are counted."""
MEMORY_LIMIT = "2GB"
"""DuckDB's memory limit unless ``$CASEKIT_DUCKDB_MEMORY`` (or ``memory_limit=``) says."""
EXPANSION = 1_000
"""How many times its size on disk a part's data may be once read (unless
``$CASEKIT_MAX_PARQUET_EXPANSION`` says): its pages uncompressed (the footer says), and its
text (counted by length first, each list item 16 bytes besides its text). Real parts read as
3 to 100 times their size; a dictionary or compression bomb (one long text cited by every
row, or compressed away) as tens of thousands of times, and would keep the check busy for
hours."""
MAX_PARTS = 100_000
"""The most parts a table may have: casekit writes part-00000 to part-99999. Each part's
footer is held while the check runs (100,000 empty parts: 192 s, 1.5 GB), so a folder of
millions is refused before any is read."""
EXPANSION_FLOOR = 64 * 1024 * 1024
"""Bytes a part may read as whatever its size on disk (a small part of short words is fine)."""

_ROW_WORD = "record"
_WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680" + "".join(
    map(chr, [*range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
)
"""What is trimmed from text cells, as a bundle's reader (Arrow's ``utf8_trim_whitespace``)
trims them."""
_GLOB = re.compile(r"[*?\[\]{}\\]")
"""What DuckDB and Spark (Hadoop, whose backslash escapes the next character) read as a
pattern in a path they are given: refused in the name of any folder of a part's path."""
_TABLE_KEYS = {normalise_header(t): t for t in TABLES}
_SQL_TYPE = {
    "date": "DATE",
    "bool": "BOOLEAN",
    "int": "BIGINT",
    "number": "DOUBLE",
    "ids": "VARCHAR[]",
    "vocabs": "VARCHAR[]",
}
"""DuckDB's type for each column kind (every other kind is VARCHAR)."""


def parquet_type(col: Column) -> str:
    """Name the Arrow type a dataset's part stores a contract column as (see ``arrow_type``).

    >>> parquet_type(TABLES["events"].column("date"))
    'date32'
    >>> parquet_type(TABLES["decisions"].column("evidence_ids"))
    'list<string>'
    """
    kind = arrow_type(col)
    if pa.types.is_list(kind):
        return f"list<{kind.value_type}>"
    return "date32" if pa.types.is_date32(kind) else str(kind)


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_text(t.value_type)
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _is_text_list(t: pa.DataType) -> bool:
    return bool((pa.types.is_list(t) or pa.types.is_large_list(t)) and _is_text(t.value_type))


def _fits(col: Column, t: pa.DataType) -> bool:
    """Say whether a part's Arrow type holds a contract column as the contract means it."""
    kind = col.kind
    if kind == "date":
        return bool(pa.types.is_date32(t))
    if kind == "bool":
        return bool(pa.types.is_boolean(t))
    if kind == "int":
        return bool(pa.types.is_integer(t))
    if kind == "number":
        return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or _is_text(t))
    if kind == "ids":
        return _is_text_list(t)
    if kind == "vocabs":
        return _is_text_list(t) or _is_text(t)
    return _is_text(t)


# --- finding the parts --------------------------------------------------------------------------


def _table_named(name: str) -> str | None:
    return _TABLE_KEYS.get(normalise_header(name))


def is_dataset(path: str | Path) -> bool:
    """Say whether ``path`` is a partitioned dataset: a folder of ``<table>/`` part folders.

    A folder holding ``<table>.csv`` or ``<table>.parquet`` files is a bundle, not a dataset.
    """
    path = Path(path)
    if not path.is_dir():
        return False
    if _written_dataset(path):
        return True
    entries = list(path.iterdir())
    if any(
        p.is_file() and p.suffix.lower() in (".csv", ".parquet") and _table_named(p.stem)
        for p in entries
    ):
        return False
    return any(p.is_dir() and _table_named(p.name) for p in entries)


@dataclass
class _Part:
    """One Parquet part: where it is, its name in messages and its columns."""

    path: Path
    name: str
    rows: int
    schema: pa.Schema
    size: int = 0
    """The file's bytes on disk."""
    stamp: tuple[int, ...] = ()
    """What the file was when its footer was read (:func:`stamp`)."""
    columns: dict[str, str] = field(default_factory=dict)
    """Each contract column the part holds with a fitting type, and its name in the file."""


@dataclass
class _Table:
    """One table's parts, and which of its contract columns some parts cannot give."""

    name: str
    label: str
    parts: list[_Part]
    unread: dict[str, list[str]] = field(default_factory=dict)
    """Contract column -> paths of the parts missing it or holding it as the wrong type."""

    @property
    def rows(self) -> int:
        """Count the table's records."""
        return sum(p.rows for p in self.parts)

    def usable_ids(self) -> bool:
        """Say whether every part gives the table's id column (so references can be looked up)."""
        return TABLES[self.name].id_column not in self.unread


def stamp(path: Path) -> tuple[int, ...]:
    """Say what a file is now: its device, inode, size, and times of change.

    Any write to it, a rename over it, or its times set back, gives another stamp (the
    status-change time cannot be set back but by changing the clock).
    """
    info = os.lstat(path)
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _read_schema(path: Path, name: str, expansion: int) -> tuple[pa.Schema, int, tuple[int, ...]]:
    """Read a part's footer: its schema, rows and stamp; refuse a part that unpacks too far."""
    import pyarrow.parquet as pq

    try:
        stamped = stamp(path)
        size = stamped[2]
        meta = pq.ParquetFile(path).metadata
        schema, rows = meta.schema.to_arrow_schema(), meta.num_rows
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except PermissionError:
        raise CasekitError(
            f"{printable(name)}: you may not read this part (permission denied). Ask whoever "
            "holds the dataset to let you read every part, or copy it whole to a folder of yours."
        ) from None
    except Exception as exc:  # pyarrow raises several kinds for a damaged or foreign file
        raise CasekitError(
            f"{printable(name)}: cannot be read as Parquet ({_first_line(exc)}). Write the part "
            "again, or move it out of the dataset folder."
        ) from None
    _refuse_expanded(name, unpacked, "of data once uncompressed", size, expansion)
    return schema, rows, stamped


_RESERVED = ("filename", "file_row_number")
"""Columns DuckDB's reader adds to say where each record is: a part may not have its own."""


def _refuse_reserved(name: str, schema: pa.Schema) -> None:
    """Refuse a part with a column named as one DuckDB's reader adds (it could not be read)."""
    taken = next((c for c in schema.names if c.lower() in _RESERVED), None)
    if taken is not None:
        raise CasekitError(
            f"{printable(name)}: has a column named {taken!r}, a name DuckDB's reader keeps "
            "for itself (where each record is), so the part cannot be checked. It is no "
            "contract column: rename or drop it, and write the part again."
        )


def _expansion() -> int:
    """Read ``$CASEKIT_MAX_PARQUET_EXPANSION`` (default :data:`EXPANSION`), or refuse it."""
    text = os.environ.get("CASEKIT_MAX_PARQUET_EXPANSION", "").strip()
    if not text:
        return EXPANSION
    if not text.isdigit() or int(text) < 1:
        raise CasekitError(
            f"CASEKIT_MAX_PARQUET_EXPANSION={printable(text)}: give a whole number of times "
            f"a part's size on disk its data may read as, at least 1 (default {EXPANSION:,})."
        )
    return int(text)


def _refuse_expanded(name: str, held: int, what: str, size: int, expansion: int) -> None:
    """Refuse a part whose data reads as more than ``expansion`` times its size on disk."""
    if held <= max(EXPANSION_FLOOR, expansion * size):
        return
    raise CasekitError(
        f"{printable(name)}: holds {held:,} bytes {what} in a file of {size:,} bytes, more than "
        f"{expansion:,} times its size: a part made to keep the check and the engines busy (a "
        "dictionary or compression bomb), not a dataset's data, so it was not checked. Move it "
        "out of the dataset folder; if it is real data, raise the limit "
        "($CASEKIT_MAX_PARQUET_EXPANSION)."
    )


def _match_part(part: _Part, spec: Table) -> list[Problem]:
    """Match a part's columns to the contract's; report repeats, missing columns, wrong types."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    found = ", ".join(printable(n) for n in part.schema.names) or "none"
    for name, kind in zip(part.schema.names, part.schema.types, strict=True):
        target = _table_column(spec, name)
        if target is None:
            continue
        col = spec.column(target)
        if target in seen:
            problems.append(
                Problem(
                    part.name,
                    None,
                    name,
                    None,
                    f"repeats column {target!r} (already given as {seen[target]!r})",
                    "delete or rename one of the two columns",
                )
            )
            continue
        seen[target] = name
        if name != target:
            problems.append(
                Problem(
                    part.name,
                    None,
                    name,
                    None,
                    f"is the column {target!r} under another name: the engines read a "
                    "dataset's columns by their exact names",
                    f"write the column as {target!r}",
                )
            )
        if not _fits(col, kind):
            problems.append(
                Problem(
                    part.name,
                    None,
                    target,
                    str(kind),
                    f"is the wrong type: expected {parquet_type(col)}",
                    f"write {target} as {parquet_type(col)}, the type of the contract's "
                    f"{col.kind} columns; its values were not checked",
                )
            )
            continue
        part.columns[target] = name
    for col in spec.columns:
        if col.required and col.name not in seen:
            problems.append(
                Problem(
                    part.name,
                    None,
                    col.name,
                    None,
                    "required column is missing from this part",
                    f"columns found: {found}",
                )
            )
    return problems


def _table_column(spec: Table, name: str) -> str | None:
    key = normalise_header(name)
    return next((c for c in spec.column_names if normalise_header(c) == key), None)


def _linked(name: str) -> Problem:
    """Say that a dataset's folder or part is a link, which is not read."""
    return Problem(
        name,
        None,
        None,
        None,
        "is a link to a file or folder elsewhere, so it was not read: a dataset's tables "
        "and parts are its own files",
        "copy the data into the dataset folder in place of the link",
    )


def layout_problems(folder: str | Path) -> list[Problem]:
    """Check a dataset's layout and parts' columns and types (footers only, no record read).

    The errors a Casebook load must stop at, said as the check says them: a damaged part
    (a :class:`~casekit.errors.CasekitError` naming it), a part of the wrong types, a
    misspelt or linked folder or part.
    """
    return [p for p in _scan(Path(folder))[1] if p.severity == "error"]


def _scan(folder: Path) -> tuple[dict[str, _Table], list[Problem]]:
    """Find every table's parts, read their schemas and note what is not part of the dataset."""
    expansion = _expansion()
    problems: list[Problem] = []
    tables: dict[str, _Table] = {}
    for entry in sorted(folder.iterdir()):
        if hidden(entry) or not entry.is_dir():
            continue  # files beside the tables are the dataset's own notes (dataset.json)
        table = _table_named(entry.name)
        if table is None or table in tables:
            hint = did_you_mean(entry.stem, TABLE_ORDER) or f"tables are: {', '.join(TABLE_ORDER)}"
            problems.append(
                Problem(
                    entry.name + "/",
                    None,
                    None,
                    None,
                    "is not a contract table's folder, so it was ignored",
                    hint,
                    severity="warning",
                )
            )
            continue
        if entry.name != table:
            problems.append(
                Problem(
                    entry.name + "/",
                    None,
                    None,
                    None,
                    f"is the {table} table's folder under another name: the engines read a "
                    "dataset's folders by their exact names",
                    f"rename the folder to {table}/",
                )
            )
        if entry.is_symlink():
            problems.append(_linked(entry.name + "/"))
            continue
        _refuse_too_many_parts(entry)
        spec = TABLES[table]
        parts: list[_Part] = []
        for path in sorted(entry.iterdir()):
            name = f"{entry.name}/{path.name}"
            if hidden(path):
                continue
            if path.is_symlink():
                problems.append(_linked(name))
                continue
            if not is_part(path):
                problems.append(
                    Problem(
                        name,
                        None,
                        None,
                        None,
                        "is not a Parquet part (part-NNNNN.parquet), so it was ignored",
                        f"move it out of the {entry.name} folder",
                        severity="warning",
                    )
                )
                continue
            resolved = path.resolve()
            if any(_GLOB.search(p.name) for p in (resolved, *resolved.parents)):
                raise CasekitError(_patterned(resolved))
            schema, rows, stamped = _read_schema(path, name, expansion)
            _refuse_reserved(name, schema)
            part = _Part(resolved, name, rows, schema, stamped[2], stamped)
            problems += _match_part(part, spec)
            parts.append(part)
        if not parts:
            continue  # an empty folder is an absent table
        unread: dict[str, list[str]] = {}
        for col in spec.columns:
            lacking = [str(p.path) for p in parts if col.name not in p.columns]
            if lacking:
                unread[col.name] = lacking
        tables[table] = _Table(table, entry.name, parts, unread)
    for table in REQUIRED_TABLES:
        if table not in tables:
            problems.append(
                Problem(
                    folder.name + "/",
                    None,
                    None,
                    None,
                    f"has no {table} table, which every bundle needs",
                    f"add {'an' if table[0] in 'aeiou' else 'a'} {table}/ folder of Parquet parts "
                    "(part-00000.parquet, ...)",
                )
            )
    return tables, problems


def _refuse_too_many_parts(folder: Path) -> None:
    """Refuse a table folder of more than :data:`MAX_PARTS` parts, counting names only."""
    found = 0
    with os.scandir(folder) as entries:
        for item in entries:
            if item.name.lower().endswith(".parquet") and not item.name.startswith((".", "_")):
                found += 1
                if found > MAX_PARTS:
                    raise CasekitError(
                        f"{printable(folder.name + '/')}: holds more than {MAX_PARTS:,} parts, "
                        f"the most a dataset's table has (part-00000 to part-{MAX_PARTS - 1:05d}); "
                        "none was read. Write the table in fewer, larger parts."
                    )


# --- SQL ----------------------------------------------------------------------------------------


def _q(name: str) -> str:
    """Quote an identifier (a column name from a file) for SQL."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    """Quote a text (a path, a vocabulary value) as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _values(values: tuple[str, ...]) -> str:
    return ", ".join(_lit(v) for v in values)


def _view_name(table: str) -> str:
    return f"ck_{table}"


def _raw_name(column: str) -> str:
    return f"_raw_{column}"


def _written_name(column: str) -> str:
    return f"_written_{column}"


_TRIM = f"trim({{}}, {_lit(_WHITESPACE)})"


_EDGES = (" ", "\t", "\n", "\r", "\x0b", "\x0c", "\xa0")
"""The whitespace a cell is looked at for before trimming (trimming every cell is costly)."""


def _text(expr: str) -> str:
    """Trim a text cell and make an empty one missing, trimming only cells that need it."""
    padded = " OR ".join(
        [f"{expr} < '!'", f"starts_with({expr}, {_lit(chr(0xA0))})"]
        + [f"suffix({expr}, {_lit(edge)})" for edge in _EDGES]
    )
    return f"CASE WHEN {padded} THEN nullif({_TRIM.format(expr)}, '') ELSE {expr} END"


def _list(expr: str) -> str:
    item = _TRIM.format("v")
    return (
        f"nullif(list_filter(list_transform({expr}, lambda v: {item}), "
        "lambda v: v IS NOT NULL AND v <> ''), []::VARCHAR[])"
    )


def _select(col: Column, name: str | None, kind: pa.DataType | None) -> list[str]:
    """Give the view's expression(s) for one contract column of one group of parts."""
    sql_type = _SQL_TYPE.get(col.kind, "VARCHAR")
    raw = "NULL::VARCHAR"
    if name is None or kind is None:
        expr = f"NULL::{sql_type}"
    elif col.kind in ("ids", "vocabs"):
        source = _q(name)
        if _is_text(kind):
            source = f"string_split({source}, {_lit(LIST_SEPARATOR)})"
        expr = _list(source) if col.kind == "vocabs" else f"CAST({source} AS VARCHAR[])"
    elif col.kind == "number" and _is_text(kind):
        raw = _text(_q(name))
        expr = f"TRY_CAST({raw} AS DOUBLE)"
    elif sql_type == "VARCHAR":
        expr = _text(_q(name))
    else:
        expr = f"CAST({_q(name)} AS {sql_type})"
    if col.default is not None and col.kind in ("vocab", "text", "number"):
        if col.kind == "number":
            expr = f"coalesce({expr}, CAST({_lit(col.default)} AS DOUBLE))"
        else:
            expr = f"coalesce({expr}, {_lit(col.default)})"
    out = [f"{expr} AS {_q(col.name)}"]
    if col.kind == "number":
        out.append(f"{raw} AS {_q(_raw_name(col.name))}")
    if col.kind == "vocab":  # as written: a value found as it stands needs no trimming
        written = _q(name) if name is not None and kind is not None else "NULL::VARCHAR"
        out.append(f"{written} AS {_q(_written_name(col.name))}")
    return out


def _groups(table: _Table) -> list[list[_Part]]:
    """Group a table's parts by their columns' names and types: one ``read_parquet`` each."""
    groups: dict[tuple[tuple[str, str], ...], list[_Part]] = {}
    for part in table.parts:
        signature = tuple(
            (n, str(t)) for n, t in zip(part.schema.names, part.schema.types, strict=True)
        )
        groups.setdefault(signature, []).append(part)
    return list(groups.values())


_ITEM = 16
"""Bytes a list's item counts as besides its text (DuckDB's own slot for a text is 16)."""


def _refuse_bombs(runner: _Runner, table: _Table, expansion: int, every: bool = False) -> None:
    """Refuse a part whose text reads as too many times its size on disk.

    The contract's text and list-of-text columns count (the rules and engines read no other);
    with ``every``, every such column (loading a small dataset into a Casebook reads them
    all). Only the
    texts' lengths are read (no text is copied, trimmed or matched), so a dictionary bomb
    (every row citing one long text) costs one quick scan, not the hours its rules would. A
    list's item counts :data:`_ITEM` bytes besides its text: millions of empty ids are a bomb
    too.
    """
    for parts in _groups(table):
        first = parts[0]
        sizes = []
        read = set(first.schema.names) if every else set(first.columns.values())
        for name, kind in zip(first.schema.names, first.schema.types, strict=True):
            if name not in read:
                continue
            if _is_text(kind):
                sizes.append(f"coalesce(strlen({_q(name)}), 0)")
            elif _is_text_list(kind):  # an item costs its text and a slot (16 bytes) at least
                listed = _q(name)
                lengths = f"list_sum(list_transform({listed}, lambda v: strlen(v)))"
                sizes.append(f"coalesce(len({listed}) * {_ITEM} + coalesce({lengths}, 0), 0)")
        if not sizes:
            continue
        files = ", ".join(_lit(str(p.path)) for p in parts)
        held = runner.fetch(
            f"SELECT filename, sum({' + '.join(sizes)}) FROM read_parquet([{files}], "
            "filename = true) GROUP BY filename"
        )
        size = {str(p.path): p.size for p in parts}
        for path, text in held:
            _refuse_expanded(
                runner.name(path), int(text or 0), "of text and list items", size[path], expansion
            )


def refuse_bombs(folder: str | Path) -> None:
    """Refuse a dataset holding a part whose data reads as too many times its size on disk.

    The check's first step (:func:`check_dataset` takes it too), for a dataset about to be
    read another way (into a Casebook): footers first, then the text's lengths in DuckDB.
    Raises :class:`CasekitError` naming the part; see :data:`EXPANSION`.
    """
    folder = Path(folder)
    tables, _ = _scan(folder)
    if not tables:
        return
    memory = os.environ.get("CASEKIT_DUCKDB_MEMORY") or MEMORY_LIMIT
    expansion = _expansion()
    with spill.private_duckdb(memory, ordered=False) as duck:
        runner = _Runner(duck.con, folder, tables, memory)
        for table in tables.values():
            _refuse_bombs(runner, table, expansion, every=True)


def _view(table: _Table) -> str:
    """Write the SQL of a table's view: every part, contract columns cleaned and typed."""
    spec = TABLES[table.name]
    selects = []
    for parts in _groups(table):
        first = parts[0]
        columns = ["filename AS _file", "file_row_number + 1 AS _row"]
        for col in spec.columns:
            name = first.columns.get(col.name)
            kind = first.schema.field(name).type if name is not None else None
            columns += _select(col, name, kind)
        files = ", ".join(_lit(str(p.path)) for p in parts)
        selects.append(
            f"SELECT {', '.join(columns)} FROM read_parquet([{files}], "
            "filename = true, file_row_number = true)"
        )
    return f"CREATE TEMP VIEW {_view_name(table.name)} AS " + " UNION ALL ".join(selects)


# --- rules --------------------------------------------------------------------------------------

Hint = Callable[[Any, Any], str]


@dataclass(frozen=True)
class _Rule:
    """One rule over one table: the rows that break it, and what to say about each."""

    table: str
    column: str | None
    expected: str
    where: str = ""
    """A condition on the table's view: all of a table's conditions are counted in one scan."""
    value: str = "NULL"
    relation: str = ""
    """Or a query giving the rows that break the rule: ``_file, _row, value, note``."""
    count: str = ""
    """A quicker query counting them, when the relation is costly (duplicates)."""
    hint: str | Hint = ""
    severity: str = "error"
    gate: str = ""
    """A cheaper condition that holds wherever ``where`` does: counted first, and only if it
    holds anywhere is ``where`` counted (few cells hold a control character)."""

    def rows(self) -> str:
        """Write the query of the rows breaking the rule, in the order they are listed."""
        if self.relation:
            return f"SELECT * FROM ({self.relation}) ORDER BY _file, _row"
        return (
            f"SELECT _file, _row, {self.value} AS value, NULL AS note "
            f"FROM {_view_name(self.table)} WHERE {self.where} ORDER BY _file, _row"
        )

    def say(self, value: Any, note: Any) -> str:
        """Give the hint for one row."""
        return self.hint(value, note) if callable(self.hint) else self.hint


def _not_in(files: list[str] | None) -> str:
    if not files:
        return ""
    return f" AND _file NOT IN ({_values(tuple(files))})"


def _column_rules(table: _Table, today: dt.date) -> list[_Rule]:
    """List the rules of each column by itself: required, vocabulary, dates, ranges, text."""
    spec = TABLES[table.name]
    rules: list[_Rule] = []
    for col in spec.columns:
        rules += [
            _Rule(table.name, col.name, expected, where, value, hint=hint, gate=gate)
            for where, expected, value, hint, gate in _column_checks(table, col, today)
        ]
    texts = [r.value for r in rules if r.gate == _ANY_TEXT]
    if texts:  # one look for a control character in all the row's text, then column by column
        anywhere = f"regexp_matches(concat({', '.join(texts)}), {_lit(CONTROL_CHARACTERS)})"
        rules = [replace(r, gate=anywhere) if r.gate == _ANY_TEXT else r for r in rules]
    return rules


_ANY_TEXT = "any text"


def _column_checks(
    table: _Table, col: Column, today: dt.date
) -> list[tuple[str, str, str, str | Hint, str]]:
    """List one column's checks as (condition, expected, value shown, hint, gate)."""
    c = _q(col.name)
    kind = col.kind
    checks: list[tuple[str, str, str, str | Hint, str]] = []
    if col.required and col.default is None:
        empty = f"{_list(c)} IS NULL" if kind == "ids" else f"{c} IS NULL"
        checks.append((empty + _not_in(table.unread.get(col.name)), REQUIRED_EMPTY, "NULL", "", ""))
    vocabulary = _values(col.vocabulary)

    def near(value: Any, _note: Any) -> str:
        return did_you_mean(str(value), col.vocabulary)

    written = _q(_written_name(col.name))
    unlisted = (
        f"{written} NOT IN ({vocabulary}) AND {c} NOT IN ({vocabulary}) "
        f"AND lower({c}) NOT IN ({vocabulary})"
    )
    if kind == "vocab" and col.default is not None:  # an empty cell is the default
        unlisted = f"{written} IS NOT NULL AND {unlisted}"
    if kind == "vocab":
        checks.append((unlisted, vocab_expected(col), c, near, ""))
    elif kind == "vocabs":
        bad = f"list_filter({c}, lambda v: lower(v) NOT IN ({vocabulary}))"
        checks.append((f"len({bad}) > 0", vocab_expected(col), f"{bad}[1]", near, ""))
    elif kind == "date":
        text = f"CAST({c} AS VARCHAR)"
        checks.append((f"{c} > DATE '{today.isoformat()}'", future_expected(today), text, "", ""))
        checks.append(
            (f"{c} < DATE '{EARLIEST_YEAR}-01-01'", BEFORE_EARLIEST, text, BEFORE_EARLIEST_HINT, "")
        )
    elif kind == "month":
        shaped = f"regexp_matches({c}, {_lit(MONTH_PATTERN)})"
        checks.append((f"{c} IS NOT NULL AND NOT {shaped}", MONTH_EXPECTED, c, _whole_date, ""))
        future = f"{shaped} AND {c} > {_lit(today.strftime('%Y-%m'))}"
        checks.append((future, future_expected(today), c, "", ""))
    elif kind in ("int", "number"):
        wrong: list[str] = []
        text = f"CAST({c} AS VARCHAR)"
        if kind == "number":
            raw = _q(_raw_name(col.name))
            wrong += [f"{raw} IS NOT NULL AND TRY_CAST({raw} AS DOUBLE) IS NULL", f"isnan({c})"]
            whole = f"NOT isnan({c}) AND NOT isinf({c}) AND {c} = trunc({c})"
            shortest = (
                f"CASE WHEN {whole} THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) ELSE {text} END"
            )
            text = f"coalesce({raw}, {shortest})"  # 0.0 reads 0, as a bundle's reader writes it
        bounds = number_bounds(col)
        if bounds is not None:
            least, greatest, exclusive = bounds
            wrong.append(f"{c} {'<=' if exclusive else '<'} {least!r} OR {c} > {greatest!r}")
        if wrong:
            checks.append(
                (" OR ".join(f"({w})" for w in wrong), number_expected(col), text, "", "")
            )
    pattern = _lit(CONTROL_CHARACTERS)
    if kind in ("ids", "vocabs"):
        joined = f"array_to_string({c}, {_lit(LIST_SEPARATOR)})"
        where = f"regexp_matches({joined}, {pattern})"
        checks.append((where, CONTROL_CHARACTER_EXPECTED, joined, _control_hint, _ANY_TEXT))
    elif kind == "number" or _SQL_TYPE.get(kind, "VARCHAR") == "VARCHAR":
        text = _q(_raw_name(col.name)) if kind == "number" else c
        where = f"regexp_matches({text}, {pattern})"
        # a vocabulary's values hold none: only a cell out of the vocabulary can
        gate = unlisted if kind == "vocab" else _ANY_TEXT
        checks.append((where, CONTROL_CHARACTER_EXPECTED, text, _control_hint, gate))
    return checks


def _whole_date(value: Any, _note: Any) -> str:
    return FULL_DATE_HINT if re.match(FULL_DATE_PATTERN, str(value)) else ""


def _control_hint(value: Any, _note: Any) -> str:
    return f"remove the control character {control_character(str(value))}"


def _in_date_range(expr: str, today: dt.date) -> str:
    """Say that a date is one the pandas check keeps: not before 1900, not in the future."""
    return f"({expr} BETWEEN DATE '{EARLIEST_YEAR}-01-01' AND DATE '{today.isoformat()}')"


def _row_rules(table: _Table, today: dt.date) -> list[_Rule]:
    """List the rules within a row (date order, ideology) and a table (unique ids)."""
    spec = TABLES[table.name]
    view = _view_name(table.name)
    rules: list[_Rule] = []
    for order in DATE_ORDERS:
        if order.table != table.name:
            continue
        later, earlier = _q(order.column), _q(order.earlier)
        if order.defaults_to_earlier:
            later = f"coalesce({later}, {earlier})"
        where = (
            f"{later} < {earlier} AND {_in_date_range(later, today)} "
            f"AND {_in_date_range(earlier, today)}"
        )
        rules.append(
            _Rule(
                table.name,
                order.column,
                order.expected,
                where,
                f"CAST({later} AS VARCHAR)",
                hint=order.hint,
            )
        )
    only = ONLY_WITH_FLAG
    if only.table == table.name:
        c = _q(only.column)
        vocabulary = TABLES[only.table].column(only.column).vocabulary
        valid = f" AND lower({c}) IN ({_values(vocabulary)})" if vocabulary else ""
        flagged = (
            f"coalesce(list_contains(list_transform({_q(only.flags)}, lambda v: lower(v)), "
            f"{_lit(only.flag)}), false)"
        )
        rules.append(
            _Rule(
                table.name,
                only.column,
                only.expected,
                f"{c} IS NOT NULL{valid} AND NOT {flagged}",
                f"lower({c})",
                hint=only.hint,
            )
        )
    ident = _q(spec.id_column)
    dups = (
        f"SELECT {ident} AS id FROM {view} WHERE {ident} IS NOT NULL "
        f"GROUP BY {ident} HAVING count(*) > 1"
    )
    relation = (
        "SELECT _file, _row, value, "
        "{'file': first_file, 'row': first_row, 'same': first_file = _file} AS note FROM ("
        f"SELECT _file, _row, {ident} AS value, row_number() OVER w AS n, "
        f"first_value(_file) OVER w AS first_file, first_value(_row) OVER w AS first_row "
        f"FROM {view} SEMI JOIN ({dups}) d ON {view}.{ident} = d.id "
        f"WINDOW w AS (PARTITION BY {ident} ORDER BY _file, _row)) WHERE n > 1"
    )
    count = f"SELECT count({ident}) - count(DISTINCT {ident}) FROM {view}"  # the repeats
    rules.append(
        _Rule(
            table.name,
            spec.id_column,
            DUPLICATE_ID,
            relation=relation,
            count=count,
            hint=_first_use(spec.id_column),
        )
    )
    return rules


def _first_use(id_column: str) -> Hint:
    def hint(_value: Any, note: Any) -> str:
        where = f"{_ROW_WORD} {note['row']}"
        first = where if note["same"] else f"{where} of {printable(note['file'])}"
        return duplicate_hint(id_column, first)

    return hint


def _items(table: _Table, col: Column, src: int) -> str:
    """Write the query of a list column's items: one row per non-empty item, trimmed."""
    c = _q(col.name)
    own = "case_id" if "case_id" in TABLES[table.name].column_names else "NULL::VARCHAR"
    listed = (
        f"SELECT _file, _row, {own} AS own, unnest({c}) AS raw, generate_subscripts({c}, 1) "
        f"AS pos FROM {_view_name(table.name)} WHERE {c} IS NOT NULL"
    )
    return (
        f"SELECT * FROM (SELECT {src} AS src, _file, _row, own, {_text('raw')} AS item, pos "
        f"FROM ({listed})) WHERE item IS NOT NULL"
    )


def _owners(target: str, duplicated: bool) -> str:
    """Write the query of each id of ``target`` and its case (the first record's, if repeated)."""
    tview, tid = _view_name(target), _q(TABLES[target].id_column)
    case = "case_id" if "case_id" in TABLES[target].column_names else "NULL::VARCHAR"
    if not duplicated:  # the usual case: a plain hash join, no grouping
        return f"SELECT {tid} AS id, {case} AS owner FROM {tview} WHERE {tid} IS NOT NULL"
    return (
        f"SELECT {tid} AS id, arg_min_null({case}, (_file, _row)) AS owner FROM {tview} "
        f"WHERE {tid} IS NOT NULL GROUP BY {tid}"
    )


def _check_references(
    runner: _Runner,
    tables: dict[str, _Table],
    duplicated: dict[str, int],
    limit: int | None,
) -> list[Problem]:
    """Check that every reference resolves, and that cited evidence shares its record's case.

    A single reference (``case_id``) is an anti-join. Lists of ids are checked item by item,
    all the lists citing one table in one join (the cited table is hashed once) that counts
    both kinds of problem; only a broken rule costs another query, to list its rows.
    """
    problems: list[Problem] = []
    citing: dict[str, list[tuple[_Table, Column]]] = {}
    for table in tables.values():
        view = _view_name(table.name)
        for col in TABLES[table.name].of_kind("ref", "ids"):
            target = col.references
            assert target is not None
            c = _q(col.name)
            if target not in tables or not tables[target].usable_ids():
                if runner.fetch(f"SELECT count({c}) FROM {view}")[0][0]:
                    problems.append(_unchecked(table, col.name, target, tables))
                continue
            if col.kind == "ids":
                citing.setdefault(target, []).append((table, col))
                continue
            tview, tid = _view_name(target), _q(TABLES[target].id_column)
            relation = (
                f"SELECT s._file, s._row, s.{c} AS value, NULL AS note FROM {view} s "
                f"ANTI JOIN {tview} k ON s.{c} = k.{tid} WHERE s.{c} IS NOT NULL"
            )
            expected, hint = missing_reference(target)
            rule = _Rule(table.name, col.name, expected, relation=relation, hint=hint)
            problems += _run(runner, rule, limit, table.label)
    for target, lists in citing.items():
        items = " UNION ALL ".join(_items(table, col, n) for n, (table, col) in enumerate(lists))
        joined = (
            f"WITH items AS ({items}), "
            f"owners AS ({_owners(target, duplicated.get(target, 0) > 0)}), "
            "joined AS (SELECT items.*, o.id IS NULL AS missing, "
            "coalesce(o.owner <> items.own, false) AS other "
            "FROM items LEFT JOIN owners o ON items.item = o.id) "
        )
        counts = runner.fetch(
            joined + "SELECT src, count(*) FILTER (WHERE missing), count(*) FILTER (WHERE other) "
            "FROM joined GROUP BY src"
        )
        for n, lost, elsewhere in sorted(counts):
            table, col = lists[n]
            for flag, found, (expected, hint) in (
                ("missing", lost, missing_reference(target)),
                ("other", elsewhere, other_case(target)),
            ):
                if not found:
                    continue
                relation = (
                    joined + "SELECT _file, _row, arg_min(item, pos) AS value, NULL AS note "
                    f"FROM joined WHERE src = {n} AND {flag} GROUP BY _file, _row"
                )
                rule = _Rule(table.name, col.name, expected, relation=relation, hint=hint)
                problems += _run(runner, rule, limit, table.label)
    return problems


def _unchecked(table: _Table, column: str, target: str, tables: dict[str, _Table]) -> Problem:
    """Warn that a column's references to an absent or unreadable table were not checked."""
    if target in tables:
        expected = (
            f"refers to {target}, but some of {target}'s parts give no readable "
            f"{TABLES[target].id_column}, so these references were not checked"
        )
        hint = f"fix {target}'s parts (see above), then check again"
    else:
        expected, hint = absent_table(target)
    return Problem(table.label + "/", None, column, None, expected, hint, severity="warning")


# --- running ------------------------------------------------------------------------------------


@dataclass
class DatasetCheck:
    """What checking a dataset found: every problem, and the number of records per table."""

    problems: list[Problem]
    rows: dict[str, int]
    damage: list[Damage] = field(default_factory=list)
    """Each table with errors: how many of its records break a rule, which rules, where."""
    parts: dict[str, tuple[Path, ...]] = field(default_factory=dict)
    """Each table's parts as checked: the files an engine then reads, and no others (a part
    written into the folder after the check is not read)."""
    stamps: dict[Path, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    """Each part's name in messages and :func:`stamp` as checked, for :meth:`unchanged`."""

    def unchanged(self) -> None:
        """Refuse, naming it, a part that is no longer the file the check read.

        Called after an engine has read the parts: a part written to, renamed over or
        removed since it was checked (by whoever may write the dataset's folder) may have
        given the engine records no rule was run on, so its results are not used.
        """
        for path, (name, then) in self.stamps.items():
            try:
                now = stamp(path)
            except OSError:
                now = ()
            if now != then:
                raise CasekitError(
                    f"{printable(name)}: changed after the dataset was checked (written to, "
                    "replaced or removed), so what the engine read may not be what was checked; "
                    "nothing was kept. Make sure nothing writes to the dataset while it is "
                    "read, then run again."
                )

    @property
    def valid(self) -> bool:
        """Say whether the dataset broke no rule (warnings are allowed)."""
        return not any(p.severity == "error" for p in self.problems)


class _Runner:
    """Run the rules' queries, turning DuckDB's failures into messages a person can act on."""

    def __init__(self, con: Any, folder: Path, tables: dict[str, _Table], memory_limit: str):
        """Keep the connection and what is needed to name a part in a message."""
        self.con = con
        self.folder = folder
        self.memory_limit = memory_limit
        self.names = {str(p.path): p.name for t in tables.values() for p in t.parts}
        self.columns = {
            str(p.path): list(p.columns.values()) for t in tables.values() for p in t.parts
        }
        """Each part's contract columns, by their names in the file: all the rules read."""
        self.broken: list[_Rule] = []
        """The rules some rows broke, as they were found (for :func:`_damage`)."""

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one query and return its rows."""
        import duckdb

        try:
            return list(self.con.execute(sql).fetchall())
        except duckdb.InterruptException:  # a stop, not a damaged part: it goes on out
            raise
        except duckdb.OutOfMemoryException:
            raise CasekitError(
                f"{printable(self.folder)}: DuckDB ran out of memory under its limit of "
                f"{self.memory_limit} and could not spill to disk. Free disk space in the "
                "temporary folder ($TMPDIR), or raise the limit ($CASEKIT_DUCKDB_MEMORY, e.g. 8GB)."
            ) from None
        except duckdb.Error as exc:
            text = str(exc)
            part = next((name for path, name in self.names.items() if path in text), None)
            where = printable(part or self._damaged() or self.folder.name)
            raise CasekitError(
                f"{where}: cannot be read as Parquet ({_first_line(exc)}). Write the part again, "
                "or move it out of the dataset folder."
            ) from None

    def _damaged(self) -> str | None:
        """Find the first part whose contract columns DuckDB cannot read (its error named none).

        Only the columns the rules read are read again: a column no rule reads may be a bomb
        of any size, and the engines never read it either.
        """
        import duckdb

        for path, name in self.names.items():
            columns = ", ".join(_q(c) for c in self.columns[path])
            if not columns:
                continue
            try:  # every value decoded and hashed in DuckDB: none is fetched into Python
                self.con.execute(f"SELECT max(hash({columns})) FROM read_parquet({_lit(path)})")
            except duckdb.Error:
                return name
        return None

    def name(self, path: str) -> str:
        """Name a part as messages do (``events/part-00000.parquet``)."""
        return self.names.get(path, path)


def _problems_of(
    runner: _Runner, rule: _Rule, count: int, limit: int | None, label: str
) -> list[Problem]:
    """List a broken rule's first ``limit`` rows, then say how many there are in all."""
    if rule.severity == "error":
        runner.broken.append(rule)
    sql = rule.rows() + (f" LIMIT {int(limit)}" if limit is not None else "")
    out = []
    for file, row, value, note in runner.fetch(sql):
        if isinstance(note, dict) and "file" in note:
            note = {**note, "file": runner.name(note["file"])}
        out.append(
            Problem(
                runner.name(file),
                int(row),
                rule.column,
                None if value is None else str(value),
                rule.expected,
                rule.say(value, note),
                row_word=_ROW_WORD,
                severity=rule.severity,
            )
        )
    if limit is not None and count > limit:
        out.append(
            Problem(
                label + "/",
                None,
                rule.column,
                None,
                f"{rule.expected}: {count:,} {_ROW_WORD}s in all break this rule; the first "
                f"{limit} are listed",
                "fix them and check again, or list every one (--all)",
                severity=rule.severity,
            )
        )
    return out


def check_dataset(
    folder: str | Path,
    today: dt.date | None = None,
    *,
    limit: int | None = LIMIT,
    memory_limit: str | None = None,
) -> DatasetCheck:
    """Check a partitioned Parquet dataset against the contract, out of core, with DuckDB.

    ``limit`` is how many problems each rule lists (``None``: all of them); the others are
    counted in one line per rule. ``memory_limit`` is DuckDB's (default
    ``$CASEKIT_DUCKDB_MEMORY``, else 2GB): beyond it DuckDB spills to a private temporary
    folder, removed afterwards. A part that is not Parquet, or a ``dataset.json`` that does
    not describe the folder truly (:func:`~casekit.bundle.partitioned.check_marker`), raises
    :class:`CasekitError`.
    """
    folder = Path(folder)
    today = today or dt.date.today()
    if not folder.is_dir():
        raise CasekitError(f"{printable(folder)}: no such folder. Give the dataset's folder.")
    memory = memory_limit or os.environ.get("CASEKIT_DUCKDB_MEMORY") or MEMORY_LIMIT
    tables, problems = _scan(folder)
    check_marker(folder, {t: (len(tables[t].parts), tables[t].rows) for t in tables})
    rows = {t: tables[t].rows for t in TABLE_ORDER if t in tables}
    parts = {t: tuple(p.path for p in tables[t].parts) for t in TABLE_ORDER if t in tables}
    stamps = {p.path: (p.name, p.stamp) for t in tables.values() for p in t.parts}
    if not tables:
        return DatasetCheck(problems, rows)
    with spill.private_duckdb(memory, ordered=False) as duck:
        runner = _Runner(duck.con, folder, tables, memory)
        expansion = _expansion()
        for table in tables.values():
            _refuse_bombs(runner, table, expansion)
        for table in tables.values():
            runner.fetch(_view(table))
        duplicated: dict[str, int] = {}
        for table in tables.values():
            found, duplicated[table.name] = _check_table(runner, table, today, limit)
            problems += found
        problems += _check_references(runner, tables, duplicated, limit)
        damage = _damage(runner, tables, problems)
    order = {t: i for i, t in enumerate(TABLE_ORDER)}
    problems.sort(
        key=lambda p: (
            p.severity != "error",
            order.get(_table_named(p.source.split("/")[0]) or "", -1),
            p.row is None and p.source.endswith("/"),
            p.source,
            p.row or 0,
        )
    )
    return DatasetCheck(problems, rows, damage, parts, stamps)


def _damage(runner: _Runner, tables: dict[str, _Table], problems: list[Problem]) -> list[Damage]:
    """Count, per table, the records that break at least one rule, and the parts holding them.

    Each record is counted once however many rules it breaks: the rows of all of a table's
    broken rules are put together (one scan for the column rules, then the relations), and
    counted part by part. A problem with a part itself (a missing column) is a kind of problem
    with no record of its own.
    """
    rules: dict[str, list[_Rule]] = {}
    for rule in runner.broken:
        rules.setdefault(rule.table, []).append(rule)
    whole: dict[str, list[Problem]] = {}
    for p in problems:
        table = _table_named(p.source.split("/")[0])
        if p.severity == "error" and p.row is None and not p.source.endswith("/") and table:
            whole.setdefault(table, []).append(p)
    found = []
    for name in TABLE_ORDER:
        broken, itself = rules.get(name, []), whole.get(name, [])
        if not broken and not itself:
            continue
        places: list[tuple[str, int]] = []
        if broken:
            wheres = list(dict.fromkeys(f"({r.where})" for r in broken if r.where))
            selects = [f"SELECT _file, _row FROM {_view_name(name)} WHERE {' OR '.join(wheres)}"]
            selects = selects[: bool(wheres)]
            selects += [f"SELECT _file, _row FROM ({r.relation})" for r in broken if not r.where]
            counted = runner.fetch(
                f"SELECT _file, count(*) AS n FROM ({' UNION '.join(selects)}) "
                "GROUP BY _file ORDER BY n DESC, _file"
            )
            places = [(runner.name(file), int(n)) for file, n in counted]
        kinds = {(r.column, r.expected) for r in broken} | {(p.column, p.expected) for p in itself}
        columns = [r.column for r in broken] + [p.column for p in itself]
        found.append(
            Damage(
                tables[name].label + "/" if name in tables else name + "/",
                sum(n for _, n in places),
                len(kinds),
                tuple(dict.fromkeys(c for c in columns if c)),
                len(itself),
                tables[name].rows if name in tables else None,
                tuple(places),
            )
        )
    return found


def _check_table(
    runner: _Runner, table: _Table, today: dt.date, limit: int | None
) -> tuple[list[Problem], int]:
    """Check one table's columns and rows in one scan, then its ids; count duplicated ids."""
    problems: list[Problem] = []
    rules = _column_rules(table, today) + _row_rules(table, today)
    view = _view_name(table.name)
    gates = sorted({r.gate for r in rules if r.gate})
    scanned = [r for r in rules if r.where and not r.gate]
    counts = _count(runner, view, [r.where for r in scanned] + gates)
    opened = {gate for gate, n in zip(gates, counts[len(scanned) :], strict=True) if n}
    found = dict(zip(map(id, scanned), counts, strict=False))
    gated = [r for r in rules if r.gate in opened]
    found.update(zip(map(id, gated), _count(runner, view, [r.where for r in gated]), strict=True))
    counts_of = {id(r): found.get(id(r), 0) for r in rules if r.where}
    duplicated = 0
    for rule in rules:
        if rule.where:
            if counts_of[id(rule)]:
                problems += _problems_of(runner, rule, counts_of[id(rule)], limit, table.label)
            continue
        found_rows = _run(runner, rule, limit, table.label)
        if rule.expected == DUPLICATE_ID:
            duplicated = len(found_rows)
        problems += found_rows
    return problems, duplicated


def _count(runner: _Runner, view: str, conditions: list[str]) -> list[int]:
    """Count the rows meeting each condition, in one scan of the view (each distinct once)."""
    distinct = list(dict.fromkeys(conditions))
    if not distinct:
        return []
    sql = ", ".join(f"count(*) FILTER (WHERE {c})" for c in distinct)
    counted = dict(zip(distinct, runner.fetch(f"SELECT {sql} FROM {view}")[0], strict=True))
    return [int(counted[c]) for c in conditions]


def _run(runner: _Runner, rule: _Rule, limit: int | None, label: str) -> list[Problem]:
    """Count the rows a relation rule finds and, if any, list them."""
    (count,) = runner.fetch(rule.count or f"SELECT count(*) FROM ({rule.relation})")[0]
    return _problems_of(runner, rule, int(count), limit, label) if count else []


def validate_dataset(
    folder: str | Path, today: dt.date | None = None, *, limit: int | None = LIMIT
) -> list[Problem]:
    """Check a dataset and return its problems (a valid one has only warnings)."""
    return check_dataset(folder, today, limit=limit).problems


def _patterned(path: Path) -> str:
    """Say which folder (or part) of ``path`` has a name DuckDB would read as a pattern."""
    named = next(p for p in [*reversed(path.parents), path] if _GLOB.search(p.name))
    if named == path:
        fix = "Rename the part without those characters (part-00000.parquet, ...)."
    else:
        fix = (
            "Rename the folder without those characters (for example 'extract 2024-25' for "
            "'extract [2024-25]'), or copy the dataset to a folder whose path has none."
        )
    what = "part" if named == path else "folder"
    return (
        f"{printable(named)}: this {what}'s name holds a character DuckDB or Spark reads as a "
        f"file pattern (* ? [ ] {{ }} \\), so the engines could read other files than those "
        f"checked. {fix}"
    )

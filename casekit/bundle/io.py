"""Read and write case bundles: CSV folders, xlsx workbooks and Parquet folders.

Readers turn every form into :class:`RawTable` objects: all cells as stripped strings (missing as
NaN), indexed by the row number a person sees in a spreadsheet, so that validation can say
exactly where a problem is. Writers take canonical string frames (see :func:`canonical`) and
write them atomically: a failed write leaves no half-written bundle behind.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from casekit.bundle.arrowops import arrow_strings
from casekit.contract import LIST_SEPARATOR, TABLE_ORDER, TABLES, normalise_header
from casekit.errors import BundleInvalid, CasekitError, Problem, conninfo_refusal, is_conninfo
from casekit.outputs import (
    OutputFolder,
    check_file_target,
    claim_folder,
    disk_error,
    is_workbook,
    private_folder,
    scratch_beside,
    seal,
    write_private,
)

if TYPE_CHECKING:
    import yaml

__all__ = [
    "RawTable",
    "clean_frame",
    "cell_to_str",
    "read_bundle",
    "read_csv_table",
    "read_csv_rows",
    "decode_bytes",
    "canonical",
    "write_bundle",
    "write_file_atomically",
    "bundle_form",
]


@dataclass
class RawTable:
    """One table as read: string cells indexed by spreadsheet row number, with its origin."""

    table: str
    frame: pd.DataFrame
    source: str
    sheet: str | None = None
    row_word: str = "row"
    notes: list[Problem] = field(default_factory=list)


# --- encodings ----------------------------------------------------------------------------------

_RESAVE = (
    "re-save it as 'CSV UTF-8 (Comma delimited)' in Excel, or with UTF-8 encoding in your editor"
)


def decode_bytes(data: bytes, source: str) -> tuple[str, Problem | None]:
    """Decode a CSV file's bytes: UTF-8 (with or without BOM), UTF-16 with a BOM, or cp1252.

    Returns the text and, when the file was not UTF-8, a warning saying how it was read.

    >>> decode_bytes("café".encode("cp1252"), "x.csv")[0]
    'café'
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CasekitError(
                f"{source}: looks like UTF-16 but cannot be decoded ({exc.reason}); {_RESAVE}."
            ) from None
        return text, Problem(
            source, None, None, None, "read as UTF-16", _RESAVE, severity="warning"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data[:200].count(b"\x00") > 10:
        raise CasekitError(f"{source}: looks like UTF-16 without a byte-order mark; {_RESAVE}.")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise CasekitError(
            f"{source}: is neither UTF-8 nor Windows-1252 text (byte {exc.start}); {_RESAVE}."
        ) from None
    return text, Problem(
        source,
        None,
        None,
        None,
        "read as Windows-1252 (cp1252), not UTF-8",
        _RESAVE,
        severity="warning",
    )


# --- cell normalisation -------------------------------------------------------------------------


def clean_frame(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    """Strip cells, make empty cells missing, drop empty rows and index by spreadsheet row."""
    index = pd.RangeIndex(first_row, first_row + len(frame))
    if len(frame) <= 8:  # a single record (a store write): plain Python beats vectorising

        def clean(v: object) -> object:
            text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
            return text or None

        data = {i: [clean(v) for v in frame.iloc[:, i].tolist()] for i in range(frame.shape[1])}
        small = pd.DataFrame(data, index=index, columns=range(frame.shape[1]), dtype="str")
        small.columns = frame.columns
        return small.dropna(how="all")
    columns = [frame.iloc[:, i] for i in range(frame.shape[1])]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # Arrow frees the GIL
        texts = list(pool.map(_clean_column, columns))
    empty = np.ones(len(frame), dtype=bool)
    for text in texts:
        empty &= text.is_null().to_numpy(zero_copy_only=False)
    cleaned = pd.DataFrame(
        {i: pd.Series(text, index=index, dtype="str", copy=False) for i, text in enumerate(texts)},
        index=index,
        copy=False,
    )
    cleaned.columns = frame.columns
    return cleaned[~empty] if empty.any() else cleaned


def _clean_column(s: pd.Series) -> pa.Array:
    """Trim one column's cells and make empty cells missing, in Arrow."""
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(arrow_strings(s))
    blank = pc.equal(pc.binary_length(text), 0)
    if pc.any(blank).as_py():
        text = pc.if_else(blank, pa.scalar(None, text.type), text)
    return text


def cell_to_str(value: object) -> str | float:
    """Turn one spreadsheet or Parquet cell into the bundle's string form (NaN when empty)."""
    if value is None:
        return np.nan
    if isinstance(value, float) and np.isnan(value):
        return np.nan
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | pd.Timestamp):
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, list | tuple | np.ndarray):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


# --- readers ------------------------------------------------------------------------------------


def read_csv_table(path: Path, table: str) -> RawTable:
    """Read one ``<table>.csv`` with every cell as text, whatever its encoding."""
    from casekit.bundle.workbooks import check_csv_size

    check_csv_size(path)
    text, note = decode_bytes(path.read_bytes(), path.name)
    try:
        frame = pd.read_csv(
            StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except pd.errors.ParserError as exc:
        raise CasekitError(
            f"{path.name}: is not a well-formed CSV file ({exc}). Check for a stray quote "
            "character or a row with more commas than the header."
        ) from None
    return RawTable(table, clean_frame(frame, 2), path.name, notes=[note] if note else [])


def read_csv_rows(path: Path) -> list[list[str]]:
    """Read a CSV file's rows as lists of text (rows may be ragged), whatever its encoding.

    Refuses a file over the CSV size limit (:class:`casekit.bundle.workbooks.Limits`) and explains a
    malformed one by its line, such as a field longer than Python's CSV field limit.
    """
    from casekit.bundle.workbooks import check_csv_size

    check_csv_size(path)
    text, _ = decode_bytes(path.read_bytes(), path.name)
    reader = csv.reader(StringIO(text))
    try:
        return [list(row) for row in reader]
    except csv.Error as exc:
        raise CasekitError(
            f"{path.name}, line {reader.line_num}: is not well-formed CSV ({exc}; a field holds "
            f"at most {csv.field_size_limit():,} characters). Check for a stray quote character "
            "that runs on past the end of its field."
        ) from None


def _known_table(name: str) -> str | None:
    key = normalise_header(name)
    for table in TABLES:
        if normalise_header(table) == key:
            return table
    return None


def _read_folder(
    folder: Path, suffix: str, read: Callable[[Path, str], RawTable]
) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read every ``<table><suffix>`` file in a folder; note files that are not tables."""
    raws: dict[str, RawTable] = {}
    notes: list[Problem] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != suffix:
            continue
        table = _known_table(path.stem)
        if table is None:
            notes.append(_ignored(path.name, None))
        else:
            raws[table] = read(path, table)
    return raws, notes


def _ignored(source: str, sheet: str | None) -> Problem:
    from casekit.errors import did_you_mean

    name = sheet or Path(source).stem
    hint = did_you_mean(name, TABLE_ORDER) or f"tables are: {', '.join(TABLE_ORDER)}"
    return Problem(
        source,
        None,
        None,
        None,
        "is not a contract table, so it was ignored",
        hint,
        sheet=sheet,
        severity="warning",
    )


def _read_xlsx(path: Path) -> tuple[dict[str, RawTable], list[Problem]]:
    from casekit.bundle.workbooks import read_workbook

    raws: dict[str, RawTable] = {}
    notes: list[Problem] = []
    for sheet in read_workbook(path, wanted=lambda title: _known_table(title) is not None):
        table = _known_table(sheet.title)
        if table is None or sheet.rows is None:
            notes.append(_ignored(path.name, sheet.title))
            continue
        if not sheet.rows:
            frame = pd.DataFrame()
        else:
            header, *rows = sheet.rows
            width = len(header)
            data = [[cell_to_str(v) for v in row[:width]] for row in rows]
            for cells in data:  # trailing empty cells are not read: pad to the header
                if len(cells) < width:
                    cells.extend([np.nan] * (width - len(cells)))
            names = [str(h).strip() if h is not None else "" for h in header]
            frame = pd.DataFrame(data, columns=names, dtype=object)
            frame = frame.loc[:, [n != "" for n in names]]
        raws[table] = RawTable(table, clean_frame(frame, 2), path.name, sheet=sheet.title)
    return raws, notes


def read_parquet_table(path: Path, table: str) -> RawTable:
    """Read one ``<table>.parquet`` with every cell as text."""
    import pyarrow.parquet as pq

    try:
        arrow = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise CasekitError(f"{path.name}: cannot be read as Parquet ({exc}).") from None
    return _arrow_raw(arrow, table, path.name)


def _arrow_raw(arrow: pa.Table, table: str, source: str) -> RawTable:
    """Turn an Arrow table (text or typed columns) into a RawTable of text cells."""
    import pyarrow.compute as pc

    columns = {}
    for name, column in zip(arrow.column_names, arrow.columns, strict=True):
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            text = column
        elif pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            text = pc.strftime(column, format="%Y-%m-%d")  # a date column, written by a tool
        elif pa.types.is_boolean(kind) or pa.types.is_integer(kind):
            text = pc.cast(column, pa.string())
        else:  # floats, lists and anything else: one cell at a time, as in a workbook
            cells = [cell_to_str(v) for v in column.to_pylist()]
            text = pa.array([c if isinstance(c, str) else None for c in cells], pa.string())
        columns[name] = pd.Series(text.to_pandas(), dtype="str")
    frame = pd.DataFrame(columns)
    return RawTable(table, clean_frame(frame, 1), source, row_word="record")


DATASET_LOAD_MAX_ROWS = 5_000_000
"""The most rows (all tables) a partitioned dataset may hold to be loaded into a Casebook;
a larger one is read by the engines, out of core (``CASEKIT_DATASET_LOAD_ROWS`` raises it)."""


def _read_dataset(folder: Path) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read a small partitioned dataset, every table's parts one after another, as raw tables.

    A dataset too large for memory is refused, with where to read it instead.
    """
    import pyarrow.parquet as pq

    from casekit.bundle.dataset import layout_problems, refuse_bombs
    from casekit.bundle.partitioned import check_marker, part_files

    limit = int(os.environ.get("CASEKIT_DATASET_LOAD_ROWS", DATASET_LOAD_MAX_ROWS))
    broken = layout_problems(folder)  # as the engines' check says it: part, column, fix
    if broken:
        raise BundleInvalid(str(folder), broken)
    refuse_bombs(folder)  # every column is read below: none may unpack without bound
    files = {t: part_files(folder, t) for t in TABLE_ORDER}
    counts = {t: [pq.read_metadata(p).num_rows for p in paths] for t, paths in files.items()}
    check_marker(folder, {t: (len(n), sum(n)) for t, n in counts.items()})
    rows = sum(sum(n) for n in counts.values())
    if rows > limit:
        raise CasekitError(
            f"{folder}: is a partitioned dataset of {rows:,} rows, more than the {limit:,} "
            "casekit loads into memory as a Casebook. Read it with an engine, out of core: "
            "casekit.engine.tables.from_parquet(engine, folder) with DuckDB (the default), or "
            "Spark (or set CASEKIT_DATASET_LOAD_ROWS to load it anyway, memory permitting)."
        )
    notes = [
        _ignored(f"{p.name}/", None)
        for p in sorted(folder.iterdir())
        if p.is_dir() and not p.name.startswith(".") and p.name not in TABLES
    ]
    raws: dict[str, RawTable] = {}
    for table, paths in files.items():
        if not paths:
            continue
        try:
            arrow = pa.concat_tables(
                [pq.read_table(p) for p in paths], promote_options="permissive"
            )
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise CasekitError(
                f"{folder.name}/{table}: cannot be read as Parquet ({exc})."
            ) from None
        raws[table] = _arrow_raw(arrow, table, f"{table}/part-*.parquet")
    return raws, notes


def bundle_form(path: Path) -> str:
    """Say which form a bundle path is: ``csv``, ``xlsx``, ``parquet``, ``dataset`` or ``store``.

    A ``dataset`` is a folder of typed Parquet parts, one subfolder per table
    (:mod:`casekit.bundle.partitioned`).
    """
    if path.is_dir():
        from casekit.bundle.partitioned import is_dataset

        if is_dataset(path):
            return "dataset"
        if path.name in TABLES and is_dataset(path.parent):  # events/ of a dataset
            parent = "the current folder (.)" if str(path.parent) == "." else str(path.parent)
            raise CasekitError(
                f"{path}: is one table's folder ({path.name}) of a dataset. Give the dataset's "
                f"folder, {parent}, which holds every table."
            )
        suffixes = {p.suffix.lower() for p in path.iterdir()}
        if ".csv" in suffixes:
            return "csv"
        if ".parquet" in suffixes:
            return "parquet"
        raise CasekitError(
            f"{path}: the folder holds no <table>.csv or <table>.parquet files. A bundle needs at "
            "least cases.csv and events.csv."
        )
    if not path.exists():
        if is_conninfo(str(path)):
            raise CasekitError(conninfo_refusal("the bundle", str(path)))
        raise CasekitError(f"{path}: no such file or folder. Check the path and try again.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".sqlite", ".sqlite3", ".db", ".casebook"):
        return "store"
    with path.open("rb") as fh:
        if fh.read(16).startswith(b"SQLite format 3"):
            return "store"
    raise CasekitError(
        f"{path}: not a bundle. Give a folder of CSV or Parquet files, an .xlsx workbook, or a "
        "casebook store (.sqlite)."
    )


def read_bundle(path: Path) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read a CSV folder, xlsx workbook, Parquet folder or small dataset into raw tables."""
    form = bundle_form(path)
    if form == "csv":
        return _read_folder(path, ".csv", read_csv_table)
    if form == "parquet":
        return _read_folder(path, ".parquet", read_parquet_table)
    if form == "dataset":
        return _read_dataset(path)
    if form == "xlsx":
        return _read_xlsx(path)
    raise CasekitError(f"{path}: is a casebook store; open it with casekit.open().")


# --- canonical strings and writers --------------------------------------------------------------


def _format_number(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e15 else repr(x)


def canonical(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Render a typed table as the bundle's canonical strings ("" for missing).

    Dates become ``YYYY-MM-DD``, booleans ``true``/``false``, lists ``;``-joined, and numbers
    their shortest form. Columns beyond the contract are kept, after the contract's.
    """
    spec = TABLES[table]
    out: dict[str, pd.Series] = {}
    for name in list(spec.column_names) + [c for c in frame.columns if c not in spec.column_names]:
        if name not in frame.columns:
            continue
        s = frame[name]
        kind = spec.column(name).kind if name in spec.column_names else "text"
        missing = s.isna() if kind not in ("ids", "vocabs") else s.map(lambda v: v is None)
        if kind == "date":
            text = pd.to_datetime(s).dt.strftime("%Y-%m-%d")
        elif kind == "bool":
            text = s.map(lambda v: "true" if v else "false", na_action="ignore")
        elif kind in ("ids", "vocabs"):
            text = s.map(lambda v: LIST_SEPARATOR.join(v) if v is not None else "")
        elif kind == "number":
            text = s.map(_format_number, na_action="ignore")
        elif kind == "int":
            text = s.map(lambda v: str(int(v)), na_action="ignore")
        else:
            text = s.astype(object).map(str, na_action="ignore")
        out[name] = text.astype(object).where(~missing, "")
    return pd.DataFrame(out, index=frame.index)


def write_file_atomically(out: Path, write: Callable[[Path], object] | bytes) -> Path:
    """Write one file privately and atomically (see :func:`casekit.outputs.write_private`)."""
    return write_private(out, write)


@contextlib.contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """Yield a private folder to fill beside ``out`` (0700); remove what is left of it after.

    It is ``bundle`` inside a noted scratch folder (:func:`casekit.outputs.scratch_beside`), so
    a run killed outright leaves a folder the next write to ``out`` removes.
    """
    scratch = scratch_beside(out)
    try:
        yield private_folder(scratch / "bundle")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _bundle_file(path: Path) -> bool:
    """Say whether a file in a folder without a manifest is a table an older casekit wrote."""
    return (
        path.is_file()
        and not path.is_symlink()
        and path.suffix in (".csv", ".parquet")
        and path.stem in TABLES
    )


def write_bundle(
    tables: dict[str, pd.DataFrame],
    out: Path,
    form: str = "csv",
    overwrite: bool = False,
    protected: dict[str, str | Path | None] | None = None,
) -> Path:
    """Write canonical string tables as a bundle, atomically and readable by its owner only.

    ``tables`` maps table names to frames from :func:`canonical`. A CSV or Parquet bundle is a
    folder with a manifest of what casekit wrote; an xlsx bundle is one workbook. An existing
    bundle at ``out`` is replaced only with ``overwrite``; a folder holding other files, the
    current or home folder, and ``protected`` paths (a key file, an input) are refused, with
    nothing touched (see :func:`casekit.outputs.claim_folder`).
    """
    out = Path(out)
    if form not in ("csv", "xlsx", "parquet"):
        raise CasekitError(f"unknown bundle form {form!r}: use csv, xlsx or parquet.")
    ordered = [t for t in TABLE_ORDER if t in tables]
    if form == "xlsx":
        check_file_target(
            out, "--out", overwrite, protected, looks_ours=is_workbook, suffixes=(".xlsx",)
        )

        from casekit.render.xlsx import Sheet, write_workbook

        def workbook(target: Path) -> None:
            write_workbook(
                target,
                [Sheet(t, tables[t], freeze=False, widths=False) for t in ordered],
                exact=True,
                source=out.name,
            )

        return write_private(out, workbook)
    suffix = f".{form}"
    names = [f"{t}{suffix}" for t in ordered]
    fresh = not out.exists()
    folder = claim_folder(
        out, overwrite=overwrite, legacy=_bundle_file, protected=protected, kind="bundle"
    )
    try:
        with _staging(out) as tmp:
            for t in ordered:
                if form == "csv":
                    tables[t].to_csv(tmp / f"{t}.csv", index=False, lineterminator="\n")
                else:
                    tables[t].astype(str).to_parquet(tmp / f"{t}.parquet", index=False)
            for name in names:
                seal(tmp / name)  # 0600 and on disk before it is moved into place
            if fresh and not any(out.iterdir()):  # a new folder: move the whole bundle in at once
                OutputFolder(tmp, "bundle").record(names)
                out.rmdir()
                os.replace(tmp, out)
                return out
            folder.record(names)  # listed first: a crash below leaves only files casekit owns
            folder.remove(folder.previous - set(names))  # tables the new bundle does not have
            for name in names:
                os.replace(tmp / name, out / name)
            tmp.rmdir()
    except BaseException as exc:
        if fresh and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # the folder claim_folder made for this bundle: leave nothing behind
        if isinstance(exc, OSError):
            raise disk_error(exc, out) from None
        raise
    return out


MAPPING_MAX_BYTES = 1_000_000
"""The largest mapping file read (a real one is a few kilobytes)."""
MAPPING_MAX_DEPTH = 20
"""How deeply a mapping file may nest (a real one nests three levels)."""


def read_mapping_file(
    path: str | Path, sections: tuple[str, ...], label: str, nested: tuple[str, ...] = ()
) -> dict:
    """Read a YAML mapping file whose top level holds only ``sections``; explain what is wrong.

    ``label`` names the file in messages (``--map mapping.yml``, say). Each section is a
    mapping of plain values; a section in ``nested`` is a mapping of such mappings. Refused,
    with the file and line: a file over 1 MB or not UTF-8, anchors and aliases (``&a``/``*a``,
    the "billion laughs"), nesting deeper than 20 levels, and a section of the wrong shape.
    """
    import yaml

    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAPPING_MAX_BYTES + 1)
    except FileNotFoundError:
        raise CasekitError(f"{label}: no such mapping file.") from None
    except OSError as exc:
        raise CasekitError(f"{label}: cannot be read ({exc.strerror}).") from None
    if len(data) > MAPPING_MAX_BYTES:
        raise CasekitError(
            f"{label}: is larger than {MAPPING_MAX_BYTES:,} bytes; a mapping file is a few "
            "lines of YAML. Check that --map names the mapping file, not a data file."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CasekitError(
            f"{label}, line {line}: is not UTF-8 text (byte {exc.start}); save the mapping "
            "file with UTF-8 encoding in your editor."
        ) from None
    try:
        _check_yaml_events(text, label)
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_sections(node, sections, nested, label)
            mapping = (loader.construct_document(node) if node is not None else None) or {}
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise CasekitError(f"{label}: is not valid YAML ({' '.join(str(exc).split())}).") from None
    return mapping


def _check_yaml_events(text: str, label: str) -> None:
    """Refuse anchors, aliases and deep nesting, scanning YAML events before building anything."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        assert event.start_mark is not None  # the parser marks every event
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise CasekitError(
                f"{label}, line {line}: uses a YAML anchor or alias (&name or *name); a mapping "
                "file does not need them, so they are refused. Write each value out in full."
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAPPING_MAX_DEPTH:
                raise CasekitError(
                    f"{label}, line {line}: nests more than {MAPPING_MAX_DEPTH} levels deep; a "
                    "mapping file has sections of 'header: target' lines, two levels at most."
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_sections(
    node: yaml.Node, sections: tuple[str, ...], nested: tuple[str, ...], label: str
) -> None:
    """Check a mapping file's shape: known sections, each a mapping of plain values."""
    import yaml

    def at(n: yaml.Node) -> str:
        return f"{label}, line {n.start_mark.line + 1}"

    def kind(n: yaml.Node) -> str:
        return "a list" if isinstance(n, yaml.SequenceNode) else "a mapping"

    names = [f"'{s}:'" for s in sections]
    listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    count = {1: "one section", 2: "two sections", 3: "three sections", 4: "four sections"}.get(
        len(names), f"{len(names)} sections"
    )
    shape = f"a mapping file has {count}, {listed}"
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return
    if not isinstance(node, yaml.MappingNode):
        what = "a single value" if isinstance(node, yaml.ScalarNode) else kind(node)
        raise CasekitError(f"{at(node)}: is {what}; {shape}.")
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.value not in sections:
            raise CasekitError(f"{at(key)}: {shape}.")
        section = key.value
        if isinstance(value, yaml.ScalarNode):
            if value.tag == "tag:yaml.org,2002:null":
                continue
            raise CasekitError(
                f"{at(value)}: '{section}:' holds a single value; it must hold 'name: value' "
                "lines, indented under it."
            )
        if not isinstance(value, yaml.MappingNode):
            raise CasekitError(
                f"{at(value)}: '{section}:' holds a list; it must hold 'name: value' lines "
                "(a mapping), not '- item' lines."
            )
        for inner_key, inner in value.value:
            if not isinstance(inner_key, yaml.ScalarNode):
                raise CasekitError(
                    f"{at(inner_key)}: '{section}:' has {kind(inner_key)} as a name; a name is "
                    "plain text."
                )
            if section in nested:
                if isinstance(inner, yaml.MappingNode) or (
                    isinstance(inner, yaml.ScalarNode) and inner.tag == "tag:yaml.org,2002:null"
                ):
                    for k, v in getattr(inner, "value", None) or []:
                        if not isinstance(k, yaml.ScalarNode) or not isinstance(v, yaml.ScalarNode):
                            raise CasekitError(
                                f"{at(v)}: under '{section}: {inner_key.value}:', each line is "
                                "'value: target', plain text on both sides."
                            )
                    continue
                raise CasekitError(
                    f"{at(inner)}: '{section}: {inner_key.value}:' must hold 'value: target' "
                    "lines (a mapping), indented under it."
                )
            if not isinstance(inner, yaml.ScalarNode):
                raise CasekitError(
                    f"{at(inner)}: '{section}: {inner_key.value}:' is {kind(inner)}; it must "
                    "be one plain value."
                )

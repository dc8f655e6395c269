"""A dataset larger than memory: typed Parquet parts, one folder per table, cut by case.

The layout, which the engines read (DuckDB, Spark and PostgreSQL loaders glob it)::

    <folder>/dataset.json                 what the dataset holds (written with the rest)
    <folder>/.casekit-manifest.json       what casekit wrote there
    <folder>/<table>/part-00000.parquet   one subfolder per contract table
    <folder>/<table>/part-00001.parquet   ...

Each file is typed by the contract (:func:`arrow_schema`): dates ``date32``, booleans
``bool``, whole numbers ``int64``, numbers ``float64``, lists (``evidence_ids``,
``decision_ids``, ``concern_flags``) ``list<string>``, everything else ``string``; an empty
cell is null. All of a case's records are in the same part number in every table, so a part
is a self-contained casebook. A :class:`DatasetWriter` writes the whole dataset into a private
scratch folder beside its target (``.NAME.xxxxxxxx.partial``, see
:func:`casekit.outputs.scratch_beside`) and renames it into place when every part is written:
a failed or interrupted run leaves no half-written dataset under the target's name. A run
killed outright cannot remove its scratch folder; the next write to the same target does,
once the note inside proves casekit wrote it and every process that wrote it has ended.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.compute as pc

from casekit.contract import LIST_SEPARATOR, TABLE_ORDER, TABLES, Column
from casekit.errors import CasekitError, load_json, printable
from casekit.outputs import (
    NOFOLLOW,
    OutputFolder,
    claim_folder,
    disk_error,
    note_scratch_process,
    private_folder,
    read_manifest,
    scratch_beside,
    seal,
)

__all__ = [
    "MARKER",
    "LAYOUT",
    "ROW_GROUP",
    "DatasetWriter",
    "arrow_type",
    "arrow_schema",
    "typed_part",
    "part_name",
    "hidden",
    "is_part",
    "part_files",
    "is_dataset",
    "read_marker",
    "check_marker",
]

MARKER = "dataset.json"
"""The file that describes a dataset casekit wrote (its layout, sizes and settings)."""
LAYOUT = "casekit-dataset/1"
"""The layout's name and version, recorded in :data:`MARKER`."""
MARKER_LIMIT = 1_048_576
"""The largest :data:`MARKER` read (1 MiB): casekit's are a few kilobytes."""
ROW_GROUP = 131_072
"""Rows per Parquet row group: small enough for DuckDB and Spark to read a file in parallel."""

_ARROW: dict[str, pa.DataType] = {
    "date": pa.date32(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "number": pa.float64(),
    "ids": pa.list_(pa.string()),
    "vocabs": pa.list_(pa.string()),
}


def arrow_type(column: Column) -> pa.DataType:
    """Give the Arrow type a contract column has in a dataset (``string`` unless typed).

    >>> str(arrow_type(TABLES["decisions"].column("evidence_ids")))
    'list<item: string>'
    >>> str(arrow_type(TABLES["events"].column("date")))
    'date32[day]'
    """
    return _ARROW.get(column.kind, pa.string())


def arrow_schema(table: str) -> pa.Schema:
    """Give a contract table's schema in a dataset: every contract column, in order, typed."""
    return pa.schema([(c.name, arrow_type(c)) for c in TABLES[table].columns])


def part_name(part: int) -> str:
    """Name the file of part ``part`` (``part-00003.parquet``); 0 to 99,999.

    >>> part_name(3)
    'part-00003.parquet'
    """
    if not 0 <= part <= 99_999:
        raise CasekitError(f"part {part}: a dataset has parts numbered 0 to 99,999.")
    return f"part-{part:05d}.parquet"


def _typed_column(column: Column, text: pa.Array) -> pa.Array:
    """Turn one column of canonical strings ("" for missing) into its dataset type."""
    blank = pc.equal(text, "")
    if pc.any(blank).as_py():
        text = pc.if_else(blank, pa.scalar(None, pa.string()), text)
    if column.kind in ("ids", "vocabs"):
        return pc.split_pattern(text, LIST_SEPARATOR)
    kind = arrow_type(column)
    return text if kind == pa.string() else pc.cast(text, kind)


def typed_part(table: str, rows: Sequence[Sequence[str]], columns: Sequence[str]) -> pa.Table:
    """Type rows of canonical strings (in ``columns`` order) as one part of ``table``.

    Contract columns the rows do not have are null; columns beyond the contract are refused.

    >>> part = typed_part("teams", [("T01", "North")], ["team_id", "team_name"])
    >>> part.schema.names, part.num_rows
    (['team_id', 'team_name'], 1)
    """
    spec = TABLES[table]
    unknown = [c for c in columns if c not in spec.column_names]
    if unknown:
        raise CasekitError(f"{table}: {', '.join(unknown)} is not a contract column.")
    where = {name: i for i, name in enumerate(columns)}
    arrays = []
    for column in spec.columns:
        i = where.get(column.name)
        if i is None:
            arrays.append(pa.nulls(len(rows), arrow_type(column)))
            continue
        text = pa.array([row[i] for row in rows], pa.string())
        arrays.append(_typed_column(column, text))
    return pa.Table.from_arrays(arrays, schema=arrow_schema(table))


def hidden(path: Path) -> bool:
    """Say whether a file is another tool's bookkeeping (``_SUCCESS``, ``.part.crc``)."""
    return path.name.startswith((".", "_"))


def is_part(path: Path) -> bool:
    """Say whether a table folder's entry is one of its parts: a Parquet file, not hidden.

    Links are no parts: a dataset's parts are its own files. Any name ending ``.parquet``
    is one, so datasets other tools write (``part-00000-….snappy.parquet``) read too.
    """
    return (
        not hidden(path)
        and not path.is_symlink()
        and path.is_file()
        and path.suffix.lower() == ".parquet"
    )


def part_files(folder: Path, table: str) -> list[Path]:
    """List a dataset table's parts in order (none if the table has no folder).

    Exactly the files the dataset's check reads and the engines then read (never a glob's
    more), and the files a Casebook is loaded from.
    """
    sub = Path(folder) / table
    if not sub.is_dir() or sub.is_symlink():
        return []
    return [path for path in sorted(sub.iterdir()) if is_part(path)]


def is_dataset(folder: Path) -> bool:
    """Say whether a folder has the dataset layout: a ``cases`` folder of ``part-*.parquet``."""
    folder = Path(folder)
    return folder.is_dir() and ((folder / MARKER).is_file() or bool(part_files(folder, "cases")))


def read_marker(folder: Path) -> dict[str, object]:
    """Read what a dataset casekit wrote says about itself ({} when it has no marker)."""
    path = Path(folder) / MARKER
    if path.is_symlink() or not path.is_file():
        return {}
    try:
        data = load_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("layout") == LAYOUT else {}


def check_marker(folder: Path, found: Mapping[str, tuple[int, int]]) -> dict[str, object]:
    """Check a dataset's :data:`MARKER` against what its folder holds; return what it says.

    ``found`` gives each table's parts and rows as they are on disk (a table with none may be
    left out). A dataset another tool wrote has no marker (``{}`` is returned), but one whose
    manifest says casekit wrote it must have it. The marker must be a regular file of at most
    :data:`MARKER_LIMIT` bytes (never read through a symlink), a JSON object naming
    :data:`LAYOUT`, listing every contract table (and no other) with whole numbers of parts
    and rows, and those must be what the folder holds. Anything else raises one
    :class:`CasekitError` naming the file, what is wrong and how to fix it. Nothing in the
    marker is used as a path: table names are checked against the contract, other settings
    are only kept.
    """
    folder = Path(folder)
    path = folder / MARKER
    again = (
        "Write the dataset again (casekit synth --form dataset --overwrite, or the tool that "
        "made it), or copy it whole from where it was written."
    )

    def refuse(what: str, fix: str = again) -> CasekitError:
        return CasekitError(f"{path}: {what}. {fix}")

    if not path.exists() and not path.is_symlink():
        listed = read_manifest(folder, "dataset")
        if listed is not None and MARKER in listed:
            raise refuse(
                "is missing, though casekit wrote this dataset (its manifest lists it), so "
                "what the dataset should hold cannot be checked"
            )
        return {}
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if path.is_symlink():
            raise refuse(
                "is a symbolic link; casekit reads a dataset's description only from a file "
                "in its folder, never through a link"
            ) from None
        raise refuse(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise refuse("is not a file (a dataset's description is a JSON file)")
        if info.st_size > MARKER_LIMIT:
            raise refuse(
                f"is {info.st_size:,} bytes, more than the {MARKER_LIMIT:,} a dataset's "
                "description may be, so it is not one casekit wrote; it was not read"
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(MARKER_LIMIT + 1)
    finally:
        os.close(fd)
    try:
        body = load_json(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        where = f" ({exc.msg}, line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise refuse(f"is not valid JSON{where}") from None
    if not isinstance(body, dict):
        raise refuse("is not a JSON object, as a dataset's description is")
    layout = body.get("layout")
    if not isinstance(layout, str):
        raise refuse(f'does not name its layout ("layout": "{LAYOUT}")')
    if layout != LAYOUT:
        if layout.startswith(LAYOUT.split("/")[0] + "/"):
            raise refuse(
                f"is layout {_shown(layout)}, written by a newer casekit; this one reads {LAYOUT}",
                "Upgrade casekit, or write the dataset again with this one.",
            )
        raise refuse(f"is not the description of a casekit dataset (layout {_shown(layout)})")
    _check_listing(body.get("tables"), found, refuse)
    return body


def _shown(value: object) -> str:
    """Show a value from a file in a message: quoted, escaped, cut short."""
    text = repr(value)
    return text if len(text) <= 42 else text[:40] + "..."


def _check_listing(
    tables: object,
    found: Mapping[str, tuple[int, int]],
    refuse: Callable[[str], CasekitError],
) -> None:
    """Check a marker's ``tables``: every contract table, whole numbers, as on disk."""
    if not isinstance(tables, dict):
        raise refuse('does not list the tables ("tables": each table\'s parts and rows)')
    unknown = [name for name in tables if name not in TABLES]
    if unknown:
        raise refuse(f"lists {_shown(unknown[0])}, which is not a contract table")
    differ = []
    for table in TABLE_ORDER:
        if table not in tables:
            raise refuse(f"does not list {table}")
        entry = tables[table]
        numbers = [entry.get(k) if isinstance(entry, dict) else None for k in ("parts", "rows")]
        if not all(type(n) is int and n >= 0 for n in numbers):
            raise refuse(f"gives {table} no whole number of parts and rows")
        parts, rows = found.get(table, (0, 0))
        if (parts, rows) != tuple(numbers):
            held = f"{parts:,} parts and {rows:,} rows" if parts else "no parts"
            differ.append(
                f"{table} has {numbers[0]:,} parts and {numbers[1]:,} rows, but {table}/ "
                f"holds {held}"
            )
    if differ:
        more = f" (and {len(differ) - 3} more)" if len(differ) > 3 else ""
        raise refuse(
            "says " + "; ".join(differ[:3]) + more + ": the dataset is incomplete or was "
            "changed after it was written"
        )


class DatasetWriter:
    """Write a dataset: check the target, fill a private staging folder, then rename it in.

    Use it as a context manager and call :meth:`finish` at the end of the block; leaving the
    block any other way (an error, Ctrl-C, no :meth:`finish`) removes the staging folder, so
    the target is as it was (a new target does not appear until it is complete). The target
    may be new, empty, or a dataset casekit wrote (replaced only with ``overwrite``); anything
    else is refused before anything is written (see :func:`casekit.outputs.claim_folder`).
    """

    def __init__(
        self,
        out: str | Path,
        overwrite: bool = False,
        protected: dict[str, str | Path | None] | None = None,
        label: str = "--out",
    ):
        self.out = Path(out)
        if self.out.is_symlink():  # it would be replaced (a dataset) or fail (an empty folder)
            raise CasekitError(
                f"{label} {printable(self.out)}: is a link; casekit writes a dataset into a "
                "folder of its own, never through a link. Give the folder's own path, or a new "
                "one; nothing was touched."
            )
        self._fresh = not self.out.exists()
        claim_folder(self.out, label, overwrite=overwrite, protected=protected, kind="dataset")
        if self._fresh:
            self.out.rmdir()  # made by the claim: the dataset's name appears only when complete
        self.scratch = scratch_beside(self.out)  # 0700, a random name: nothing can be planted
        self.staging = self.scratch / "dataset"
        """The folder the parts are written into; it becomes the dataset when finished."""
        self._done = False
        try:
            for table in TABLE_ORDER:
                private_folder(self.staging / table)
        except BaseException:
            self.abort()
            raise

    def __enter__(self) -> DatasetWriter:
        """Return the writer; the block writes parts into :attr:`staging`."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Remove the staging folder unless :meth:`finish` moved it into place."""
        if not self._done:
            self.abort()
        if isinstance(exc, OSError):
            raise disk_error(exc, self.out) from None

    def note_process(self, pid: int) -> None:
        """Record a process that writes parts (a worker), so a killed run's folder is known."""
        note_scratch_process(self.scratch, pid)

    def part_path(self, table: str, part: int) -> Path:
        """Give the staging path of one part of one table."""
        if table not in TABLES:
            raise CasekitError(f"{table!r} is not a contract table.")
        return self.staging / table / part_name(part)

    def abort(self) -> None:
        """Remove everything this writer made; the target is left as it was."""
        shutil.rmtree(self.scratch, ignore_errors=True)
        self._done = True

    def finish(self, about: Mapping[str, object]) -> Path:
        """Seal every part, write the marker and manifest, and move the dataset into place.

        ``about`` (the settings that made it, such as the seed) goes into :data:`MARKER`
        beside the layout's name and each table's parts and rows.
        """
        import pyarrow.parquet as pq

        tables: dict[str, dict[str, int]] = {}
        for table in TABLE_ORDER:
            files = part_files(self.staging, table)
            rows = 0
            for path in files:
                seal(path)  # 0600 and on disk before the rename makes it visible
                rows += pq.read_metadata(path).num_rows
            tables[table] = {"parts": len(files), "rows": rows}
        body = {"layout": LAYOUT, "written_by": "casekit", **about, "tables": tables}
        marker = self.staging / MARKER
        marker.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        seal(marker)
        OutputFolder(self.staging, "dataset").record([*TABLE_ORDER, MARKER])
        out = self.out
        if out.exists() and not any(out.iterdir()):
            out.rmdir()
        if out.exists():  # a dataset casekit wrote before: set it aside, then swap
            os.replace(out, self.scratch / "old")
        os.replace(self.staging, out)
        self._done = True
        shutil.rmtree(self.scratch, ignore_errors=True)  # the note, and any earlier dataset
        return out

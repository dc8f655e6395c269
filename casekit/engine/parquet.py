"""A bundle of Parquet files as the engines' tables, read lazily where the engine can.

Two layouts are read: a bundle folder of ``<table>.parquet`` (every cell text, as ``casekit
synth --format parquet`` and bundle writes have made them), and the partitioned dataset
``<folder>/<table>/part-NNNNN.parquet`` with typed columns (dates ``date32``, booleans,
``int64``, ``evidence_ids`` a list of text) for data larger than memory. DuckDB and Spark scan
the files as an expression runs, so only what a flag needs is ever in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from casekit.bundle.partitioned import part_files
from casekit.contract import TABLES
from casekit.engine.casts import from_text, from_typed
from casekit.engine.tables import ANALYSED, Tables, arrow_schema
from casekit.errors import CasekitError, one_line, printable

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from casekit.engine.backends import Engine

__all__ = ["LAYOUTS", "from_parquet", "layout"]

LAYOUTS = ("files", "dataset")
"""``files``: ``<table>.parquet`` of text cells; ``dataset``: ``<table>/part-*.parquet`` typed."""


def layout(folder: Path) -> str:
    """Say which Parquet layout ``folder`` holds: ``files`` or ``dataset`` (or refuse)."""
    if not folder.is_dir():
        raise CasekitError(f"{printable(folder)}: no such folder of Parquet files. Check the path.")
    if part_files(folder, "cases"):
        return "dataset"
    if (folder / "cases.parquet").is_file():
        return "files"
    raise CasekitError(
        f"{printable(folder)}: holds neither cases.parquet nor cases/part-*.parquet. A Parquet "
        "bundle is a folder of <table>.parquet files, or of <table>/ folders of "
        "part-NNNNN.parquet files."
    )


def _empty(name: str, text: bool) -> ir.Table:
    """Give an empty table of a contract table's columns, for a table the bundle leaves out."""
    import ibis

    if text:
        schema = pa.schema([(c.name, pa.string()) for c in TABLES[name].columns])
    else:
        schema = arrow_schema(name)
        if "evidence_ids" in TABLES[name].column_names:
            schema = schema.append(pa.field("evidence_ids", pa.list_(pa.string())))
    return ibis.memtable(schema.empty_table())


def _read(engine: Engine, path: Path, parts: Sequence[Path] | None = None) -> ir.Table:
    """Read one table's files as a lazy engine table, or refuse with the file named.

    A dataset's table is read as the list of its ``parts`` (the files its check read): never
    the folder or a glob, which would take in files the check ignored (Spark, given a folder,
    reads every file in it but hidden ones, whatever its name).
    """
    try:
        if parts is None:
            return engine.backend.read_parquet(str(path))
        files = [str(part) for part in parts]
        if engine.name == "spark":
            session = engine.backend._session
            name = f"casekit_parquet_{uuid.uuid4().hex}"
            session.read.parquet(*files).createOrReplaceTempView(name)
            return engine.backend.table(name)
        return engine.backend.read_parquet(files)
    except Exception as exc:  # each engine raises its own kinds for a damaged file
        raise CasekitError(
            f"{printable(path)}: cannot be read as Parquet ({one_line(exc)})."
        ) from None


def from_parquet(
    engine: Engine, folder: str | Path, parts: Mapping[str, Sequence[Path]] | None = None
) -> Tables:
    """Give a Parquet bundle (either layout) as the engines' tables, scanned lazily.

    A table the bundle leaves out (a bundle may have no ``info_sharing``) is empty.
    PostgreSQL reads no files: run a bundle's flags on DuckDB or Spark. A dataset's tables
    are read from ``parts`` (each table's parts as its check found them,
    :attr:`casekit.bundle.dataset.DatasetCheck.parts`), else from the parts in its folders now.
    """
    if engine.name == "postgres":
        raise CasekitError(
            "engine=postgres runs in a team's store and reads no files: read a Parquet "
            "bundle with engine=duckdb (default) or engine=spark."
        )
    where = Path(folder)
    form = layout(where)
    raw: dict[str, ir.Table] = {}
    for name in ANALYSED:
        if form == "dataset":
            path = where / name
            found = part_files(where, name) if parts is None else list(parts.get(name, ()))
            present = bool(found)
        else:
            path, found = where / f"{name}.parquet", []
            present = path.is_file()
        if not present and name == "cases":
            raise CasekitError(f"{printable(where)}: the bundle has no cases table.")
        if not present:
            raw[name] = _empty(name, form == "files")
        else:
            raw[name] = _read(engine, path, found if form == "dataset" else None)
    return from_text(raw) if form == "files" else from_typed(raw)

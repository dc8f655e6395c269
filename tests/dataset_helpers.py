"""Write small partitioned, typed Parquet datasets (``<table>/part-NNNNN.parquet``) for tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from casekit.bundle.partitioned import arrow_type
from casekit.contract import LIST_SEPARATOR, TABLES


def _cell(kind: pa.DataType, text: str) -> object:
    """Turn one bundle cell (text, as a person may write it) into the value a part holds."""
    if text.strip() == "":
        return None
    if pa.types.is_date32(kind):
        return dt.date.fromisoformat(text)
    if pa.types.is_boolean(kind):
        return text.strip().lower() in ("true", "yes", "1", "y", "t")
    if pa.types.is_integer(kind):
        return int(text)
    if pa.types.is_floating(kind):
        return float(text)
    if pa.types.is_list(kind):
        return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    return text


def typed_part(table: str, rows: list[dict[str, str]]) -> pa.Table:
    """Type a table's rows of text as the contract says (extra columns stay text).

    Unlike ``casekit.bundle.partitioned.typed_part`` (canonical strings only), this reads
    cells as a person writes them (``Y``, ``no``, `` E1 ; E2``), as the tiny bundle has them.
    """
    spec = TABLES[table]
    columns: dict[str, pa.Array] = {}
    for name in rows[0] if rows else spec.column_names:
        kind = arrow_type(spec.column(name)) if name in spec.column_names else pa.string()
        columns[name] = pa.array([_cell(kind, r.get(name, "")) for r in rows], kind)
    return pa.table(columns)


def write_dataset(folder: Path, tables: dict[str, list[dict[str, str]]], parts: int = 1) -> Path:
    """Write tables of row dicts as a dataset, each table cut into ``parts`` contiguous parts."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        (folder / table).mkdir(exist_ok=True)
        size = max(1, -(-len(rows) // parts))
        for n in range(parts):
            chunk = rows[n * size : (n + 1) * size]
            if chunk or n == 0:
                pq.write_table(
                    typed_part(table, chunk or rows[:0]), folder / table / f"part-{n:05d}.parquet"
                )
    return folder

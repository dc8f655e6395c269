"""Time a bulk import into a SQLite store and a PostgreSQL store in the same run, and reading back.

The work of ``casekit import BUNDLE --into STORE`` after the bundle is loaded: checking ids and
references against the store, then writing every record and its first history version in one
transaction (COPY on PostgreSQL), on synthetic bundles of 10k and 50k cases (generated once
into benchmarks/.work/, loaded before the clock starts). Then ``store.casebook()``, the read
behind ``casekit export``. PostgreSQL is a throwaway local cluster (tests/pg_helpers.py), or
the server ``CASEKIT_TEST_PG_URL`` names. At 10k cases it also times PostgreSQL with SQLAlchemy's
multi-row INSERT in place of COPY, to show what COPY buys.

    python benchmarks/bench_store_import.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _results import parquet_bundle, write_section

import casekit
from casekit.store.db import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from pg_helpers import Cluster  # noqa: E402  (the tests' throwaway cluster)

SIZES = (10_000, 50_000)


def _insert_rows_plain(self: Store, conn: Any, table: Any, rows: list[Any]) -> None:
    """Write rows with SQLAlchemy's bulk INSERT, as before COPY (for comparison only)."""
    conn.execute(table.insert(), rows)


def measure(casebook: casekit.Casebook, url: str, copy: bool = True) -> dict[str, float]:
    """Import ``casebook`` into a new store at ``url``, then read it back; time both."""
    original = Store._insert_rows
    if not copy:
        Store._insert_rows = _insert_rows_plain  # type: ignore[method-assign]
    try:
        with casekit.open(url, user="bench") as store:
            began = time.perf_counter()
            counts = store.import_casebook(casebook)
            imported = time.perf_counter() - began
            began = time.perf_counter()
            store.casebook()
            read = time.perf_counter() - began
    finally:
        Store._insert_rows = original  # type: ignore[method-assign]
    return {"records": sum(counts.values()), "import": imported, "read": read}


def main_() -> None:
    """Measure each size on both stores, print the table and write RESULTS.md."""
    cluster = Cluster(durable=True)
    rows = []
    try:
        for cases in SIZES:
            casebook = casekit.load(parquet_bundle(cases))
            with tempfile.TemporaryDirectory(prefix="casekit-bench-") as tmp:
                runs = [("SQLite", measure(casebook, str(Path(tmp) / "store.sqlite")))]
            url = cluster.new_database()
            runs.append(("PostgreSQL (COPY)", measure(casebook, url)))
            cluster.drop_database(url)
            if cases == SIZES[0]:
                url = cluster.new_database()
                runs.append(("PostgreSQL (multi-row INSERT)", measure(casebook, url, copy=False)))
                cluster.drop_database(url)
            for name, r in runs:
                rows.append((cases, name, r))
                print(cases, name, r, flush=True)
            del casebook
    finally:
        cluster.stop()
    lines = [
        "| cases | store | records | import | records/s | read back (export) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for cases, name, r in rows:
        lines.append(
            f"| {cases:,} | {name} | {r['records']:,.0f} | {r['import']:.1f} s | "
            f"{r['records'] / r['import']:,.0f} | {r['read']:.1f} s |"
        )
    body = "\n".join(lines) + (
        "\n\nOne transaction each, validation included (ids and references checked against the "
        "store first). PostgreSQL is a local cluster on the same machine with fsync on, "
        "SQLite is `synchronous=FULL` with WAL: compare the stores within one "
        "run, not across machines. Checking and preparing the records in Python, the same for "
        "both stores, is a large share of the import. Load average at the end: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores."
    )
    print(body)
    write_section("store-import", "Bulk import into SQLite and PostgreSQL", body)


if __name__ == "__main__":
    main_()

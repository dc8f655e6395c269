"""Time the store's Alembic chain: opening a store, making one, and upgrading an old one.

On SQLite (WAL, ``synchronous=FULL``) and a throwaway local PostgreSQL cluster with fsync on
(tests/pg_helpers.py, or the server ``CASEKIT_TEST_PG_URL`` names), in the same run:

- opening a store already at the head (what every ``casekit.open`` for writing pays to check
  its revision): the median of 20;
- making a new store (the whole chain run in one transaction): the median of 5;
- the first opening in a fresh Python process (``import casekit`` and Alembic included):
  the median of 3, SQLite only;
- ``casekit store upgrade`` of a store from before Alembic (store schema 1) holding a
  synthetic bundle of 2,000 cases: made by importing it into a new store, then taking it back
  to schema 1 (the schema 2 and 3 columns and the access log dropped, ``alembic_version``
  dropped, ``_meta`` set to 1). One run each.

    python benchmarks/bench_migrations.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from _results import parquet_bundle, write_section

import casekit
from casekit.store.upgrade import upgrade_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from pg_helpers import Cluster  # noqa: E402  (the tests' throwaway cluster)

CASES = 2_000
NEWER_COLUMNS = {
    "events": ["seen_alone"],
    "info_sharing": ["override_reason"],
    "supervisions": ["management", "support", "development", "mediation", "child_voice",
                     "last_seen_alone", "agreed_actions", "decision_stakeholders"],
}  # fmt: skip


def median_ms(run: Callable[[], object], times: int) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def plain_engine(where: str) -> sa.Engine:
    if "://" not in where:
        return sa.create_engine(f"sqlite:///{where}")
    return sa.create_engine(sa.engine.make_url(where).set(drivername="postgresql+psycopg"))


def back_to_schema_1(where: str) -> None:
    """Make the store at ``where`` what a store of schema 1 was (before Alembic)."""
    engine = plain_engine(where)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE alembic_version")
            conn.exec_driver_sql("DROP TABLE _access_log")
            for table, columns in NEWER_COLUMNS.items():
                for column in columns:
                    conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
            conn.exec_driver_sql("UPDATE _meta SET value = '1' WHERE key = 'schema'")
    finally:
        engine.dispose()


def measure(new_place: Callable[[], str], casebook: casekit.Casebook) -> dict[str, float]:
    """Time opening, making and upgrading stores at places ``new_place`` gives."""
    where = new_place()
    casekit.open(where).close()
    opened = median_ms(lambda: casekit.open(where).close(), 20)
    made = median_ms(lambda: casekit.open(new_place()).close(), 5)
    where = new_place()
    with casekit.open(where, user="bench") as store:
        records = sum(store.import_casebook(casebook).values())
    back_to_schema_1(where)
    began = time.perf_counter()
    done = upgrade_store(where)
    upgraded = (time.perf_counter() - began) * 1000
    assert done.before.legacy == "1" and done.after == done.before.head, done
    with casekit.open(where) as store:
        assert sum(store.counts().values()) == records
    return {"open": opened, "new": made, "upgrade": upgraded, "records": records}


def first_open_in_a_fresh_process(folder: Path) -> float:
    """Median of 3: a new Python process that imports casekit and makes a new store."""
    code = (
        "import sys, time; t = time.perf_counter(); import casekit; "
        "casekit.open(sys.argv[1]).close(); print((time.perf_counter() - t) * 1000)"
    )
    samples = []
    for i in range(3):
        done = subprocess.run(
            [sys.executable, "-c", code, str(folder / f"fresh{i}.sqlite")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        samples.append(float(done.stdout.strip()))
    return statistics.median(samples)


def main() -> None:
    """Measure, print and record."""
    casebook = casekit.load(parquet_bundle(CASES))
    cluster = Cluster(durable=True)
    made: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="casekit-bench-") as tmp:
            counter = iter(range(1_000_000))
            sqlite = measure(lambda: str(Path(tmp) / f"s{next(counter)}.sqlite"), casebook)
            fresh = first_open_in_a_fresh_process(Path(tmp))

        def new_database() -> str:
            made.append(cluster.new_database())
            return made[-1]

        postgres = measure(new_database, casebook)
    finally:
        for url in made:
            cluster.drop_database(url)
        cluster.stop()
    rows = [("SQLite", sqlite), ("PostgreSQL", postgres)]
    for name, r in rows:
        print(name, r, flush=True)
    lines = [
        "| store | open a store at the head (median of 20) | make a new store (median of 5) "
        f"| upgrade schema 1 to the head, {CASES:,} cases |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {r['open']:.1f} ms | {r['new']:.0f} ms | {r['upgrade']:.0f} ms "
        f"({r['records']:,.0f} records kept) |"
        for name, r in rows
    ]
    body = "\n".join(lines) + (
        "\n\nFirst opening in a fresh Python process (import casekit, Alembic and SQLAlchemy, "
        f"then make a new SQLite store), median of 3: {fresh:.0f} ms. Opening a store checks "
        "its revision in the write transaction it opens anyway; Alembic's own machinery (its "
        "environment and the revision files) runs only when a store is made or upgraded. An "
        "upgrade adds columns (an ALTER that does not rewrite the rows on either database) and "
        "a table, so it takes about as long for a big store as for a small one. Load average "
        f"at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores."
    )
    print(body)
    write_section("migrations", "The store's schema: opening, making and upgrading", body)


if __name__ == "__main__":
    main()

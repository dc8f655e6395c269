"""Time a team caseload review of 10k cases read from PostgreSQL against the same from Parquet.

Two measures, each on the same 10,000-case synthetic bundle (generated once into
benchmarks/.work/), held as a Parquet bundle, a SQLite store and a PostgreSQL store (imported
before the clock starts; PostgreSQL is a throwaway local cluster, tests/pg_helpers.py):

- **Read and review**: reading the casebook (``casekit.load``) and building every team's
  review (``casekit.review.sections.build``), three runs per source, interleaved so that all
  sources see the same machine load; medians.
- **As an analyst runs it**: ``casekit review --data SOURCE --team all --jobs 2`` (papermill
  kernels, every page, table and workbook written, the index), once per source. From a store
  it first writes one access-log entry per team.

    python benchmarks/bench_store_review.py [--cases 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from _results import parquet_bundle, write_section

import casekit
from casekit.cli import main as cli
from casekit.review import sections as review

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from pg_helpers import Cluster  # noqa: E402  (the tests' throwaway cluster)


def read_and_review(where: str) -> tuple[float, float]:
    """Read the casebook at ``where`` and build every team's review; time both."""
    began = time.perf_counter()
    cb = casekit.load(where)
    read = time.perf_counter() - began
    began = time.perf_counter()
    for team in cb.teams["team_id"]:
        review.build(cb, review.scope_for(cb, team))
    return read, time.perf_counter() - began


def batch(where: str, out: Path) -> float:
    """Run ``casekit review`` for every team, two kernels, as an analyst would."""
    began = time.perf_counter()
    code = cli(["review", "--data", where, "--out", str(out), "--jobs", "2", "--user", "bench"])
    took = time.perf_counter() - began
    assert code == 0, f"casekit review --data {where} failed"
    return took


def main() -> None:
    """Measure, print, and write the store-review section of RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases in the bundle")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the read and review")
    args = parser.parse_args()
    bundle = parquet_bundle(args.cases)
    casebook = casekit.load(bundle)
    cluster = Cluster(durable=True)
    try:
        with tempfile.TemporaryDirectory(prefix="casekit-bench-") as tmp:
            sqlite = str(Path(tmp) / "store.sqlite")
            url = sa.make_url(cluster.new_database())
            os.environ["PGPASSWORD"] = url.password or ""  # a review's URL holds no password
            server = url._replace(password=None).render_as_string(hide_password=False)
            for where in (sqlite, server):
                with casekit.open(where, user="bench") as store:
                    store.import_casebook(casebook)
            del casebook
            sources = {"Parquet bundle": str(bundle), "SQLite store": sqlite, "PostgreSQL": server}
            reads: dict[str, list[tuple[float, float]]] = {name: [] for name in sources}
            for _ in range(args.repeat):
                for name, where in sources.items():
                    reads[name].append(read_and_review(where))
                    print(name, reads[name][-1], flush=True)
            batches = {
                name: batch(where, Path(tmp) / f"reviews-{i}")
                for i, (name, where) in enumerate(sources.items())
            }
            print(batches, flush=True)
            teams = len(casekit.load(bundle).teams)
    finally:
        cluster.stop()
    base = statistics.median(r + b for r, b in reads["Parquet bundle"])
    base_batch = batches["Parquet bundle"]
    lines = [
        "| source | read | review functions | read + review | ratio "
        "| `casekit review --jobs 2` | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in sources:
        read = statistics.median(r for r, _ in reads[name])
        built = statistics.median(b for _, b in reads[name])
        both = statistics.median(r + b for r, b in reads[name])
        lines.append(
            f"| {name} | {read:.1f} s | {built:.1f} s | {both:.1f} s | {both / base:.2f}x | "
            f"{batches[name]:.1f} s | {batches[name] / base_batch:.2f}x |"
        )
    body = "\n".join(lines) + (
        f"\n\n{args.cases:,} synthetic cases, {teams} teams. Read + review: medians of "
        f"{args.repeat} interleaved runs of `casekit.load` then every team's review functions. "
        "`casekit review`: one run per source, all teams on two kernels, pages, tables and "
        "workbooks written; from a store it first writes the access log. A batch reads its "
        "source three times (the command checks the parameters against it, then each kernel "
        "loads it once), so a store's slower read counts three times there. "
        "PostgreSQL is a local cluster on the same machine (fsync on), read "
        "through psycopg 3; ratios are to the Parquet bundle in the same run. Load average at "
        f"the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores."
    )
    print(body)
    write_section("store-review", "A review read from PostgreSQL against Parquet", body)


if __name__ == "__main__":
    main()

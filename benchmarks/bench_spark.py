"""Time the twelve flags on Spark local mode at 20k and 200k cases, against DuckDB's rows.

Each run is a fresh process over the seed-0 datasets of ``casekit synth --form dataset`` (see
bench_study.py), as known at 2025-03-31 with the default thresholds. Spark runs as casekit
runs it (:func:`casekit.engine.spark.run_materialised`: each part of the query that several
others read is computed once and kept); ``--plain`` also runs Spark on the one whole query as
Ibis compiles it (at 20k only: at 200k it did not finish in 30 minutes), and ``--plan`` times
Spark's planning of that whole query without running it. CPU counts this process and its
children (Spark's JVM is one, running until the session stops); the peak memory is the larger
of this process's and the JVM's resident peaks. DuckDB (4 GB limit) gives the rows to compare:
the flag rows must be equal, row for row.

    python benchmarks/bench_spark.py --root /work/scale [--sizes 20000 200000] [--plain] [--plan]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from _results import LIVE_CHILDREN, run_step, write_section

NAMES = {20_000: "d20k", 200_000: "d200k"}

STEP = (
    r"""
import datetime as dt, hashlib, json, os, resource, sys, time
from pathlib import Path
step, folder = sys.argv[1], Path(sys.argv[2])
from casekit.analysis.proportionality import THRESHOLDS
from casekit.analysis.relational.flags import flag_table, run_flags
from casekit.engine import connect
from casekit.engine.parquet import from_parquet
AS_OF = dt.date(2025, 3, 31)

"""
    + LIVE_CHILDREN
    + r"""
t0, c0 = time.perf_counter(), time.process_time()
out = {}
engine_name = "duckdb" if step == "duckdb" else "spark"
kwargs = {"memory_limit": "4GB"} if engine_name == "duckdb" else {}
with connect(engine_name, **kwargs) as engine:
    tables = from_parquet(engine, folder)
    if step == "plan":
        expr = flag_table(tables, AS_OF, dict(THRESHOLDS))
        session = engine.backend._session
        t = time.perf_counter()
        sql = engine.backend.compile(expr)
        out["compile"] = time.perf_counter() - t
        out["sql_kb"] = len(sql) / 1000
        t = time.perf_counter()
        qe = session.sql(sql)._jdf.queryExecution()
        out["analyse"] = time.perf_counter() - t
        t = time.perf_counter()
        out["plan_nodes"] = qe.optimizedPlan().treeString().count("\n")
        out["optimise"] = time.perf_counter() - t
        t = time.perf_counter()
        physical = qe.executedPlan().treeString()
        out["physical"] = time.perf_counter() - t
        out["scans"] = physical.count("FileScan")
        out["exchanges"] = physical.count("Exchange")
    else:
        if step == "plain":
            engine.runner = None  # the one whole query, as Ibis compiles it
        table = run_flags(engine, tables, AS_OF, dict(THRESHOLDS))
        out["n_flags"] = len(table)
        text = table.astype(str).to_csv(index=False).encode()
        out["digest"] = hashlib.sha256(text).hexdigest()[:16]
    out["seconds"] = time.perf_counter() - t0
    jvm = children()
out["cpu"] = time.process_time() - c0 + sum(c for c, _ in jvm)
peaks = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss] + [h[0] for _, h in jvm if h]
out["peak_mib"] = max(peaks) / 1024
print(json.dumps(out))
"""
)


def step(name: str, path: Path, timeout: int) -> dict:
    """Run one step in a fresh process; return its figures (or the failure)."""
    return run_step(STEP, [name, str(path)], timeout)


def _row(label: str, r: dict, duck: dict) -> str:
    """One table row: wall (CPU), peak, flag rows and whether they equal DuckDB's."""
    if "failed" in r:
        return f"| {label} | failed: {r['failed']} | | | |"
    same = "yes" if r["digest"] == duck.get("digest") else "**no**"
    return (
        f"| {label} | {r['seconds']:.1f} ({r['cpu']:.1f}) | {r['peak_mib']:,.0f} | "
        f"{r['n_flags']:,} | {same} |"
    )


def main() -> None:
    """Measure Spark local mode (and DuckDB for the rows) at each size; write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("benchmarks/.work/scale"))
    parser.add_argument("--sizes", type=int, nargs="+", default=list(NAMES))
    parser.add_argument("--plain", action="store_true", help="also the whole query (20k only)")
    parser.add_argument("--plan", action="store_true", help="time Spark planning the query")
    parser.add_argument("--timeout", type=int, default=3600)
    args = parser.parse_args()
    rows = [
        "| cases, engine | flags s (CPU s) | peak MiB | flag rows | rows equal DuckDB's |",
        "|---|---:|---:|---:|:---:|",
    ]
    notes = []
    for n in args.sizes:
        path = args.root / NAMES.get(n, f"d{n}")
        duck = step("duckdb", path, args.timeout)
        print(n, "duckdb", json.dumps(duck), flush=True)
        spark = step("spark", path, args.timeout)
        print(n, "spark", json.dumps(spark), flush=True)
        rows.append(_row(f"{n:,}, DuckDB (4 GB limit)", duck, duck))
        rows.append(_row(f"{n:,}, Spark local, shared parts computed once", spark, duck))
        if args.plain and n <= 20_000:
            plain = step("plain", path, args.timeout)
            print(n, "plain", json.dumps(plain), flush=True)
            rows.append(_row(f"{n:,}, Spark local, the one whole query", plain, duck))
        if args.plan and n <= 20_000:
            p = step("plan", path, args.timeout)
            print(n, "plan", json.dumps(p), flush=True)
            if "failed" not in p:
                notes.append(
                    f"Planning the one whole query at {n:,} cases ({p['sql_kb']:.0f} KB of "
                    f"Spark SQL, compiled by Ibis in {p['compile']:.1f} s): Spark's analysis "
                    f"{p['analyse']:.1f} s, optimisation {p['optimise']:.1f} s (an optimised "
                    f"plan of {p['plan_nodes']:,} lines), physical planning {p['physical']:.1f} s"
                    f" ({p['scans']} Parquet scans, {p['exchanges']} exchanges), before any row "
                    "is read."
                )
    import pyspark

    head = (
        f"pyspark {pyspark.__version__} (local mode, casekit's LOCAL_CONFIG); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end of the run."
    )
    body = "\n".join([head, "", *rows, "", *notes])
    print(body)
    if "--no-write" not in sys.argv:
        write_section("spark", "Spark local mode: the twelve flags at 20k and 200k cases", body)


if __name__ == "__main__":
    main()

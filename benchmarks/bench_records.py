"""Time the assessment, plan and sharing flags: today's pandas code against DuckDB through Ibis.

``late_assessment``, ``plan_not_linked``, ``sharing_without_basis`` and
``shared_despite_refusal`` on synthetic Parquet bundles (``casekit synth --form parquet``,
cached in benchmarks/.work/), in fresh processes: the pandas functions of
casekit/analysis/proportionality.py on the loaded Casebook, and the relational definition
(casekit/analysis/relational: timeliness, plans, sharing) built and run on DuckDB, with the
working-day calendar from the data's first day. Both give the same rows (checked each run).

    python benchmarks/bench_records.py [--sizes 10000 50000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _results import parquet_bundle, write_section

RUN = r"""
import json, resource, sys, time
import pandas as pd
import casekit
from casekit.analysis import proportionality as p
from casekit.analysis.proportionality import THRESHOLDS
from casekit.analysis.relational import plans, sharing, timeliness
from casekit.analysis.relational.flags import COLUMNS
from casekit.analysis.relational.known import known
from casekit.engine import connect
from casekit.engine.tables import from_casebook
import ibis
as_of = pd.Timestamp("2025-03-31")
cb = casekit.load(sys.argv[1])
t0 = time.perf_counter()
k = p._known(cb, as_of)
want = pd.concat(
    [p._late_assessment(k, as_of, THRESHOLDS["assessment_working_days"]),
     p._plan_not_linked(k, as_of), *p._sharing(k)], ignore_index=True)
pandas_s = time.perf_counter() - t0
with connect("duckdb") as engine:
    t0 = time.perf_counter()
    tables = from_casebook(cb)
    tables_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    kk = known(tables, as_of.date())
    parts = [r.select(*COLUMNS) for part in (timeliness.late_assessment, plans.plan_flags,
             sharing.sharing_flags) for r in part(kk, THRESHOLDS)]
    got = engine.run(ibis.union(*parts, distinct=False))
    duckdb_s = time.perf_counter() - t0
    calendar = engine.backend.execute(tables.calendar(as_of.date()).count())
key = ["flag", "subject_id", "reason"]
same = want[key].astype(str).sort_values(key).values.tolist() == (
    got[key].astype(str).sort_values(key).values.tolist())
print(json.dumps({"pandas": pandas_s, "duckdb": duckdb_s, "tables": tables_s,
                  "flags": len(got), "same": same, "events": len(cb.events),
                  "calendar": int(calendar),
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    """Measure each size in a fresh process and write the section of RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    sizes = parser.parse_args().sizes
    rows = []
    first: dict[str, float] = {}
    for cases in sizes:
        path = parquet_bundle(cases)
        out = subprocess.run(
            [sys.executable, "-c", RUN, str(path)], check=True, capture_output=True, text=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(cases, r, flush=True)
        per_event = {k: r[k] / r["events"] for k in ("pandas", "duckdb")}
        first = first or per_event
        growth = " / ".join(f"{per_event[k] / first[k]:.2f}" for k in ("pandas", "duckdb"))
        rows.append(
            f"| {cases:,} | {r['events']:,} | {r['flags']:,} | {r['pandas']:.2f} | "
            f"{r['duckdb']:.2f} | {r['duckdb'] / r['pandas']:.2f} | {r['tables']:.2f} | "
            f"{r['calendar']:,} | "
            f"{'yes' if r['same'] else 'NO'} | {growth} | {r['peak_mib']:.0f} |"
        )
    table = "\n".join(
        [
            "| cases | events | flag rows | pandas s | DuckDB s | DuckDB / pandas | "
            "Casebook to engine tables s | calendar days | same rows | time per event vs "
            "smallest (pandas / DuckDB) | peak MiB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
            *rows,
        ]
    )
    write_section(
        "records",
        "Assessment, plan and sharing flags: pandas against DuckDB",
        table
        + "\n\nThe four flags of `late_assessment`, `plan_not_linked`, `sharing_without_basis` "
        "and `shared_despite_refusal` as known on 2025-03-31. pandas: today's functions on a "
        "loaded Casebook. DuckDB: the relational definition, building and compiling the Ibis "
        "expression and running it, after the "
        "Casebook is made into engine tables (`from_casebook`, timed apart: a Parquet dataset "
        "read by DuckDB directly needs no such step). The working-day calendar is one row a "
        "day from the data's first date to the as-of date. The relational run has a fixed "
        "cost (building and compiling the expression, about half a second here), so its time "
        "per event falls as the data grows; the machine was shared, so compare ratios within "
        "a run.",
    )


if __name__ == "__main__":
    main()

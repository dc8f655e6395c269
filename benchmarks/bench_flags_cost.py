"""Time the relational flags' fixed cost and their run over a dataset: before and after tuning.

Issue 19's study found the twelve flags' one query costly whatever the size (building and
compiling about 400 KB of SQL, planning it) and the known decisions' rung windows worked out
again in each part that reads them. This compares, in the same run, the flags on DuckDB over
the partitioned Parquet datasets (``casekit synth --form dataset``) by the code ``--before``
(a checkout, by default ``/work/main``) and by this checkout, each in a fresh process: the
expression built and compiled (the fixed cost, the same at any size), then run. Both must
raise the same number of flags. Runs alternate (before, after, before, after) and the table
gives each one's median of ``--repeats`` runs, in CPU seconds (the machine is shared). Then, in
one process on the largest dataset, DuckDB executing the compiled SQL only (no compiling),
alternating: the twelve flags as one query, against the known decisions kept in a temporary
table first and the flags reading it.

    python benchmarks/bench_flags_cost.py --root /work/scale --sizes d20k d200k
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _results import write_section

HERE = Path(__file__).resolve().parents[1]
STEP = r"""
import datetime as dt, json, resource, sys, time
from pathlib import Path
import casekit
assert Path(casekit.__file__).resolve().is_relative_to(Path.cwd().resolve()), casekit.__file__
from casekit.analysis.proportionality import THRESHOLDS
from casekit.analysis.relational import flags as F
from casekit.engine import connect
from casekit.engine.parquet import from_parquet
AS_OF = dt.date(2025, 3, 31)
t = dict(THRESHOLDS)
with connect("duckdb", memory_limit="4GB") as engine:
    tables = from_parquet(engine, Path(sys.argv[1]))
    w0, c0 = time.perf_counter(), time.process_time()
    sql = engine.backend.compile(F.flag_table(tables, AS_OF, t))
    w1, c1 = time.perf_counter(), time.process_time()
    out = F.run_flags(engine, tables, AS_OF, t)
    w2, c2 = time.perf_counter(), time.process_time()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"compile": c1 - c0, "compile_wall": w1 - w0, "sql_kb": len(str(sql)) / 1024,
                  "run": c2 - c1, "run_wall": w2 - w1, "flags": len(out), "peak": peak}))
"""


AB = r"""
import dataclasses, datetime as dt, json, statistics, sys, time
from pathlib import Path
import ibis
from casekit.analysis.proportionality import THRESHOLDS
from casekit.analysis.relational import flags as F
from casekit.analysis.relational.known import known
from casekit.engine import connect
from casekit.engine.parquet import from_parquet
AS_OF, t = dt.date(2025, 3, 31), dict(THRESHOLDS)
with connect("duckdb", memory_limit="4GB") as e:
    tables = from_parquet(e, Path(sys.argv[1]))
    con = e.backend.con
    con.execute("SET enable_progress_bar = false")
    one = str(e.backend.compile(F.flag_table(tables, AS_OF, t)))
    k = known(tables, AS_OF)
    decisions = str(e.backend.compile(k.decisions))
    kept = ibis.table(k.decisions.schema(), name="casekit_bench_kept")
    two = str(e.backend.compile(F.flags_of(dataclasses.replace(k, decisions=kept), t)))
    runs = {"one": [], "kept": []}
    for _ in range(int(sys.argv[2])):
        c = time.process_time()
        n1 = len(con.execute(one).fetchall())
        runs["one"].append(time.process_time() - c)
        c = time.process_time()
        con.execute(f"CREATE OR REPLACE TEMP TABLE casekit_bench_kept AS {decisions}")
        n2 = len(con.execute(two).fetchall())
        runs["kept"].append(time.process_time() - c)
        assert n1 == n2
print(json.dumps({k: statistics.median(v) for k, v in runs.items()}))
"""


def once(code: Path, folder: Path) -> dict[str, float]:
    """Run the flags once in a fresh process on ``code``'s casekit; give its figures."""
    env = dict(os.environ, PYTHONPATH=str(code))
    done = subprocess.run(  # run in ``code``: ``python -c`` puts the working folder first
        [sys.executable, "-W", "ignore", "-c", STEP, str(folder)],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return last_json(done.stdout)


def last_json(out: str) -> dict[str, float]:
    """Give the last line of a step's output that is its JSON (DuckDB may print progress)."""
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])


def main() -> None:
    """Measure before and after at each size, alternating, and write the section."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="/work/scale")
    parser.add_argument("--sizes", nargs="+", default=["d20k", "d200k"])
    parser.add_argument("--before", default="/work/main")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    args = parser.parse_args()
    before = Path(args.before)
    commit = subprocess.run(
        ["git", "-C", str(before), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "| dataset | events | flags | SQL KB before / after | compile CPU s before / after "
        "| run CPU s before / after | run after / before | peak MiB before / after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in args.sizes:
        folder = Path(args.root) / name
        runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for _ in range(args.repeats):
            runs["before"].append(once(before, folder))
            runs["after"].append(once(HERE, folder))
        b, a = ({k: statistics.median(r[k] for r in runs[w]) for k in runs[w][0]} for w in runs)
        assert b["flags"] == a["flags"], "before and after must raise the same flags"
        import pyarrow.parquet as pq

        events = sum(pq.ParquetFile(p).metadata.num_rows for p in (folder / "events").glob("*"))
        lines.append(
            f"| {name} | {events:,} | {int(a['flags']):,} | {b['sql_kb']:.0f} / {a['sql_kb']:.0f} "
            f"| {b['compile']:.2f} / {a['compile']:.2f} | {b['run']:.1f} / {a['run']:.1f} "
            f"| {a['run'] / b['run']:.2f} | {b['peak']:,.0f} / {a['peak']:,.0f} |"
        )
        print(lines[-1], flush=True)
    folder = Path(args.root) / args.sizes[-1]
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", AB, str(folder), str(args.repeats + 1)],
        cwd=HERE,
        env=dict(os.environ, PYTHONPATH=str(HERE)),
        capture_output=True,
        text=True,
        check=True,
    )
    ab = last_json(done.stdout)
    body = "\n".join(
        [
            f"Before: main at {commit}; after: this branch. The flags on DuckDB (4 GB limit) over "
            "the seed-0 datasets of `casekit synth --form dataset`, as known at 2025-03-31, each "
            "run in a fresh process, alternating, median of "
            f"{args.repeats}; CPU seconds (the machine is shared: load average "
            f"{os.getloadavg()[0]:.1f} at the end). Compile: building the Ibis expression of the "
            "twelve flags and compiling it to SQL (the size of that SQL beside it); run: "
            "`run_flags`, which builds and compiles again (after: the known decisions kept once "
            "in a temporary table first). Both raise the same flags.",
            "",
            *lines,
            "",
            f"In one process over {args.sizes[-1]}, DuckDB executing the compiled SQL only "
            f"(median of "
            f"{args.repeats + 1}, alternating, CPU s): the twelve flags as one query "
            f"{ab['one']:.1f}, the known decisions kept first and the flags reading them "
            f"{ab['kept']:.1f} ({ab['kept'] / ab['one']:.2f}x).",
        ]
    )
    print(body)
    if not args.no_write:
        write_section(
            "flags-cost", "The relational flags' fixed cost and run, before and after", body
        )


if __name__ == "__main__":
    main()

"""Time the whole study (validate, flags, research) out of core at five sizes, engines side by side.

The study runs on partitioned Parquet datasets (``casekit synth --form dataset``): 20k, 200k,
600k, 2M and 3M cases (about 20 events a case, so 3M cases give about 61M events). Each step
runs in a fresh process, so its peak memory is its own: reading every file of every table with
pyarrow, one file at a time (the floor: the same bytes decoded, never all held), checking the
dataset with DuckDB (``casekit.bundle.dataset.check_dataset``), raising the twelve flags on
DuckDB over the files (``casekit.analysis.relational``) and the research (referral outcomes,
step-down waits and the published table's counts made in DuckDB, then the statistics and
suppression). DuckDB is capped at ``--memory`` and spills beyond it. Then, at 200k cases, the
flags and research by today's pandas path (the dataset read into a Casebook), by DuckDB and by
Spark local mode, side by side.

    python benchmarks/bench_study.py --root /work/scale [--sizes 20000 200000 600000 2000000]

Datasets are made once under ``--root`` as ``d20k``, ``d200k``, ``d600k``, ``d2m``, ``d3m`` (seed
0). Wall and CPU seconds are both recorded (CPU includes child processes, ended or still running:
Spark's JVM outlives its session), and the peak is the largest resident peak of the process and
its children: on a shared machine the CPU figures and the ratios of one run are the ones to
compare.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _results import LIVE_CHILDREN, run_step, write_section

AS_OF = "2025-03-31"
NAMES = {20_000: "d20k", 200_000: "d200k", 600_000: "d600k", 2_000_000: "d2m", 3_000_000: "d3m"}

STEP = (
    r"""
import datetime as dt, json, os, resource, sys, time
from pathlib import Path
"""
    + LIVE_CHILDREN
    + r"""
step, folder, memory, engine_name = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
AS_OF = dt.date(2025, 3, 31)
t0, c0 = time.perf_counter(), time.process_time()
out = {}
if step == "read":
    import pyarrow.parquet as pq
    rows = 0
    for table in sorted(p for p in folder.iterdir() if p.is_dir()):
        for part in sorted(table.glob("*.parquet")):
            rows += pq.read_table(part).num_rows  # each file decoded whole, then let go
    out["rows"] = rows
elif step == "validate":
    from casekit.bundle.dataset import check_dataset
    check = check_dataset(folder, today=dt.date(2026, 1, 1), memory_limit=memory)
    out["problems"] = len(check.problems) if hasattr(check, "problems") else -1
elif step in ("flags", "research"):
    from casekit.analysis.proportionality import THRESHOLDS
    from casekit.analysis.relational.flags import run_flags
    from casekit.engine import connect
    from casekit.engine.parquet import from_parquet
    kwargs = {"memory_limit": memory} if engine_name == "duckdb" else {}
    with connect(engine_name, **kwargs) as engine:
        tables = from_parquet(engine, folder)
        if step == "flags":
            table = run_flags(engine, tables, AS_OF, dict(THRESHOLDS))
            out["n_flags"] = len(table)
            out["open"] = int((table["status"] == "open").sum())
        else:
            from casekit.analysis import research
            r = research.research_tables(tables, engine, days=90, as_of=AS_OF)
            out["referrals"] = int(r.counts.referrals)
            waits = research.engine_step_down_waits(tables, engine, as_of=AS_OF)
            out["became_due"] = str(waits["became_due"].tolist())
            research.engine_published_table(tables, engine)
elif step in ("pandas_flags", "pandas_research"):
    os.environ["CASEKIT_DATASET_LOAD_ROWS"] = str(10**9)  # today's path: all of it in memory
    import casekit
    from casekit.analysis import research
    from casekit.analysis.proportionality import flags
    cb = casekit.load(folder)
    out["load"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    if step == "pandas_flags":
        out["n_flags"] = len(flags(cb, as_of=AS_OF, engine="pandas"))  # not the default
    else:
        o = research.referral_outcomes(cb, days=90, as_of=AS_OF)
        research.compare_strata(o, suppress=True)
        for by in research.PUBLISHED_EQUITY:
            research.relative_rates(o, by, suppress=True)
        out["referrals"] = len(o)
        out["became_due"] = str(research.step_down_waits(cb, as_of=AS_OF)["became_due"].tolist())
        research.published_table(cb)
    out["work"] = time.perf_counter() - t1
out["seconds"] = time.perf_counter() - t0
live = children()  # Spark's JVM outlives its session: ended children alone miss it
ended = resource.getrusage(resource.RUSAGE_CHILDREN)
out["cpu"] = time.process_time() - c0 + ended.ru_utime + ended.ru_stime + sum(c for c, _ in live)
peaks = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, ended.ru_maxrss]
out["peak_mib"] = max(peaks + [h[0] for _, h in live if h]) / 1024
print(json.dumps(out))
"""
)


def dataset(root: Path, cases: int) -> Path:
    """Make (once) the seed-0 dataset of ``cases`` cases under ``root``."""
    path = root / NAMES.get(cases, f"d{cases}")
    if not (path / "dataset.json").exists():
        command = ["synth", "--out", str(path), "--cases", str(cases), "--form", "dataset"]
        command += ["--jobs", "2", "--seed", "0"]
        subprocess.run([sys.executable, "-m", "casekit.cli", *command], check=True)
    return path


def events(path: Path) -> int:
    """Count a dataset's events from its Parquet footers."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in (path / "events").glob("*.parquet"))


def step(name: str, path: Path, memory: str, engine: str = "duckdb", timeout: int = 3600) -> dict:
    """Run one step in a fresh process; return its figures (or the failure)."""
    return run_step(STEP, [name, str(path), memory, engine], timeout)


def _s(r: dict) -> str:
    """One step's wall seconds with its CPU seconds, or why it failed."""
    return f"failed: {r['failed']}" if "failed" in r else f"{r['seconds']:.1f} ({r['cpu']:.1f})"


def sizes_table(root: Path, sizes: list[int], memory: str) -> str:
    """Run the study at each size; give the table, one row a size."""
    import os

    rows = [
        "| cases | events | pyarrow read s (CPU) | validate s (CPU) | flags s (CPU) | research s "
        "(CPU) | study s (CPU) | study / read, wall (CPU) | study CPU µs an event (vs smallest) "
        "| peak MiB: read / validate / flags / research |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    first = None
    loads = [os.getloadavg()[0]]
    for n in sizes:
        path = dataset(root, n)
        m = events(path)
        got = {s: step(s, path, memory) for s in ("read", "validate", "flags", "research")}
        loads.append(os.getloadavg()[0])
        print(n, m, json.dumps(got), flush=True)
        cells = " | ".join(_s(got[s]) for s in got)
        if any("failed" in r for r in got.values()):
            rows.append(f"| {n:,} | {m:,} | {cells} | | | | |")
            continue
        study = [
            sum(got[s][k] for s in ("validate", "flags", "research")) for k in ("seconds", "cpu")
        ]
        cost = study[1] / m * 1e6
        first = first or cost
        read = got["read"]
        peaks = " / ".join(f"{got[s]['peak_mib']:,.0f}" for s in got)
        rows.append(
            f"| {n:,} | {m:,} | {cells} | {study[0]:.1f} ({study[1]:.1f}) | "
            f"{study[0] / read['seconds']:.1f}x ({study[1] / read['cpu']:.1f}x) | "
            f"{cost:.1f} ({cost / first:.2f}) | {peaks} |"
        )
    rows += [
        "",
        f"Load average (1 min) on {os.cpu_count()} cores, before and after each size: "
        + ", ".join(f"{x:.1f}" for x in loads)
        + ".",
    ]
    return "\n".join(rows)


def engines_table(root: Path, memory: str) -> str:
    """Run the flags and research at 200k cases by pandas, DuckDB and Spark; give the table."""
    path = dataset(root, 200_000)
    side = [
        "| engine, 200k cases | flags s (CPU) | research s (CPU) | peak MiB (flags / research) |",
        "|---|---:|---:|---|",
    ]
    for label, flags_step, research_step, engine in (
        (
            "pandas (the dataset read into a Casebook, load included)",
            "pandas_flags",
            "pandas_research",
            "duckdb",
        ),
        ("DuckDB over the files", "flags", "research", "duckdb"),
        ("Spark local mode over the files", "flags", "research", "spark"),
    ):
        f = step(flags_step, path, memory, engine, timeout=2400)
        r = step(research_step, path, memory, engine, timeout=2400)
        print(label, json.dumps(f), json.dumps(r), flush=True)
        peaks = " / ".join("-" if "failed" in x else f"{x['peak_mib']:,.0f}" for x in (f, r))
        side.append(f"| {label} | {_s(f)} | {_s(r)} | {peaks} |")
    return "\n".join(side)


def main() -> None:
    """Measure the study at every size and the engines side by side; write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("benchmarks/.work/scale"))
    parser.add_argument("--sizes", type=int, nargs="*", default=list(NAMES))
    parser.add_argument("--memory", default="4GB", help="DuckDB's memory limit (default 4GB)")
    parser.add_argument("--skip-engines", action="store_true", help="no side-by-side run")
    args = parser.parse_args()
    if args.sizes:
        body = sizes_table(args.root, args.sizes, args.memory)
        print(body)
        write_section("study", "The study out of core: validate, flags and research", body)
    if not args.skip_engines:
        body = engines_table(args.root, args.memory)
        print(body)
        write_section("study-engines", "The study's engines side by side at 200k cases", body)


if __name__ == "__main__":
    main()

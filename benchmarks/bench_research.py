"""Time the flags and the research functions on Parquet bundles of 10k, 50k and 200k cases.

At 200k cases a copy with 6M events (the events repeated under new ids) is measured too.
Each size is generated once (``casekit synth --form parquet``, cached in benchmarks/.work/) and
then measured in fresh processes: reading the Parquet files with pyarrow alone (the floor), and
the whole study (casekit.load with validation, the flags, and the research: referral outcomes,
the strata comparison and relative rates with their suppression, step-down waits with bootstrap
intervals, the published table). Goal: 200k cases in under 30 s and 6 GiB.

    python benchmarks/bench_research.py [--sizes 10000 50000 200000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _results import WORK, parquet_bundle, write_section

READ = r"""
import json, resource, sys, time
from pathlib import Path
import pyarrow.parquet as pq
t0 = time.perf_counter()
rows = sum(pq.read_table(p).num_rows for p in sorted(Path(sys.argv[1]).glob("*.parquet")))
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": rows,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

STUDY = r"""
import json, resource, sys, time
import casekit
from casekit.analysis import research
from casekit.analysis.proportionality import flags
times = {}
t0 = time.perf_counter()
cb = casekit.load(sys.argv[1])
times["load"] = time.perf_counter() - t0
t = time.perf_counter()
table = flags(cb, as_of="2025-03-31")
times["flags"] = time.perf_counter() - t
t = time.perf_counter()
outcomes = research.referral_outcomes(cb, days=90, as_of="2025-03-31")
times["outcomes"] = time.perf_counter() - t
t = time.perf_counter()
strata = research.compare_strata(outcomes, suppress=True)
for by in research.PUBLISHED_EQUITY:
    research.relative_rates(outcomes, by, suppress=True)
times["compare"] = time.perf_counter() - t
t = time.perf_counter()
research.step_down_waits(cb, as_of="2025-03-31", suppress=True)
times["waits"] = time.perf_counter() - t
research.published_table(cb)
times["research"] = time.perf_counter() - t0 - times["load"] - times["flags"]
times["total"] = time.perf_counter() - t0
print(json.dumps({**times, "events": len(cb.events), "n_flags": len(table),
                  "comparisons": int(strata[("test", "comparisons")].iloc[0]),
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def inflate(path: Path, events: int) -> Path:
    """Copy a bundle, adding copies of its events (new ids) until it holds ``events`` events.

    National extracts record more events per case than the synthetic generator (about 14);
    this measures the study at the events count the brief names.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    target = WORK / f"{path.name}-{events // 1_000_000}m-events"
    if (target / "events.parquet").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    for item in path.glob("*.parquet"):
        if item.name != "events.parquet":
            (target / item.name).write_bytes(item.read_bytes())
    base = pq.read_table(path / "events.parquet")
    parts, copy = [base], 0
    while sum(p.num_rows for p in parts) < events:
        copy += 1
        extra = base.slice(0, min(base.num_rows, events - sum(p.num_rows for p in parts)))
        column = pc.cast(extra["event_id"], pa.string())
        ids = pc.binary_join_element_wise(column, pa.scalar(f"-{copy}"), pa.scalar(""))
        ids = pc.cast(ids, extra.schema.field("event_id").type)
        parts.append(extra.set_column(0, "event_id", ids))
    pq.write_table(pa.concat_tables(parts), target / "events.parquet")
    return target


def run(script: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure every size, print the table and write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[10_000, 50_000, 200_000],
        help="case counts; at 200k a copy with 6M events is measured too",
    )
    args = parser.parse_args()
    lines = [
        "| cases | events | read Parquet (pyarrow) | load + validate | flags | research "
        "(outcomes / compare + suppress / waits) | whole study | study / read | peak memory |",
        "|---:|" + "---:|" * 8,
    ]
    measured = [(n, parquet_bundle(n)) for n in args.sizes]
    if max(args.sizes) >= 200_000:
        measured.append((max(args.sizes), inflate(parquet_bundle(max(args.sizes)), 6_000_000)))
    for n, path in measured:
        read = run(READ, path)
        study = run(STUDY, path)
        print(n, read, study, flush=True)
        lines.append(
            f"| {n:,} | {study['events']:,} | {read['seconds']:.1f} s | "
            f"{study['load']:.1f} s | {study['flags']:.1f} s | {study['research']:.1f} s "
            f"({study['outcomes']:.1f} / {study['compare']:.1f} / {study['waits']:.1f})"
            f" | {study['total']:.1f} s | {study['total'] / read['seconds']:.0f}x | "
            f"{study['peak_mib'] / 1024:.1f} GiB |"
        )
    body = (
        "\n".join(lines) + "\n\nGoal: 200k cases in under 30 s and 6 GiB. Engine: pandas "
        "with Arrow-backed strings (pandas 3), reading Parquet through pyarrow. Profiling "
        "showed the time went on round trips through Python objects (pandas hashing, merging "
        "and parsing Arrow strings), not on the engine, so the engine stayed (DuckDB was not "
        "needed) and the hot paths moved into Arrow compute "
        "kernels (casekit.bundle.arrowops): id lookups hash the smaller side, a date column is "
        "parsed "
        "once per distinct value, cells are trimmed column by column in threads, and list "
        "columns are built with the garbage collector paused. The whole study includes "
        "validating every row against the contract, which is still about half the time. "
        "The research takes each referral once: events are matched to their case by an Arrow "
        "hash lookup and the strongest evidence per case kept with numpy, so it grows with "
        "the events; the suppression's linear programmes work on a fixed number of cells "
        "(six strata by group, ethnicity and religion), whatever the number of cases. Waits "
        "include the flags' step_downs_due (run again) and a seeded 9,999-resample bootstrap."
    )
    print(body)
    write_section("research", "Proportionality: flags and research at national scale", body)


if __name__ == "__main__":
    main()

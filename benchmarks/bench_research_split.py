"""Time the trends report's suppressed tables before and after the split equity tables.

The relative rates are now given within each kind of referral, so the suppression protects
more cells (each referral group's counts by ethnicity and by religion) together with Table 1.
The referrals are counted once per size in DuckDB (``on_engine.outcome_counts``); then, in fresh
processes, alternately, the earlier checkout (``--before``, e.g. a worktree of ``main``) and
this one make the strata table and both relative-rate tables, suppressed, from those counts.
CPU seconds (``time.process_time``) are reported, as the machine is shared.

    python benchmarks/bench_research_split.py --before /work/main --data DATASET [DATASET ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUN = r"""
import json, sys, time
from casekit.analysis import on_engine, research
counts = on_engine.outcome_counts(sys.argv[1], "duckdb", as_of="2025-03-31")
t = time.process_time()
strata = research.compare_strata(counts, suppress=True)
tables = [research.relative_rates(counts, by, suppress=True) for by in research.PUBLISHED_EQUITY]
cpu = time.process_time() - t
hidden = sum(int((t["n"] == "c").sum()) for t in tables)
print(json.dumps({"cpu": cpu, "rows": sum(len(t) for t in tables), "hidden_n": hidden,
                  "complete": counts.complete}))
"""


def measure(checkout: Path, data: Path) -> dict[str, float]:
    """Make the suppressed tables of ``data`` with ``checkout``'s casekit in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run(
        [sys.executable, "-c", RUN, str(data.resolve())],
        env=env,
        cwd=checkout,  # python -c puts the working folder first on the path
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure each dataset three times with each checkout, alternating; print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    args = parser.parse_args()
    for data in args.data:
        runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for _ in range(3):
            runs["before"].append(measure(args.before, data))
            runs["after"].append(measure(ROOT, data))
        cpu = {k: sorted(r["cpu"] for r in v)[1] for k, v in runs.items()}
        print(
            f"{data.name}: {runs['after'][0]['complete']} complete referrals; "
            f"before {cpu['before']:.2f} s CPU ({runs['before'][0]['rows']} rows, "
            f"{runs['before'][0]['hidden_n']} n hidden), after {cpu['after']:.2f} s CPU "
            f"({runs['after'][0]['rows']} rows, {runs['after'][0]['hidden_n']} n hidden); "
            f"ratio {cpu['after'] / cpu['before']:.2f}x"
        )


if __name__ == "__main__":
    main()

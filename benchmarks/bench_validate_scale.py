"""Time checking partitioned Parquet datasets (200k, 600k and 2M cases) against reading them.

The datasets are ``casekit synth --form dataset`` output in /work/scale (``d200k``, ``d600k``,
``d2m``; sizes that are absent are skipped). Each is measured in fresh processes: reading every
part of every table with pyarrow alone (the floor), then ``casekit.bundle.dataset.check_dataset``
(DuckDB, out of core, under its default 2GB memory limit). Reported: wall and CPU seconds, peak
resident memory, the check's time as a multiple of the read, and seconds per million events.
Goal (issue 19): at most 3x the read at every size, and memory flat as the data grows.

    python benchmarks/bench_validate_scale.py [--root /work/scale] [--sizes d200k d600k d2m]

Not part of ``make bench``: it needs the datasets (``casekit synth --form dataset``, see
bench_synth_scale.py) and takes about 15 minutes. Nothing is written when no size is there.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from _results import write_section

MEASURE = r"""
import json, resource, sys, time
from pathlib import Path
folder, step, memory = Path(sys.argv[1]), sys.argv[2], sys.argv[3] or None
t0, c0 = time.perf_counter(), time.process_time()
if step == "read":
    import pyarrow.parquet as pq
    rows = {}
    for table in sorted(p for p in folder.iterdir() if p.is_dir()):
        parts = sorted(table.glob("*.parquet"))
        rows[table.name] = sum(pq.read_table(part).num_rows for part in parts)
    valid, problems = None, 0
else:
    from casekit.bundle.dataset import check_dataset
    found = check_dataset(folder, memory_limit=memory)
    rows, valid, problems = found.rows, found.valid, len(found.problems)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "peak_mib": usage.ru_maxrss / 1024, "rows": rows, "valid": valid,
                  "problems": problems}))
"""


def measure(folder: Path, step: str, memory: str = "") -> dict:
    """Run one step on one dataset in a fresh process and return its figures."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(folder), step, memory],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure every dataset present, then write the section of RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default="/work/scale")
    parser.add_argument("--sizes", nargs="+", default=["d200k", "d600k", "d2m"])
    parser.add_argument(
        "--tight", default="1GB", help="a second, lower memory limit for the largest size"
    )
    parser.add_argument(
        "--wait", type=float, default=0, help="minutes to wait for a size still being written"
    )
    args = parser.parse_args()
    present = (
        args.sizes
        if args.wait
        else [s for s in args.sizes if (Path(args.root) / s / "dataset.json").exists()]
    )
    lines = [
        "| dataset | cases | events | step | seconds | CPU s | peak MiB | x read "
        "| s per M events |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in args.sizes:
        folder = Path(args.root) / size
        deadline = time.monotonic() + args.wait * 60
        while not (folder / "dataset.json").exists() and time.monotonic() < deadline:
            time.sleep(20)
        if not (folder / "dataset.json").exists():
            print(f"{folder}: not there (or not finished), skipped", flush=True)
            continue
        read = measure(folder, "read")
        check = measure(folder, "check")
        cases, events = check["rows"].get("cases", 0), check["rows"].get("events", 0)
        steps = [("pyarrow read", read), ("check (DuckDB, 2GB)", check)]
        if present and size == present[-1] and args.tight:
            steps.append((f"check (DuckDB, {args.tight})", measure(folder, "check", args.tight)))
        for step, got in steps:
            ratio = got["seconds"] / read["seconds"]
            per = got["seconds"] / (events / 1e6) if events else float("nan")
            lines.append(
                f"| {size} | {cases:,} | {events:,} | {step} | {got['seconds']:.1f} | "
                f"{got['cpu']:.1f} | {got['peak_mib']:.0f} | {ratio:.1f} | {per:.2f} |"
            )
        print(*lines[-len(steps) :], f"valid={check['valid']}", sep="\n", flush=True)
        body = "\n".join(lines) + "\n\n" + NOTES  # written after each size: a long run keeps
        write_section("validate-scale", "Checking a dataset larger than memory (DuckDB)", body)


NOTES = (
    "Each step runs in a fresh process on `casekit synth --form dataset` output (seed 0, "
    "parts of 50,000 cases). *pyarrow read* reads every part of every table into memory one "
    "part at a time (the floor); *check* is `casekit validate` on the folder "
    "(`casekit.bundle.dataset.check_dataset`: DuckDB over the parts, memory limit 2GB, "
    "spilling to a private temporary folder); the largest size is checked again under a lower "
    "limit, to show the check spills rather than grows. CPU s counts all of the process's "
    "threads (DuckDB uses both cores), so on a quiet machine it can exceed the wall time."
)


if __name__ == "__main__":
    main()

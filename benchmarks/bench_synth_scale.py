"""Time ``casekit synth --form dataset`` at national sizes and record it in benchmarks/RESULTS.md.

Each size runs ``casekit synth --form dataset`` in a fresh process and reports its wall time,
its CPU time and that of the part processes it started (user + system), the peak resident
memory of the command's own process and of the largest part process (``getrusage``, self and
children), the events written, and the time per event relative to the smallest size, all in the
same run. The datasets are kept: other benchmarks read them.

    python benchmarks/bench_synth_scale.py --root /work/scale          # 200k, 600k, 2M cases
    python benchmarks/bench_synth_scale.py --root /tmp/s --sizes 20000 60000 --no-write

A size whose folder already exists is not regenerated (so a dataset others are reading is
never replaced under them): give a new ``--root`` to measure again.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _results import WORK, write_section

RUN = r"""
import json, resource, sys, time
from casekit.cli import main
t0 = time.perf_counter()
code = main(sys.argv[1:])
seconds = time.perf_counter() - t0
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "code": code,
    "seconds": seconds,
    "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
    "peak_self_mib": me.ru_maxrss / 1024,
    "peak_child_mib": kids.ru_maxrss / 1024,
}))
"""


def name(cases: int) -> str:
    """Name a dataset folder by its size: ``d200k``, ``d2m``."""
    if cases % 1_000_000 == 0:
        return f"d{cases // 1_000_000}m"
    if cases % 1_000 == 0:
        return f"d{cases // 1_000}k"
    return f"d{cases}"


def folder_size(path: Path) -> int:
    """Add up the sizes of the files below ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(cases: int, out: Path, jobs: int, part_cases: int) -> dict[str, float]:
    """Generate one dataset in a fresh process; return its figures."""
    command = [
        "synth", "--form", "dataset", "--out", str(out), "--cases", str(cases), "--seed", "0",
        "--jobs", str(jobs), "--part-cases", str(part_cases),
    ]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", RUN, *command], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"synth at {cases:,} cases failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    about = json.loads((out / "dataset.json").read_text())
    figures["events"] = about["tables"]["events"]["rows"]
    figures["rows"] = sum(t["rows"] for t in about["tables"].values())
    figures["parts"] = about["tables"]["cases"]["parts"]
    figures["gib"] = folder_size(out) / 2**30
    return figures


def notes(figures: list[tuple[int, dict[str, float]]], jobs: int) -> str:
    """Say what the figures mean: memory as the size grows, events a case, cases for 60M."""
    peaks = [f["peak_child_mib"] for _, f in figures]
    events = sum(f["events"] for _, f in figures)
    cases = sum(c for c, _ in figures)
    rate = events / cases
    return (
        f"Memory stays flat as the size grows: the largest part process peaked at "
        f"{min(peaks):,.0f} to {max(peaks):,.0f} MiB at every size (one part of "
        f"{figures[0][1]['rows'] / figures[0][1]['parts']:,.0f} rows in memory at a "
        f"time), so the whole run holds at most {jobs} parts plus the command's "
        f"{max(f['peak_self_mib'] for _, f in figures):,.0f} MiB. The generator gives "
        f"{rate:.1f} events a case, so 60M events take about {60e6 / rate / 1e6:.1f}M cases. "
        "Wall time depends on what else the shared machine runs; CPU time is the cost."
    )


def main() -> None:
    """Generate each size, print the figures and write the RESULTS.md section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 600_000, 2_000_000])
    parser.add_argument("--root", type=Path, default=WORK / "scale")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--part-cases", type=int, default=50_000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    args.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    rows = []
    figures = []
    base = None
    for cases in args.sizes:
        out = args.root / name(cases)
        if out.exists():
            print(f"{out} exists: not regenerated (give a new --root to measure)", flush=True)
            continue
        f = run(cases, out, args.jobs, args.part_cases)
        figures.append((cases, f))
        per_event = f["cpu"] / f["events"]
        base = base or per_event
        rows.append(
            f"| {cases:,} | {f['parts']:.0f} | {f['events']:,.0f} | {f['events'] / cases:.1f} "
            f"| {f['seconds']:,.0f} | {f['cpu']:,.0f} | {f['peak_self_mib']:,.0f} "
            f"| {f['peak_child_mib']:,.0f} | {f['events'] / f['seconds']:,.0f} "
            f"| {per_event * 1e6:.2f} | {per_event / base:.2f} | {f['gib']:.2f} |"
        )
        print(rows[-1], flush=True)
    if not rows:
        return
    header = (
        "| cases | parts | events | events a case | wall s | CPU s (all processes) "
        "| peak MiB, command | peak MiB, largest part process | events / wall s "
        "| CPU µs / event | CPU per event vs smallest | GiB on disk |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    body = (
        f"`casekit synth --form dataset --seed 0 --jobs {args.jobs} --part-cases "
        f"{args.part_cases}` into `{args.root}`, each size in a fresh process "
        "(`getrusage` of the command and of its part processes).\n\n" + header + "\n"
        + "\n".join(rows) + "\n\n" + notes(figures, args.jobs)
    )  # fmt: skip
    print(body)
    if not args.no_write:
        write_section(
            "synth-scale", "National-scale synthetic dataset (synth --form dataset)", body
        )


if __name__ == "__main__":
    main()

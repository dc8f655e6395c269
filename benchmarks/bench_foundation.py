"""Time the foundation's real work at several sizes and record it in benchmarks/RESULTS.md.

Each step runs in a fresh process (so peak memory is that step's own): ``casekit synth``,
``casekit validate``, ``casekit.load`` and ``casekit import`` into a new SQLite store. The
machine is shared and noisy, so the table also gives each size's time per 1,000 cases relative
to the smallest size, measured in the same run.

    python benchmarks/bench_foundation.py                 # 1k, 10k and 100k cases
    python benchmarks/bench_foundation.py --sizes 1000 5000
    python benchmarks/bench_foundation.py --sizes 100000 --steps synth --no-write

Each step also reports its CPU time (user + system): on a shared machine the wall-clock time
can be twice the CPU time, and the CPU time says what the step itself costs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _results import write_section

STEP = r"""
import json, resource, sys, time
step, path, extra = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
if step == "load":
    import casekit
    cb = casekit.load(path)
    detail = f"{len(cb.events)} events"
else:
    from casekit.cli import main
    args = {"synth": ["synth", "--out", path, "--cases", extra],
            "validate": ["validate", path],
            "import": ["import", path, "--into", extra]}[step]
    code = main(args)
    assert code == 0, f"{step} exited {code}"
    detail = ""
seconds = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_SELF)
peak = usage.ru_maxrss / 1024
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mib": peak, "detail": detail}))
"""


STEPS = ("synth", "validate", "load", "import")


def run_step(step: str, path: Path, extra: str = "") -> dict[str, float | str]:
    """Run one step in a fresh Python process and return its timing and peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", STEP, step, str(path), extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run every step at every size, print the table, and write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument(
        "--steps",
        nargs="+",
        choices=STEPS,
        default=list(STEPS),
        help="the steps to time (each needs the ones before it: validate, load and import "
        "read the bundle synth writes)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rows = []
    work = Path(tempfile.mkdtemp(prefix="casekit-bench-"))
    try:
        for n in args.sizes:
            bundle = work / f"b{n}"
            for step, extra in (
                ("synth", str(n)),
                ("validate", ""),
                ("load", ""),
                ("import", str(work / f"s{n}.sqlite")),
            ):
                if step != "synth" and step not in args.steps:
                    continue  # synth always runs: the other steps read what it writes
                if step == "import" and n > 10_000:
                    continue  # a team's store, not a national one: measured up to 10k cases
                result = run_step(step, bundle, extra)
                rows.append({"cases": n, "step": step, **result})
                print(
                    f"{n:>7} cases  {step:<9} {result['seconds']:7.1f} s "
                    f"(CPU {result['cpu']:.1f} s) {result['peak_mib']:7.0f} MiB  "
                    f"{result['detail']}",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    smallest = min(args.sizes)
    base = {r["step"]: r["seconds"] / r["cases"] for r in rows if r["cases"] == smallest}
    lines = [
        "| cases | step | seconds | peak MiB | time per case vs smallest size |",
        "|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        ratio = (r["seconds"] / r["cases"]) / base[r["step"]]
        lines.append(
            f"| {r['cases']:,} | {r['step']} | {r['seconds']:.1f} | "
            f"{r['peak_mib']:.0f} | {ratio:.2f} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.no_write or set(args.steps) != set(STEPS):
        return  # RESULTS.md keeps whole runs only
    write_section(
        "foundation",
        "Foundation: synth, validate, load, import",
        f"{table}\n\nGoal: 100k cases generated in under 60 s and validated in under 20 s. "
        "A ratio near 1 means the step scales linearly with the number of cases; below 1, "
        "a fixed start-up cost (importing pandas, about 0.6 s) weighs on the smallest size.",
    )


if __name__ == "__main__":
    main()

"""Time the foundation's real work at several sizes and record it in benchmarks/RESULTS.md.

Each step runs in a fresh process (so peak memory is that step's own): ``casekit synth``,
``casekit validate``, ``casekit.load`` and ``casekit import`` into a new SQLite store. The
machine is shared and noisy, so the table also gives each size's time per 1,000 cases relative
to the smallest size, measured in the same run.

    python benchmarks/bench_foundation.py                 # 1k, 10k and 100k cases
    python benchmarks/bench_foundation.py --sizes 1000 5000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"

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
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak, "detail": detail}))
"""


def run_step(step: str, path: Path, extra: str = "") -> dict[str, float | str]:
    """Run one step in a fresh Python process and return its timing and peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", STEP, step, str(path), extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> str:
    """Describe this machine: CPU, cores, memory, Python and library versions."""
    import numpy
    import pandas
    import pyarrow

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}; Python {platform.python_version()}, "
        f"pandas {pandas.__version__}, numpy {numpy.__version__}, pyarrow {pyarrow.__version__}"
    )


def main() -> None:
    """Run every step at every size, print the table, and write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
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
                if step == "import" and n > 10_000:
                    continue  # a team's store, not a national one: measured up to 10k cases
                result = run_step(step, bundle, extra)
                rows.append({"cases": n, "step": step, **result})
                print(
                    f"{n:>7} cases  {step:<9} {result['seconds']:7.1f} s "
                    f"{result['peak_mib']:7.0f} MiB  {result['detail']}",
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
    if args.no_write:
        return
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    marker = "<!-- foundation -->"
    section = (
        f"{marker}\n## Foundation: synth, validate, load, import\n\n"
        f"Run {dt.date.today().isoformat()} by `make bench` on: {machine()}.\n\n"
        f"{table}\n\nGoal: 100k cases generated in under 60 s and validated in under 20 s. "
        "A ratio near 1 means the step scales linearly with the number of cases; below 1, "
        "a fixed start-up cost (importing pandas, about 0.6 s) weighs on the smallest "
        "size.\n"
        f"{marker}\n"
    )
    if marker in text:
        before, _, rest = text.partition(marker)
        _, _, after = rest.partition(marker)
        text = before + section + after.lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()

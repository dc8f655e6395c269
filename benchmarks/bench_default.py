"""Time what changed when DuckDB became the default of ``flags()``: before and after, same run.

Each step runs in a fresh process, alternately on the code ``--before`` (a checkout, by default
``/work/main``, where ``flags()`` without ``engine=`` ran pandas; or an export of it, ``git
archive main``, so that nothing is written in a checkout in use) and on this checkout (the
process's shared DuckDB preview, its SQL compiled once per thresholds): a team review of the
committed synthetic bundle (``open_review``: the first in the process, a second, and one at a
new as-of date), and the supervision widget's flag preview of one case (``flags(case)``, as
the widget calls it: the first call in the process, later calls, and later calls each at a new
as-of date, as a supervisor changing the date). Figures are CPU seconds or milliseconds (the
machine is shared), each the median of ``--repeats`` fresh processes. With ``--tests``, the
test files the change touches are timed too, once each, before and after (CPU seconds of the
whole ``pytest`` process, from ``/usr/bin/time``'s counts).

    python benchmarks/bench_default.py --repeats 3 --tests
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _results import write_section

HERE = Path(__file__).resolve().parents[1]
STEP = r"""
import datetime as dt, json, statistics, sys, time
from pathlib import Path
import casekit
assert Path(casekit.__file__).resolve().is_relative_to(Path.cwd().resolve()), casekit.__file__
from casekit.analysis.proportionality import flags
from casekit.bundle.casebook import Casebook
from casekit.review.report import open_review
SYNTHETIC = Path("data/synthetic")

def cpu(run):
    c = time.process_time(); run(); return (time.process_time() - c) * 1000

out = {}
if sys.argv[1] == "review":
    team = str(casekit.load(SYNTHETIC).teams["team_id"].iloc[0])
    out["first"] = cpu(lambda: open_review(str(SYNTHETIC), team, as_of="2025-03-31"))
    out["again"] = cpu(lambda: open_review(str(SYNTHETIC), team, as_of="2025-03-31"))
    out["new_date"] = cpu(lambda: open_review(str(SYNTHETIC), team, as_of="2025-02-28"))
else:
    cb = casekit.load(SYNTHETIC)
    case = str(cb.events["case_id"].value_counts().index[0])
    one = Casebook({n: (t[t["case_id"] == case] if "case_id" in t else t)
                    for n, t in cb.tables.items()}, case)
    as_of = dt.date(2025, 3, 31)
    out["first"] = cpu(lambda: flags(one, as_of))
    out["later"] = statistics.median(cpu(lambda: flags(one, as_of)) for _ in range(15))
    out["new_date"] = statistics.median(
        cpu(lambda: flags(one, as_of - dt.timedelta(days=d))) for d in range(1, 16))
    out["events"] = len(one.events)
print(json.dumps(out))
"""
TESTS = [
    "tests/test_supervision.py",
    "tests/test_widget_supervision.py",
    "tests/test_proportionality.py",
    "tests/test_flag_guide.py",
]


def once(code: Path, what: str) -> dict[str, float]:
    """Run one step in a fresh process on ``code``'s casekit; give its figures."""
    env = dict(os.environ, PYTHONPATH=str(code), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", STEP, what],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])


def test_cpu(code: Path, test: str) -> tuple[float, str]:
    """Run one test file on ``code`` in one process; give its CPU seconds and its summary."""
    scratch = Path(tempfile.mkdtemp(prefix="casekit-bench-"))  # nothing written in ``code``
    env = dict(
        os.environ,
        PYTHONPATH=str(code),
        PYTHONDONTWRITEBYTECODE="1",
        CASEKIT_DEMO_STORE=str(scratch / "demo.sqlite"),
    )
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "pytest", test, "-q", "-n", "0"]
    done = subprocess.run(
        [*command, "-p", "no:warnings", "-p", "no:cacheprovider"],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
    )
    shutil.rmtree(scratch, ignore_errors=True)
    counts = {
        k: float(v) for k, v in re.findall(r"(User|System) time \(seconds\): ([\d.]+)", done.stderr)
    }
    summary = [line for line in done.stdout.splitlines() if " in " in line and "=" not in line]
    tail = summary[-1] if summary else done.stdout.strip().splitlines()[-1]
    return counts.get("User", 0.0) + counts.get("System", 0.0), tail


def main() -> None:
    """Measure before and after, alternating, and write the section."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="/work/main")
    parser.add_argument("--label", default="", help="what --before is, if not a git checkout")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tests", action="store_true", help="time the test files too")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    args = parser.parse_args()
    before = Path(args.before)
    commit = (
        subprocess.run(
            ["git", "-C", str(before), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        or args.label
    )
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for what in ("review", "preview"):
        runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for _ in range(args.repeats):
            runs["before"].append(once(before, what))
            runs["after"].append(once(HERE, what))
        figures[what] = {
            w: {k: statistics.median(r[k] for r in runs[w]) for k in runs[w][0]} for w in runs
        }
        print(what, json.dumps(figures[what]), flush=True)  # kept if a later step fails
    r, p = figures["review"], figures["preview"]
    lines = [
        f"Before: `{before}` at {commit} (`flags()` without `engine=` ran pandas); after: this "
        "checkout (the process's shared DuckDB preview, the SQL compiled once per thresholds, "
        f"the as-of date a parameter). CPU, median of {args.repeats} fresh processes each, "
        f"alternating; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
        "",
        "| step | before CPU ms | after CPU ms | after / before |",
        "|---|---:|---:|---:|",
    ]
    rows = [
        ("team review (`open_review`, committed synthetic), first in the process", r, "first"),
        ("team review, again (same as-of date)", r, "again"),
        ("team review, at a new as-of date", r, "new_date"),
        (f"widget preview, one case ({int(p['after']['events'])} events): first call", p, "first"),
        ("widget preview, later calls (median of 15)", p, "later"),
        ("widget preview, a new as-of date each call (median of 15)", p, "new_date"),
    ]
    for label, fig, key in rows:
        b, a = fig["before"][key], fig["after"][key]
        lines.append(f"| {label} | {b:.0f} | {a:.0f} | {a / b:.2f} |")
    if args.tests:
        lines += [
            "",
            "| test file (one pytest process, -n 0) | before CPU s | after CPU s | after / before "
            "| result after |",
            "|---|---:|---:|---:|---|",
        ]
        for test in TESTS:
            b_cpu, _ = test_cpu(before, test)
            a_cpu, summary = test_cpu(HERE, test)
            print(test, b_cpu, a_cpu, summary, flush=True)
            lines.append(
                f"| `{test}` | {b_cpu:.1f} | {a_cpu:.1f} | {a_cpu / b_cpu:.2f} | {summary} |"
            )
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("default-duckdb", "flags() on DuckDB by default: before and after", body)


if __name__ == "__main__":
    main()

"""Time what the security work costs: suppression across a review, private writes, the check.

Each pair is measured in the same run, so the ratio holds on a noisy machine:

- **Suppression.** ``casekit.review.sections.build`` for every team, without and with ``suppress``
  (the joint model hides cells until none can be worked out across the review's tables), on
  the committed synthetic bundle (360 cases) and a 2,000-case one.
- **The disclosure check** of one suppressed review's tables (CSVs and headline, linked).
- **Private writes.** ``casekit.outputs.write_private`` (a private scratch folder, 0600,
  flushed to disk, renamed) against a plain ``Path.write_bytes``, for 100 files of 100 KB.

    python benchmarks/bench_security.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from _results import WORK, write_section

from casekit import load
from casekit.cli import main as casekit
from casekit.outputs import write_private
from casekit.privacy.check import check_path
from casekit.review import sections as review

ROOT = Path(__file__).resolve().parents[1]


def bundle(cases: int) -> Path:
    """The committed bundle for 360 cases; otherwise one generated once into .work/."""
    if cases == 360:
        return ROOT / "data" / "synthetic"
    path = WORK / f"synthetic-{cases}"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        casekit(["synth", "--out", str(path), "--cases", str(cases), "--seed", "3"])
    return path


def builds(cases: int) -> tuple[float, float, int, int]:
    """Build every team's review plain and suppressed; return both times and hidden cells."""
    cb = load(bundle(cases))
    teams = sorted(cb.teams["team_id"])
    times = {}
    hidden = {}
    for suppress in (False, True):
        began = time.perf_counter()
        built = [review.build(cb, review.scope_for(cb, t, suppress=suppress)) for t in teams]
        times[suppress] = time.perf_counter() - began
        hidden[suppress] = sum(
            int((t.frame == "c").to_numpy().sum()) for r in built for t in r.tables()
        )
    return times[False], times[True], hidden[True], len(teams)


def check(folder: Path) -> float:
    """Write T01's suppressed review tables and time the disclosure check over them."""
    cb = load(bundle(360))
    built = review.build(cb, review.scope_for(cb, "T01", suppress=True))
    built.save_tables(folder / "tables")
    began = time.perf_counter()
    findings, _ = check_path(folder / "tables")
    took = time.perf_counter() - began
    assert findings == [], findings[:3]
    return took


def writes(folder: Path, n: int = 100, size: int = 100_000) -> tuple[float, float]:
    """Write ``n`` files plainly and privately, interleaved; return the two totals."""
    data = b"x" * size
    plain, private = [], []
    for i in range(n):
        began = time.perf_counter()
        (folder / f"plain{i}").write_bytes(data)
        plain.append(time.perf_counter() - began)
        began = time.perf_counter()
        write_private(folder / f"private{i}", data)
        private.append(time.perf_counter() - began)
    return sum(plain), sum(private)


def main() -> None:
    """Run every measure and record them in RESULTS.md."""
    lines = ["| measure | plain | with the protection | ratio |", "|---|---:|---:|---:|"]
    for cases in (360, 2_000):
        plain, suppressed, hidden, teams = builds(cases)
        lines.append(
            f"| review functions, {teams} teams of {cases:,} cases (suppressed: {hidden:,} "
            f"cells shown as c) | {plain:.1f} s | {suppressed:.1f} s | {suppressed / plain:.1f}x |"
        )
    with tempfile.TemporaryDirectory() as tmp:
        took = check(Path(tmp))
        lines.append(f"| disclosure check of T01's suppressed tables | | {took:.2f} s | |")
        runs = []
        for i in range(3):
            (Path(tmp) / f"w{i}").mkdir()
            runs.append(writes(Path(tmp) / f"w{i}"))
    plain = statistics.median(r[0] for r in runs)
    private = statistics.median(r[1] for r in runs)
    lines.append(
        f"| 100 files of 100 KB: `write_bytes` vs `write_private` (0600, flushed, renamed) "
        f"| {plain * 1000:.0f} ms | {private * 1000:.0f} ms | {private / plain:.1f}x |"
    )
    body = "\n".join(lines) + (
        "\n\nThe suppressed build also builds the plain review (the true counts) and then "
        "solves two linear programmes for each hidden cell that a few trial solutions do not "
        "already show to be free. Private writes flush every file to disk before the rename, "
        "so a crash or a full disk never leaves half a file. Writes: medians of 3 runs."
    )
    print(body)
    write_section("security", "Security: suppression, the disclosure check, private writes", body)


if __name__ == "__main__":
    main()

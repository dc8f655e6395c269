"""Time the team caseload reviews: one review against its floor, a batch, and large data.

- **One review against the floor.** ``run_team`` for one team of data/synthetic (papermill
  running notebooks/caseload_review.ipynb, then the HTML export), against the floor: papermill
  running a one-cell notebook on the same kernel, plus the same export, in the same run.
  Goal: at most 1.5x the floor.
- **Batch.** All six teams with ``--jobs 2`` against the same six one at a time.
  Goal: at most 0.6x the sequential time.
- **Large data.** The review functions (``casekit.review.build``) for every team of a
  100k-case Parquet bundle (generated once into benchmarks/.work/). Goal: under 10 s.

    python benchmarks/bench_review.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from _results import parquet_bundle, write_section

from casekit import load, review
from casekit.review_run import plan, run_reviews, run_team, to_html

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "data" / "synthetic"


def floor(folder: Path) -> float:
    """Papermill on a one-cell notebook (same kernel) plus the same HTML export."""
    import papermill

    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell("team = 'T01'")]
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    src, out = folder / "empty.ipynb", folder / "empty-out.ipynb"
    nbformat.write(book, src)
    began = time.perf_counter()
    papermill.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False)
    (folder / "empty.html").write_text(to_html(out, "floor"))
    return time.perf_counter() - began


def one_review(folder: Path) -> float:
    """One team's whole review: papermill on the review notebook, then the HTML export."""
    from casekit.review_run import NOTEBOOK

    scope = plan(SYNTHETIC, ["T01"])[0]
    began = time.perf_counter()
    result = run_team(SYNTHETIC.resolve(), folder, scope, NOTEBOOK)
    assert result.ok, result.error
    return time.perf_counter() - began


def batch(jobs: int) -> float:
    """All teams of the synthetic data, ``jobs`` at a time (including the index page)."""
    scopes = plan(SYNTHETIC, "all")
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        results = run_reviews(SYNTHETIC, tmp, scopes, jobs=jobs)
        took = time.perf_counter() - began
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    return took


def large(cases: int) -> tuple[float, float, int]:
    """Load a Parquet bundle of ``cases`` cases, then build every team's review."""
    path = parquet_bundle(cases)
    began = time.perf_counter()
    cb = load(path)
    loaded = time.perf_counter() - began
    began = time.perf_counter()
    teams = list(cb.teams["team_id"])
    for team in teams:
        review.build(cb, review.scope_for(cb, team))
    return loaded, time.perf_counter() - began, len(teams)


def main() -> None:
    """Measure, print, and write the review section of RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing (median)")
    parser.add_argument("--cases", type=int, default=100_000, help="cases for the large run")
    args = parser.parse_args()
    floors, reviews = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):  # interleaved, so both see the same machine load
            floors.append(floor(Path(tmp)))
            reviews.append(one_review(Path(tmp) / f"r{i}"))
    f, r = statistics.median(floors), statistics.median(reviews)
    sequential, parallel = batch(1), batch(2)
    loaded, built, teams = large(args.cases)
    lines = [
        "| measure | time | ratio | goal |",
        "|---|---:|---:|---|",
        f"| floor: papermill on a one-cell notebook + HTML export | {f:.1f} s | | |",
        f"| one team's review (papermill + export) | {r:.1f} s | {r / f:.2f}x the floor "
        "| at most 1.5x |",
        f"| all 6 teams one at a time | {sequential:.1f} s | | |",
        f"| all 6 teams, `--jobs 2` | {parallel:.1f} s | {parallel / sequential:.2f}x "
        "sequential | at most 0.6x |",
        f"| {args.cases:,} cases: load and validate the Parquet bundle | {loaded:.1f} s | | |",
        f"| {args.cases:,} cases: the review functions for all {teams} teams | {built:.1f} s "
        "| | under 10 s |",
    ]
    body = "\n".join(lines) + (
        f"\n\nMedians of {args.repeat} interleaved runs for the floor and one review. Each "
        "review runs in a fresh kernel that imports pandas, matplotlib and casekit and loads "
        "the bundle; the floor's kernel imports nothing."
    )
    print(body)
    write_section("review", "Team caseload reviews", body)


if __name__ == "__main__":
    main()

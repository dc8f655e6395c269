"""Time the team caseload reviews: one review against its floor, a batch, and large data.

- **One review against the floor.** The floor is papermill running a one-cell notebook on a
  fresh python3 kernel, plus the same HTML export. Against it, in the same run: the same with
  a cell that only imports what a review needs (pandas, matplotlib, casekit); one team's whole
  review from cold (``run_reviews`` for one team: kernel start, warm-up, notebook, export,
  index); and one team's review on a kernel already warm, as every team after the first in a
  batch runs. Goal: at most 1.5x the floor.
- **Batch.** All six teams with ``--jobs 2`` against the same six one at a time.
  Goal: at most 0.6x the sequential time.
- **Large data.** The review functions (``casekit.review.sections.build``) for every team of a
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

from casekit import load
from casekit.review import sections as review
from casekit.review.kernel import WarmKernel
from casekit.review.run import NOTEBOOK, plan, run_reviews, run_team, to_html

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "data" / "synthetic"
IMPORTS = "import pandas, matplotlib.figure\nfrom casekit import review_report"


def papermill_floor(folder: Path, source: str) -> float:
    """Papermill on a one-cell notebook (a fresh python3 kernel) plus the same HTML export."""
    import papermill

    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source)]
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    src, out = folder / "floor.ipynb", folder / "floor-out.ipynb"
    nbformat.write(book, src)
    began = time.perf_counter()
    papermill.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False)
    (folder / "floor.html").write_text(to_html(out, "floor"))
    return time.perf_counter() - began


def cold_review(folder: Path) -> float:
    """One team's whole review from cold: kernel start and warm-up, notebook, export, index."""
    scopes = plan(SYNTHETIC, ["T01"])
    began = time.perf_counter()
    results = run_reviews(SYNTHETIC, folder, scopes)
    assert results[0].ok, results[0].error
    return time.perf_counter() - began


def warm_reviews(folder: Path, teams: int) -> list[float]:
    """Each team's review on one kernel that is already warm (the first team warms it)."""
    scopes = plan(SYNTHETIC, "all")[:teams]
    data = SYNTHETIC.resolve()
    with WarmKernel(data) as kernel:
        took = [run_team(data, folder, s, NOTEBOOK, kernel).seconds for s in scopes]
    return took[1:]


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
    floors: list[float] = []
    imports: list[float] = []
    colds: list[float] = []
    warms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        papermill_floor(folder, "pass")  # the first export compiles the templates
        for i in range(args.repeat):  # interleaved, so all see the same machine load
            floors.append(papermill_floor(folder, "team = 'T01'"))
            imports.append(papermill_floor(folder, IMPORTS))
            colds.append(cold_review(folder / f"cold{i}"))
            warms += warm_reviews(folder / f"warm{i}", 3)
    f, imp = statistics.median(floors), statistics.median(imports)
    cold, warm = statistics.median(colds), statistics.median(warms)
    sequential, parallel = batch(1), batch(2)
    loaded, built, teams = large(args.cases)
    lines = [
        "| measure | time | ratio | goal |",
        "|---|---:|---:|---|",
        f"| floor: papermill on a one-cell notebook + HTML export | {f:.2f} s | | |",
        f"| the same, the cell importing pandas, matplotlib and casekit | {imp:.2f} s | "
        f"{imp / f:.2f}x the floor | |",
        f"| one team's review from cold (kernel start, warm-up, notebook, export) | {cold:.2f} s "
        f"| {cold / f:.2f}x the floor | at most 1.5x |",
        f"| one team's review on a warm kernel (each team after the first in a batch) "
        f"| {warm:.2f} s | {warm / f:.2f}x the floor | at most 1.5x |",
        f"| all 6 teams one at a time | {sequential:.1f} s | | |",
        f"| all 6 teams, `--jobs 2` | {parallel:.1f} s | {parallel / sequential:.2f}x "
        "sequential | at most 0.6x |",
        f"| {args.cases:,} cases: load and validate the Parquet bundle | {loaded:.1f} s | | |",
        f"| {args.cases:,} cases: the review functions for all {teams} teams | {built:.1f} s "
        "| | under 10 s |",
    ]
    verdict = (
        "already costs more than the 1.5x allowance, so a review from cold cannot meet it"
        if imp / f > 1.5
        else "fits within the 1.5x allowance"
    )
    body = "\n".join(lines) + (
        f"\n\nMedians of {args.repeat} interleaved runs (the warm figure: of "
        f"{len(warms)} teams). A batch starts `--jobs` kernels that each import and load the "
        "bundle once, then review team after team, so a warm kernel's review is the cost each "
        "further team adds. Importing pandas, matplotlib and casekit in a fresh kernel "
        f"{verdict}."
    )
    print(body)
    write_section("review", "Team caseload reviews", body)


if __name__ == "__main__":
    main()

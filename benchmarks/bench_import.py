"""Time importing a synthetic Annex A workbook and pseudonymising the bundle it makes.

The work of ``casekit import-annex-a`` (read the workbook, build the bundle, write it, load it
back to validate it, write the matching report) and then ``casekit pseudonymise`` (load,
pseudonymise, write, validate, report), on workbooks of about 5k and 50k rows (generated
once into benchmarks/.work/, not timed). Goal: 50k rows in under 60 s, both steps together.

    python benchmarks/bench_import.py
"""

from __future__ import annotations

import time
from pathlib import Path

from _results import WORK, write_section

from casekit.cli import main

SIZES = {5_000: 1_500, 50_000: 15_000}
"""Rows wanted -> synthetic cases (about 3.4 rows of lists 1 to 7 per case)."""


def workbook(rows: int) -> Path:
    """Generate (once) a synthetic Annex A workbook of about ``rows`` rows."""
    from casekit.synth.annex import annex_a_workbook

    path = WORK / f"annex-a-{rows}.xlsx"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        annex_a_workbook(path, cases=SIZES[rows], seed=1)
    return path


def measure(rows: int) -> dict[str, float]:
    """Time both commands on one workbook, as a user runs them."""
    import tempfile

    source = workbook(rows)
    with tempfile.TemporaryDirectory(prefix="casekit-bench-") as tmp:
        out, safe, key = Path(tmp) / "bundle", Path(tmp) / "safe", Path(tmp) / "key"
        began = time.perf_counter()
        assert main(["import-annex-a", str(source), "--out", str(out)]) == 0
        imported = time.perf_counter() - began
        began = time.perf_counter()
        assert main(["pseudonymise", str(out), "--out", str(safe), "--key-file", str(key),
                     "--new-key"]) == 0  # fmt: skip
        pseudonymised = time.perf_counter() - began
    from openpyxl import load_workbook

    book = load_workbook(source, read_only=True)
    count = sum(max(0, (sheet.max_row or 1) - 1) for sheet in book.worksheets)
    book.close()
    return {"rows": count, "import": imported, "pseudonymise": pseudonymised}


def main_() -> None:
    """Measure both sizes, print the table and write RESULTS.md."""
    results = [measure(rows) for rows in SIZES]
    lines = [
        "| workbook rows | import-annex-a | pseudonymise | both | goal |",
        "|---:|---:|---:|---:|---|",
    ]
    for r in results:
        both = r["import"] + r["pseudonymise"]
        goal = "under 60 s" if r["rows"] > 20_000 else ""
        lines.append(
            f"| {r['rows']:,} | {r['import']:.1f} s | {r['pseudonymise']:.1f} s | "
            f"{both:.1f} s | {goal} |"
        )
    small, large = results
    per_row = ((large["import"] + large["pseudonymise"]) / large["rows"]) / (
        (small["import"] + small["pseudonymise"]) / small["rows"]
    )
    body = "\n".join(lines) + (
        f"\n\nTime per row, large against small (same run): {per_row:.2f}x. Each step includes "
        "loading its output back to check that it is a valid bundle, and writing its report."
    )
    print(body)
    write_section("import", "Annex A import and pseudonymisation", body)


if __name__ == "__main__":
    main_()

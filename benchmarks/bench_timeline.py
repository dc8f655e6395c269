"""Time drawing a case's risk timeline at 300 events (each drawn) and 5k (summarised).

Two figures each: building the Figure (``casekit.analysis.timeline.plot``) and rendering it to PNG
as
the RiskTimeline widget does. Goal: a case with 5k events plotted in under 1 s.

    python benchmarks/bench_timeline.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from io import BytesIO
from pathlib import Path

import pandas as pd
from _results import write_section

import casekit
from casekit.analysis import timeline
from casekit.bundle.io import write_bundle
from casekit.synth.generator import generate


def case_with(events: int, work: Path) -> tuple[casekit.Casebook, str]:
    """A synthetic bundle in which one case holds ``events`` events spread over four years."""
    tables = generate(seed=5, n_cases=max(40, events // 12))
    ev = tables["events"]
    case_id = tables["cases"]["case_id"].iloc[0]
    ev = ev.head(events).copy()
    opened = pd.Timestamp(tables["cases"]["opened"].iloc[0])
    ev["case_id"] = case_id
    days = pd.Series(range(len(ev))) * (1400 / len(ev))
    ev["date"] = (opened + pd.to_timedelta(days.astype(int), unit="D")).dt.strftime("%Y-%m-%d")
    ev["recorded_on"] = ev["date"]
    for table in ("judgements", "decisions", "plan_actions", "supervisions"):
        tables[table] = tables[table].iloc[0:0]
    tables["events"] = ev
    tables["cases"].loc[0, "closed"] = ""
    return casekit.load(write_bundle(tables, work / f"case{events}")), case_id


def measure(cb: casekit.Casebook, case_id: str) -> tuple[float, float]:
    plots, renders = [], []
    for _ in range(5):
        start = time.perf_counter()
        fig = timeline.plot(cb, case_id)
        plots.append(time.perf_counter() - start)
        start = time.perf_counter()
        fig.savefig(BytesIO(), format="png", dpi=80)
        renders.append(time.perf_counter() - start)
    return statistics.median(plots), statistics.median(renders)


def main() -> None:
    """Measure, print and record."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="casekit-bench-") as tmp:
        for n in (300, 5_000):
            cb, case_id = case_with(n, Path(tmp))
            plot_s, render_s = measure(cb, case_id)
            rows.append((n, plot_s, render_s))
            print(n, f"plot {plot_s:.2f} s, render {render_s:.2f} s", flush=True)
    lines = [
        "| events in the case | plot (median of 5) | render to PNG | together |",
        "|---:|---:|---:|---:|",
    ]
    lines += [f"| {n:,} | {p:.2f} s | {r:.2f} s | {p + r:.2f} s |" for n, p, r in rows]
    (_, p1, r1), (_, p2, r2) = rows
    lines.append(
        f"| 5k vs 300 (same run) | {p2 / p1:.2f}x | {r2 / r1:.2f}x | {(p2 + r2) / (p1 + r1):.2f}x |"
    )
    body = (
        "\n".join(lines) + "\n\nGoal: a case with 5k events plotted in under 1 s. Above "
        f"{timeline.CROWDED} events in view, marks are summarised per lane, kind and week, "
        "so the figure's cost grows with the weeks shown, not the entries."
    )
    print(body)
    write_section("timeline", "Risk timeline: plotting a large case", body)


if __name__ == "__main__":
    main()

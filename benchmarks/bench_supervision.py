"""Time a reflective supervision session on cases of 100, 1k and 5k chronology entries.

- **Open**: build the SupervisionSession (case summary, current flags, significant entries,
  the risk timeline drawn as known today, entry lists for hypotheses and evidence).
- **Autosave**: one keystroke in a stage's text area, saved as the draft (median of 50).
  It must keep up with typing: a stage saves on every change.
- **Flag preview**: check a proposed decision for the flags it would raise (median of 10).
- **Save**: write the session, a decision and a judgement in one transaction, then redraw the
  case view and the timeline with them (median of 5).

    python benchmarks/bench_supervision.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from _results import store_with_big_case, write_section

import casekit
from casekit.widgets import SupervisionSession

SIZES = (100, 1_000, 5_000)


def fill(ws: SupervisionSession) -> None:
    for key, area in ws.stages.items():
        area.value = f"{key}: what we talked about"
    for i, (text, _, _) in enumerate(ws.hypotheses):
        text.value = f"Hypothesis {i}"
    ws.decision["response"].value = "early_help"
    ws.decision["lead_agency"].value = "social_care"
    ws.decision["family_engaged"].value = True
    ws.decision_evidence.value = (ws.entries[0][1],)
    ws.scales["child"].value = 7


def measure(entries: int, work: Path) -> dict[str, float]:
    """Time the four steps on one case of about ``entries`` entries."""
    store_path, case_id = store_with_big_case(entries, work)
    store = casekit.open(store_path, user="bench")
    began = time.perf_counter()
    ws = SupervisionSession(store, case_id, exports=work / "records")
    opened = time.perf_counter() - began
    keys = []
    for i in range(50):
        began = time.perf_counter()
        ws.stages["analysis"].value += "abcdefghij"[i % 10]
        keys.append(time.perf_counter() - began)
    fill(ws)
    checks = []
    for _ in range(10):
        began = time.perf_counter()
        ws.add_decision()
        checks.append(time.perf_counter() - began)
        ws.remove_decision(0)
    saves = []
    for _ in range(5):
        fill(ws)
        ws.add_decision()
        began = time.perf_counter()
        assert ws.save_session(), ws.message.value
        saves.append(time.perf_counter() - began)
    store.close()
    return {
        "entries": len(ws.entries),
        "open": opened,
        "key": statistics.median(keys) * 1000,
        "key_max": max(keys) * 1000,
        "check": statistics.median(checks) * 1000,
        "save": statistics.median(saves) * 1000,
    }


def main() -> None:
    """Measure every size, print the table and write RESULTS.md."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="casekit-bench-") as tmp:
        for size in SIZES:
            rows.append(measure(size, Path(tmp)))
            print(rows[-1], flush=True)
    lines = [
        "| entries on the case | open the session | autosave one keystroke (median, max) "
        "| flag preview | save, then redraw the case and its timeline |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['entries']:,} | {r['open']:.2f} s | {r['key']:.0f} ms, {r['key_max']:.0f} ms "
            f"| {r['check']:.0f} ms | {r['save']:.0f} ms |"
        )
    first, last = rows[0], rows[-1]
    body = "\n".join(lines) + (
        f"\n\nAutosave at {last['entries']:,} entries is {last['key'] / first['key']:.1f}x its "
        f"time at {first['entries']:,} (same run): a keystroke writes the whole draft, one "
        "fsync'd SQLite transaction, whatever the size of the case. Opening grows with the "
        "case (the timeline and the entry lists are drawn from every entry)."
    )
    print(body)
    write_section("supervision", "Reflective supervision session", body)


if __name__ == "__main__":
    main()

"""Time the access log: appending one entry, and reading a case's or a person's entries.

At 1k, 100k and 1M entries already in the log (filled directly, as years of a team's work
would), on SQLite with the store's own settings (WAL, ``synchronous=FULL``): the median of 30
appends (each its own transaction, fsync'd, as a widget or export writes it), and of 5 reads
of one case's entries and one person's (both columns indexed). Goals: an append under
20 ms and a case's entries in under 100 ms at 1M entries.

    python benchmarks/bench_audit.py
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from _results import write_section

import casekit

SIZES = (1_000, 100_000, 1_000_000)
USERS = [f"worker {i}" for i in range(60)]
ACTIONS = ["open_case"] * 8 + ["export_chronology", "export_supervision"]


def fill(path: Path, entries: int) -> None:
    """Add ``entries`` entries (a few thousand cases, 60 people) straight into the log."""
    rng = random.Random(entries)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO _access_log (at, user, action, case_id, detail) VALUES (?, ?, ?, ?, ?)",
            (
                (
                    f"2025-{1 + i * 12 // entries:02d}-01T09:00:00+00:00",
                    rng.choice(USERS),
                    rng.choice(ACTIONS),
                    f"C{rng.randrange(5_000):05d}",
                    "chronology builder",
                )
                for i in range(entries)
            ),
        )


def median_ms(run: object, times: int) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    """Measure, print and record."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="casekit-bench-") as tmp:
        for size in SIZES:
            path = Path(tmp) / f"log{size}.sqlite"
            casekit.open(path).close()
            fill(path, size)
            with casekit.open(path, user="bench") as store:
                append = median_ms(lambda: store.log_access("open_case", "C00042"), 30)
                case = median_ms(lambda: store.access_log(case_id="C00042"), 5)
                person = median_ms(lambda: store.access_log(user="worker 7"), 5)
                found = (
                    len(store.access_log(case_id="C00042")),
                    len(store.access_log(user="worker 7")),
                )
            rows.append((size, append, case, person, found))
            print(size, f"append {append:.1f} ms, case {case:.1f} ms, person {person:.1f} ms",
                  found, flush=True)  # fmt: skip
    lines = [
        "| entries in the log | append one (median of 30) | a case's entries (median of 5) "
        "| a person's entries (median of 5) |",
        "|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {n:,} | {a:.1f} ms | {c:.1f} ms ({f[0]:,} found) | {p:.1f} ms ({f[1]:,} found) |"
        for n, a, c, p, f in rows
    ]
    body = (
        "\n".join(lines)
        + "\n\nGoals: an append under 20 ms and a case's entries in under 100 ms at 1M entries. "
        "An append is one fsync'd transaction whatever the log's size; a case's and a "
        "person's entries come through the indexes on case_id and user, so the time grows with "
        "the entries found (and the DataFrame made of them), not the log. The 30 appends "
        "measured are all for the case read, C00042."
    )
    print(body)
    write_section("audit", "The access log: appending and reading", body)


if __name__ == "__main__":
    main()

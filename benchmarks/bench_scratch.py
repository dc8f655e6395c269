"""Time private single-file writes with their scratch note, beside few and many other files.

Every ``write_private`` first removes what killed writes of the same file left (it lists the
folder for ``.NAME.xxxxxxxx.partial`` names) and writes its scratch folder's note before the
file. Measured against ``Path.write_bytes`` in the same run, 100 files of 100 KB, in an empty
folder and in one holding 5,000 other files (the listing's cost); CPU time
(``time.process_time``) beside wall time, since the machine may be shared.

    python benchmarks/bench_scratch.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _results import write_section

from casekit.outputs import write_private

FILES = 100
SIZE = 100_000


def _time(write: Callable[[Path, bytes], object], others: int) -> tuple[float, float]:
    """Write FILES files into a fresh folder holding ``others`` files; give wall and CPU s."""
    data = os.urandom(SIZE)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(others):
            (folder / f"other{i}.csv").write_bytes(b"x")
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(FILES):
            write(folder / f"file{i}.csv", data)
        return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    """Run each measure ``--repeat`` times, interleaved, and write the medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    kinds = {"write_bytes": lambda p, d: p.write_bytes(d), "write_private": write_private}
    found: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for _ in range(args.repeat):
        for others in (0, 5000):
            for name, write in kinds.items():
                found.setdefault((name, others), []).append(_time(write, others))

    def med(name: str, others: int, which: int) -> float:
        return statistics.median(run[which] for run in found[(name, others)])

    rows = []
    for others in (0, 5000):
        plain_w, plain_c = med("write_bytes", others, 0), med("write_bytes", others, 1)
        ours_w, ours_c = med("write_private", others, 0), med("write_private", others, 1)
        rows.append(
            f"| {FILES} files of {SIZE // 1000} KB, beside {others:,} other files "
            f"| {plain_w * 1000:.0f} ms ({plain_c * 1000:.0f} ms CPU) "
            f"| {ours_w * 1000:.0f} ms ({ours_c * 1000:.0f} ms CPU) "
            f"| {ours_w / plain_w:.1f}x ({ours_c / plain_c:.1f}x CPU) |"
        )
    body = "\n".join(
        [
            "| measure | `write_bytes` | `write_private` (noted scratch, 0600, flushed, "
            "renamed; killed writes' leftovers removed first) | ratio |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            f"Medians of {args.repeat} runs, interleaved. The wall time is mostly the flush to "
            "disk each private write makes before its rename; the CPU time includes listing "
            "the folder for a killed write's scratch folder.",
        ]
    )
    write_section("scratch", "Private writes: the scratch note and the stale clean-up", body)
    print(body)


if __name__ == "__main__":
    main()

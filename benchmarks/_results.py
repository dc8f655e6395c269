"""Shared by the benchmark scripts: describe the machine and write a section of RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
WORK = Path(__file__).resolve().parent / ".work"
"""Generated bundles, kept between runs (not committed)."""


def parquet_bundle(cases: int) -> Path:
    """Generate (once) a synthetic Parquet bundle with this many cases, in WORK."""
    import subprocess
    import sys

    path = WORK / f"parquet-{cases}"
    if not (path / "events.parquet").exists():
        command = ["synth", "--out", str(path), "--cases", str(cases), "--form", "parquet"]
        subprocess.run([sys.executable, "-m", "casekit.cli", *command, "--overwrite"], check=True)
    return path


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


def write_section(key: str, title: str, body: str) -> None:
    """Replace (or append) the section ``key`` of RESULTS.md, stamped with date and machine."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    marker = f"<!-- {key} -->"
    section = (
        f"{marker}\n## {title}\n\nRun {dt.date.today().isoformat()} by `make bench` on: "
        f"{machine()}.\n\n{body}\n{marker}\n"
    )
    if marker in text:
        before, _, rest = text.partition(marker)
        _, _, after = rest.partition(marker)
        text = before + section + after.lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)

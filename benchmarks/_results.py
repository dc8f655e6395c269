"""Shared by the benchmark scripts: describe the machine and write a section of RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _generator_version() -> str:
    """Fingerprint the synthetic generator's source, so a changed generator regenerates."""
    import hashlib

    package = Path(__file__).resolve().parents[1] / "casekit"
    digest = hashlib.sha256()
    for name in ("synth/generator.py", "synth/narratives.py", "synth/annex.py", "contract.py"):
        digest.update((package / name).read_bytes())  # the generator's modules since the layout
    return digest.hexdigest()[:12]


WORK = Path(__file__).resolve().parent / ".work" / _generator_version()
"""Generated bundles, kept between runs (not committed), one folder per generator version:
figures are never measured on bundles an earlier generator made."""


LIVE_CHILDREN = r"""
def children():
    me, found = os.getpid(), []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if int(stat[1]) == me:
            hwm = [int(x.split()[1]) for x in status.splitlines() if x.startswith("VmHWM")]
            found.append(((int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK"), hwm))
    return found
"""
"""Source of ``children()`` for a step script (which imports ``os`` and ``Path``): this
process's live children, each as (CPU seconds, [peak resident KiB]). Spark's JVM is one:
pyspark keeps it running after the session stops, so ``RUSAGE_CHILDREN`` (children that have
ended) never counts it."""


def parquet_bundle(cases: int) -> Path:
    """Generate (once) a synthetic Parquet bundle with this many cases, in WORK."""
    import subprocess
    import sys

    path = WORK / f"parquet-{cases}"
    if not (path / "events.parquet").exists():
        command = ["synth", "--out", str(path), "--cases", str(cases), "--form", "parquet"]
        subprocess.run([sys.executable, "-m", "casekit.cli", *command, "--overwrite"], check=True)
    return path


def store_with_big_case(entries: int, work: Path) -> tuple[Path, str]:
    """Make a casebook store in ``work`` with one case of about ``entries`` chronology entries."""
    import datetime as dt

    import pandas as pd

    import casekit
    from casekit.bundle.io import write_bundle
    from casekit.synth.generator import generate

    store_path = work / f"store{entries}.sqlite"
    tiny = generate(seed=3, n_cases=2, n_teams=1)
    base = tiny["events"].iloc[0].to_dict()
    case_id = base["case_id"]
    rows = [
        dict(
            base,
            event_id=f"E-B{i:06d}",
            summary=f"Entry {i}",
            date=(dt.date(2022, 1, 1) + dt.timedelta(days=i % 900)).isoformat(),
            recorded_on=(dt.date(2022, 1, 1) + dt.timedelta(days=i % 900)).isoformat(),
        )
        for i in range(entries)
    ]
    tiny["events"] = pd.concat([tiny["events"], pd.DataFrame(rows)], ignore_index=True)
    bundle = write_bundle(tiny, work / f"tiny{entries}")
    with casekit.open(store_path) as store:
        store.import_casebook(casekit.load(bundle))
    return store_path, case_id


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


BY_HAND = "<!-- by hand -->"
"""A section's hand-written notes start at this line: a rerun keeps them (re-read them)."""


def write_section(key: str, title: str, body: str) -> None:
    """Replace (or append) the section ``key`` of RESULTS.md, stamped with date and machine.

    The measured part is replaced; notes written by hand after a :data:`BY_HAND` line in the
    section are kept, below the new figures (their author checks them against the new run).
    """
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    marker = f"<!-- {key} -->"
    kept = ""
    if marker in text:
        _, _, rest = text.partition(marker)
        old, _, _ = rest.partition(marker)
        if BY_HAND in old:
            kept = old[old.index(BY_HAND) :].rstrip("\n") + "\n"
    section = (
        f"{marker}\n## {title}\n\nRun {dt.date.today().isoformat()} by `make bench` on: "
        f"{machine()}.\n\n{body}\n{kept}{marker}\n"
    )
    if marker in text:
        before, _, rest = text.partition(marker)
        _, _, after = rest.partition(marker)
        text = before + section + after.lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


def run_step(script: str, args: list[str], timeout: int) -> dict:
    """Run a benchmark step's script in a fresh Python; give its last line's JSON, or the failure.

    A fresh process per step makes each step's peak memory its own.
    """
    import json
    import subprocess
    import sys

    try:
        done = subprocess.run(
            [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"failed": f"over {timeout} s"}
    if done.returncode != 0:
        return {"failed": (done.stderr.strip().splitlines() or ["?"])[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])

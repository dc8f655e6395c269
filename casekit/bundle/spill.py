"""DuckDB in this process, under a memory limit, spilling to a private temporary folder.

The one way casekit opens DuckDB: the dataset check (:mod:`casekit.bundle.dataset`) uses the
connection as it is, and the DuckDB engine (:mod:`casekit.engine.backends`) wraps it in Ibis.
Beyond its memory limit DuckDB writes to a folder only its owner can open (0700), removed
when the connection closes (a run killed outright leaves it, with a note of who wrote it, for
the next one to remove: :func:`casekit.outputs.private_temp`); nothing is printed (no
progress bar) and, unless asked, no extension is downloaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from casekit.errors import CasekitError
from casekit.outputs import private_temp
from casekit.stopping import interruptible

__all__ = ["SPILL_PREFIX", "PrivateDuckDB", "first_line", "private_duckdb"]

SPILL_PREFIX = "casekit-duckdb-"
"""The start of the name of a spill folder, in the temporary folder."""


class PrivateDuckDB:
    """An open DuckDB connection and its private spill folder; :meth:`close` removes both."""

    def __init__(self, con: Any, folder: Path):
        """Keep the connection and the folder it spills to."""
        self.con = con
        self.folder = folder
        import duckdb

        # a stopped command stops its query, whose InterruptException then carries the stop
        self._forget = interruptible(con.interrupt, duckdb.InterruptException)

    def close(self) -> None:
        """Close the connection, then remove the spill folder (twice is harmless)."""
        self._forget()
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PrivateDuckDB:
        """Use it as a context manager: it is closed on the way out."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close it."""
        self.close()


def private_duckdb(
    memory_limit: str | None = None, threads: int | None = None, *, ordered: bool = True
) -> PrivateDuckDB:
    """Open an in-memory DuckDB that spills to a private (0700) folder, removed on close.

    ``memory_limit`` (``"4GB"``; none: DuckDB's default) and ``threads`` bound it; a limit
    DuckDB cannot read is a :class:`CasekitError`. ``ordered=False`` lets DuckDB give rows in
    any order (less memory for large scans, for callers that sort or count).
    """
    import duckdb

    folder = private_temp(SPILL_PREFIX)  # 0700, noted; what killed runs left is removed first
    config: dict[str, Any] = {
        "temp_directory": str(folder / "spill"),
        "preserve_insertion_order": ordered,
        "autoinstall_known_extensions": False,
    }
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    try:
        con = duckdb.connect(config=config)
    except duckdb.Error as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if memory_limit and "memory" in str(exc).lower():
            raise CasekitError(
                f"memory limit {memory_limit!r}: DuckDB refused it ({first_line(exc)}). "
                "Give a size such as 4GB (in $CASEKIT_DUCKDB_MEMORY or memory_limit=)."
            ) from None
        raise
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    opened = PrivateDuckDB(con, folder)
    try:
        con.execute("SET enable_progress_bar = false")  # nothing printed beside casekit's own
    except BaseException:
        opened.close()
        raise
    return opened


def first_line(exc: BaseException) -> str:
    """Give an error's first line, with unprintable characters escaped."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in line)

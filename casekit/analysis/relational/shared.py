"""The default engine of ``flags()``: one warm in-process DuckDB shared by the whole process.

:func:`casekit.analysis.proportionality.flags` without ``engine=`` raises the flags of a
Casebook here, on the relational definition, with no set-up: the first call opens a
:class:`~casekit.analysis.relational.preview.Preview` (an in-process DuckDB with the flags' SQL
compiled once per thresholds, the as-of date a parameter), and every later call, from any
thread, reuses it (one call runs at a time). It is closed when the process exits, and a child
process made by ``fork`` opens its own (a DuckDB connection is not shared across processes).
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import threading
from typing import Any

import pandas as pd

from casekit.analysis.relational.preview import Preview
from casekit.analysis.thresholds import THRESHOLDS
from casekit.bundle.casebook import Casebook

__all__ = ["close_shared", "default_flags", "shared_preview", "warm", "warm_in_background"]

_LOCK = threading.Lock()
_SHARED: dict[int, Preview] = {}
"""The process's preview, by the id of the process that opened it (a forked child keeps its
parent's copy untouched, never used nor closed, and opens its own)."""


def shared_preview() -> Preview:
    """Give the process's shared preview, opening it on first use."""
    pid = os.getpid()
    with _LOCK:
        found = _SHARED.get(pid)
        if found is None:
            found = _SHARED[pid] = Preview()
        return found


def close_shared() -> None:
    """Close the process's shared preview, if open (the next call opens a new one)."""
    with _LOCK:
        found = _SHARED.pop(os.getpid(), None)
    if found is not None:
        found.close()


def warm(thresholds: dict[str, Any] | None = None) -> None:
    """Open the shared preview and compile its SQL for ``thresholds`` (default: the policy's).

    The slow first step of the first ``flags()`` in a process (about 2 CPU seconds), done ahead
    of time: a review kernel runs it while the parameters are checked.
    """
    shared_preview().sql(dict(THRESHOLDS) if thresholds is None else thresholds)


def warm_in_background(thresholds: dict[str, Any] | None = None) -> threading.Thread:
    """Start :func:`warm` in a thread of its own and give that thread.

    A widget that will show flags starts it while a person chooses a case, so the first case
    opens without waiting about two seconds for the SQL. A failure there is left for the call
    that needs the flags, which meets it again and says it.
    """

    def run() -> None:
        try:
            warm(thresholds)
        except Exception:  # the first flags() call reports it  # noqa: S110
            pass

    thread = threading.Thread(target=run, name="casekit-warm-flags", daemon=True)
    thread.start()
    return thread


def default_flags(casebook: Casebook, as_of: dt.date, thresholds: dict[str, Any]) -> pd.DataFrame:
    """Raise every flag of ``casebook`` as known at ``as_of`` on the shared DuckDB."""
    return shared_preview().flags(casebook, as_of, thresholds)


atexit.register(close_shared)

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
import contextlib
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
_WARMING: list[threading.Thread] = []
"""The background warm-ups started (:func:`warm_in_background`), that a fork waits for."""
FORK_WAIT = 60.0
"""The most seconds a fork, or the exit, waits for a background warm-up to end."""


def _warmed() -> None:
    """Wait for the background warm-ups to end (each at most :data:`FORK_WAIT` s).

    Before a fork: a warm-up holds locks while it runs (this module's, a module's import,
    DuckDB's own), which a child forked meanwhile would have held by a thread it does not
    have, and wait on for ever. At exit: a warm-up may open the preview after it was closed.
    """
    for thread in list(_WARMING):
        if thread.ident is not None and thread is not threading.current_thread():  # started
            thread.join(FORK_WAIT)


def _after_fork_in_child() -> None:
    """Give a forked child a lock of its own: another thread may have held the parent's."""
    global _LOCK
    _LOCK = threading.Lock()
    _WARMING.clear()


os.register_at_fork(before=_warmed, after_in_child=_after_fork_in_child)


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
    that needs the flags, which meets it again and says it. A fork meanwhile waits for it to
    end (:func:`_warmed`), and so does the exit's close.
    """

    def run() -> None:
        try:
            warm(thresholds)
        except Exception:  # the first flags() call reports it  # noqa: S110
            pass
        finally:
            with contextlib.suppress(ValueError):  # a fork may have cleared the list
                _WARMING.remove(threading.current_thread())

    thread = threading.Thread(target=run, name="casekit-warm-flags", daemon=True)
    _WARMING.append(thread)  # before it starts, so that a fork never misses it
    thread.start()
    return thread


def default_flags(casebook: Casebook, as_of: dt.date, thresholds: dict[str, Any]) -> pd.DataFrame:
    """Raise every flag of ``casebook`` as known at ``as_of`` on the shared DuckDB."""
    return shared_preview().flags(casebook, as_of, thresholds)


def _close_at_exit() -> None:
    """Close the shared preview at exit, once a background warm-up that may open it has ended."""
    _warmed()
    close_shared()


atexit.register(_close_at_exit)

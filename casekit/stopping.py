"""Stop the engines' running queries at once when a command is stopped (SIGTERM, Ctrl-C).

Python runs a signal's handler only between bytecodes of the main thread. While DuckDB runs a
query the main thread waits in C, and DuckDB notices a pending signal only at its own checks,
which some queries (a cross join, a part of huge dictionary strings) reach after minutes or
never. So :func:`watching` also has the signal written to a pipe (``signal.set_wakeup_fd``),
which a small thread reads the moment it arrives: it remembers the signal and interrupts every
query that registered how to stop (:func:`interruptible`), from outside the waiting thread, as
DuckDB's ``interrupt()`` is made to be called. The command then unwinds through its clean-up.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["interruptible", "signalled", "watching"]

_STOPS: dict[int, Callable[[], object]] = {}
_SIGNALLED: list[int] = []
_LOCK = threading.Lock()
_WATCHED = (signal.SIGTERM, signal.SIGINT)


def interruptible(stop: Callable[[], object]) -> Callable[[], None]:
    """Register how to stop a running query (a DuckDB connection's ``interrupt``).

    Gives the function that forgets it again (call it when the connection closes).
    """
    key = id(stop)
    with _LOCK:
        _STOPS[key] = stop

    def forget() -> None:
        with _LOCK:
            _STOPS.pop(key, None)

    return forget


def signalled() -> list[int]:
    """Give the stop signals that reached the command being watched, first first."""
    return list(_SIGNALLED)


def _interrupt_all() -> None:
    """Interrupt every registered query (each at most once a signal; errors ignored)."""
    with _LOCK:
        stops = list(_STOPS.values())
    for stop in stops:
        try:
            stop()
        except Exception:  # a connection closed meanwhile: nothing to stop  # noqa: S110
            pass


@contextmanager
def watching() -> Iterator[None]:
    """Watch for SIGTERM and SIGINT while a command runs; interrupt the queries when one comes.

    The Python handlers the caller sets still run (and raise) when the main thread gets to
    them; this only makes sure a query in C does not hold them off. Only in the main thread.
    """
    _SIGNALLED.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read, write = os.pipe()
    os.set_blocking(write, False)
    try:
        previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    except ValueError:  # not the main interpreter's thread after all
        os.close(read)
        os.close(write)
        yield
        return

    def watch() -> None:
        while True:
            try:
                got = os.read(read, 64)
            except OSError:
                return
            if not got:
                return
            stops = [n for n in got if n in _WATCHED]
            if stops:
                _SIGNALLED.extend(stops)
                _interrupt_all()

    watcher = threading.Thread(target=watch, name="casekit-stop-watcher", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        os.close(write)  # the watcher reads the end of the pipe and stops
        watcher.join(timeout=5)
        os.close(read)

"""Stop the engines' running queries at once when a command is stopped (SIGTERM, Ctrl-C).

Python runs a signal's handler only between bytecodes of the main thread. While DuckDB runs a
query the main thread waits in C, and DuckDB notices a pending signal only at its own checks,
which some queries (a cross join, a part of huge dictionary strings) reach after minutes or
never. So :func:`watching` also has the signal written to a pipe (``signal.set_wakeup_fd``),
which a small thread reads the moment it arrives: it remembers the signal and interrupts every
query that registered how to stop (:func:`interruptible`), from outside the waiting thread, as
DuckDB's ``interrupt()`` is made to be called. The command then unwinds through its clean-up.

One stop is one exception. The interrupted query raises the engine's own error in the main
thread, and the command's Python handler runs just after, in the middle of that error's
clean-up: were it to raise as well, its exception would cut the clean-up short (a spill folder
left, a connection left open). So the handler asks :func:`must_raise` first, which says no
while an interrupted query's error is already on its way out. And an ``interrupt()`` that
reaches DuckDB just before a query starts is forgotten when it starts, so the watcher
interrupts again every :data:`AGAIN` seconds until the handler has run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = [
    "AGAIN",
    "TRIES",
    "from_a_stop",
    "interruptible",
    "must_raise",
    "signalled",
    "watching",
]

AGAIN = 0.2
"""Seconds between the watcher's interrupts, until the main thread's handler has run."""

TRIES = 10
"""The most interrupts one stop makes (2 s of them): a stop is rarely not taken by then."""

_STOPS: dict[int, Callable[[], object]] = {}
_INTERRUPTIONS: set[type[BaseException]] = set()
_SIGNALLED: list[int] = []
_LOCK = threading.Lock()
_HANDLED = [0]
_WATCHED = (signal.SIGTERM, signal.SIGINT)


def interruptible(
    stop: Callable[[], object], raises: type[BaseException] | None = None
) -> Callable[[], None]:
    """Register how to stop a running query (a DuckDB connection's ``interrupt``).

    ``raises`` is the kind of error the interrupted query raises (DuckDB's
    ``InterruptException``), so that the handler lets that error carry the stop. Gives the
    function that forgets ``stop`` again (call it when the connection closes).
    """
    key = id(stop)
    with _LOCK:
        _STOPS[key] = stop
        if raises is not None:
            _INTERRUPTIONS.add(raises)

    def forget() -> None:
        with _LOCK:
            _STOPS.pop(key, None)

    return forget


def signalled() -> list[int]:
    """Give the stop signals that reached the command being watched, first first."""
    return list(_SIGNALLED)


def must_raise() -> bool:
    """Tell a stop signal's handler whether to raise its exception (call it from the handler).

    False while an interrupted query's error is being handled, in the handler's thread: that
    error already carries the stop out, through the clean-up a second exception would cut
    short. Calling it also tells the watcher that the stop has reached the main thread.
    """
    with _LOCK:
        _HANDLED[0] += 1
    with _LOCK:
        kinds = tuple(_INTERRUPTIONS)
    return not (kinds and any(isinstance(e, kinds) for e in _chain(sys.exc_info()[1])))


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """Give ``exc`` and the errors it was raised from or while handling, each once."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        yield exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__


def from_a_stop(exc: BaseException | None) -> bool:
    """Say whether ``exc`` is a stop (``KeyboardInterrupt``) or was met while handling one.

    Such as the broken pipe py4j meets closing its connection after a stop reached its call:
    its traceback, logged, says nothing the command's one line does not.
    """
    return any(isinstance(e, KeyboardInterrupt) for e in _chain(exc))


def _interrupt_all() -> None:
    """Interrupt every registered query (errors ignored)."""
    with _LOCK:
        stops = list(_STOPS.values())
    for stop in stops:
        try:
            stop()
        except Exception:  # a connection closed meanwhile: nothing to stop  # noqa: S110
            pass


def _handled() -> int:
    """Count the times the main thread's handler asked :func:`must_raise`."""
    with _LOCK:
        return _HANDLED[0]


def _watch(read: int) -> None:
    """Read the signals written to ``read``; interrupt the queries until the handler has run.

    Each stop interrupts the queries at once, even one whose handler has already run:
    DuckDB's own signal check runs the handler during a query, but a query that never
    reaches its next check runs on. Until the handler has run they are interrupted again
    every :data:`AGAIN` seconds, :data:`TRIES` times in all at most.
    """
    seen = _handled()
    tries = 0
    while True:
        try:
            ready, _, _ = select.select([read], [], [], AGAIN if tries else None)
            got = os.read(read, 64) if ready else None
        except (OSError, ValueError):  # the pipe was closed: the command is over
            return
        if got == b"":
            return
        stops = [n for n in got or b"" if n in _WATCHED]
        if stops:
            _SIGNALLED.extend(stops)
            tries = TRIES
        if tries and _handled() != seen:  # the handler has run: no more tries after this one
            seen, tries = _handled(), 1 if stops else 0
        if tries:
            _interrupt_all()
            tries -= 1


class _QuietStops(logging.Handler):
    """Log as Python does with no logging set up, but not a stop's traceback.

    py4j (Spark) logs the ``KeyboardInterrupt`` a stop raises in its call, traceback and all,
    on the root logger, which sets up logging to standard error at that moment, and then the
    broken pipe it meets closing its connection: the command says the stop in one line instead.
    """

    def __init__(self) -> None:
        """Pass on what Python's last-resort handler would show (warnings and worse)."""
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        """Show ``record`` on standard error, unless it is a stop's traceback."""
        if record.exc_info and from_a_stop(record.exc_info[1]):
            return
        last = logging.lastResort
        if last is not None:
            last.handle(record)


@contextmanager
def _no_stop_tracebacks() -> Iterator[None]:
    """Keep stops' tracebacks that libraries log off standard error (if logging is not set up)."""
    root = logging.getLogger()
    if root.handlers:  # the program set logging up: its choice
        yield
        return
    quiet = _QuietStops()
    root.addHandler(quiet)
    try:
        yield
    finally:
        root.removeHandler(quiet)


@contextmanager
def watching() -> Iterator[None]:
    """Watch for SIGTERM and SIGINT while a command runs; interrupt the queries when one comes.

    The Python handlers the caller sets still run when the main thread gets to them (and
    raise, if :func:`must_raise` says so); this only makes sure a query in C does not hold
    them off, and that a library logging the stop it met does not print its traceback. Only
    in the main thread.
    """
    _SIGNALLED.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read, write = os.pipe()
    previous = -1  # what the wakeup fd was (none, unless a stop came before it was kept)
    watcher: threading.Thread | None = None
    try:  # a stop's handler may raise at any point of the setting up: undone all the same
        os.set_blocking(write, False)
        try:
            previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        except ValueError:  # not the main interpreter's thread after all
            ours = False
        else:
            ours = True
            watcher = threading.Thread(
                target=_watch, args=(read,), name="casekit-stop-watcher", daemon=True
            )
            watcher.start()
        with _no_stop_tracebacks() if ours else contextlib.nullcontext():
            yield
    finally:
        with contextlib.suppress(ValueError):  # (not the main interpreter's thread)
            now = signal.set_wakeup_fd(previous)
            if now != write:  # it was never ours: put back what was there
                signal.set_wakeup_fd(now)
        os.close(write)  # the watcher reads the end of the pipe and stops
        if watcher is not None and watcher.ident is not None:
            watcher.join(timeout=5)
        os.close(read)

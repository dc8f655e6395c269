"""The ``casekit`` command: one entry point with a subcommand for each job.

Each command group adds its own subcommands from its module: ``bundle`` (validate, import,
export, contract), ``synth``, ``casework`` (flags, flag-guide, chronology, supervision),
``imports`` (import-annex-a, import-csv), ``privacy`` (pseudonymise, disclosure-check),
``review``, ``app``, ``audit`` (the access log), ``store`` (upgrade, current: the store's
schema) and ``users`` (a store's named users and their roles); what they share is in
``common``.

Exit codes: 0 done, 2 a user error (explained, no traceback), 1 an internal error (a bug).

``hub`` adds ``hub-server``, what JupyterHub starts for each person (``deploy/jupyterhub``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from casekit import __version__, stopping
from casekit.cli import (
    app,
    audit,
    bundle,
    casework,
    hub,
    imports,
    privacy,
    review,
    store,
    synth,
    users,
)
from casekit.cli.common import Parser
from casekit.errors import CasekitError, for_terminal, hide_secrets

__all__ = ["main", "build_parser"]

# The subcommands in the order ``casekit --help`` lists them.
COMMANDS = (
    bundle.add_validate,
    synth.add_synth,
    bundle.add_import,
    bundle.add_export,
    bundle.add_contract,
    casework.add_flag_guide,
    casework.add_flags,
    app.add_app,
    casework.add_chronology,
    imports.add_import_annex_a,
    imports.add_import_csv,
    privacy.add_pseudonymise,
    privacy.add_disclosure_check,
    casework.add_supervision,
    review.add_review,
    audit.add_audit,
    store.add_store,
    users.add_users,
    hub.add_hub_server,
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for ``casekit`` and all its subcommands."""
    parser = Parser(  # its subcommands' parsers too: errors show no value holding a secret
        prog="casekit",
        description="Proportionate safeguarding casework under the Prevent duty.",
        epilog="Exit codes: 0 done, 2 user error (explained), 1 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"casekit {__version__}")
    sub: argparse._SubParsersAction[argparse.ArgumentParser] = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=Parser
    )
    for add in COMMANDS:
        add(sub)
    return parser


class Stopped(KeyboardInterrupt):
    """SIGTERM reached casekit: a scheduler or ``kill`` stops the run as Ctrl-C would."""


_SIGNALLED: list[int] = []
"""The stop signals that reached the running command (an engine may swallow the exception)."""


@contextmanager
def _stopped_as_interrupted() -> Iterator[None]:
    """Turn SIGTERM into :class:`Stopped` while a command runs, so its clean-up runs.

    Without it SIGTERM ends Python at once: a half-written dataset's scratch folder and an
    engine's spill folder would be left behind. Ctrl-C stays a ``KeyboardInterrupt``. Both are
    remembered: DuckDB turns the exception raised inside a running query into its own "Query
    interrupted" error, which :func:`main` then reports as the stop it was. Servers that set
    their own handler keep it.
    """
    _SIGNALLED.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        _SIGNALLED.append(signum)
        if stopping.must_raise():  # not when an interrupted query's error carries the stop
            raise Stopped

    def interrupt(signum: int, frame: object) -> None:
        _SIGNALLED.append(signum)
        if stopping.must_raise():
            raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGTERM)
    previous_int = signal.getsignal(signal.SIGINT)
    try:  # a stop may come as soon as the handler is set: the handlers are put back after it
        signal.signal(signal.SIGTERM, stop)
        if previous_int is signal.default_int_handler:  # not when ignored (a background job)
            signal.signal(signal.SIGINT, interrupt)
        with stopping.watching():  # a query waiting in C is interrupted at once
            yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)


def _said_stopped(signum: int) -> int:
    """Say the command was stopped by ``signum``, as the shell would count it; give the code."""
    if signum == signal.SIGTERM:
        print("casekit: stopped (SIGTERM); nothing half-written was kept.", file=sys.stderr)
    else:
        print("casekit: interrupted; nothing half-written was kept.", file=sys.stderr)
    return 128 + signum


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``casekit`` with ``argv``; return its exit code (0 done, 2 user error, 1 bug)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    name = " ".join(filter(None, [args.command, getattr(args, "action", None)]))
    try:
        with _stopped_as_interrupted():
            return run(args)
    except CasekitError as exc:
        stopped = _SIGNALLED or stopping.signalled()
        if stopped:  # the stop's error became casekit's own on the way out
            return _said_stopped(stopped[0])
        print(f"casekit {name}: {for_terminal(hide_secrets(str(exc)))}", file=sys.stderr)
        return 2
    except Stopped:
        return _said_stopped(signal.SIGTERM)
    except KeyboardInterrupt:
        return _said_stopped(signal.SIGINT)
    except Exception as exc:  # a full disk is one line; anything else is a bug, said plainly
        from casekit.outputs import write_failure

        stopped = _SIGNALLED or stopping.signalled()
        if stopped:  # an engine turned the stop into its own error on the way out
            return _said_stopped(stopped[0])

        failure = write_failure(exc)
        if failure is not None:  # one line, with no record's data in it
            print(f"casekit {name}: {failure}", file=sys.stderr)
            return 2
        print(
            f"casekit {name}: internal error (a bug in casekit, not your data). "
            "Please report it with the details below.",
            file=sys.stderr,
        )
        traceback.print_exc()
        return 1

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
import sys
import traceback
from collections.abc import Callable, Sequence

from casekit import __version__
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
from casekit.errors import CasekitError

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
    parser = argparse.ArgumentParser(
        prog="casekit",
        description="Proportionate safeguarding casework under the Prevent duty.",
        epilog="Exit codes: 0 done, 2 user error (explained), 1 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"casekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``casekit`` with ``argv``; return its exit code (0 done, 2 user error, 1 bug)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    name = " ".join(filter(None, [args.command, getattr(args, "action", None)]))
    try:
        return run(args)
    except CasekitError as exc:
        print(f"casekit {name}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("casekit: interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130
    except Exception as exc:  # a full disk is one line; anything else is a bug, said plainly
        from casekit.outputs import write_failure

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

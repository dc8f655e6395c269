"""Run the ``casekit`` command (``python -m casekit``, and the installed ``casekit`` script).

A Ctrl-C while Python is still importing the command's modules (pandas, pyarrow: most of a
second) is said in one line, as a Ctrl-C later is, never as a traceback. ``import casekit``
itself imports nothing heavy, so only the first few milliseconds are left uncovered.
"""

from __future__ import annotations

import sys

INTERRUPTED = "casekit: interrupted; nothing was done."


def main() -> int:
    """Import the command line and run it; give its exit code (130 if stopped while starting).

    Once the command runs, :func:`casekit.cli.main` says a Ctrl-C itself; one that escapes it
    came before the command began (while its options were read).
    """
    try:
        from casekit.cli import main as run

        return run()
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

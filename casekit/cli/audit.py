"""The ``casekit audit`` command: read a store's access log, for a case or a person."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from casekit.cli.common import parse_date
from casekit.errors import CasekitError, did_you_mean

if TYPE_CHECKING:
    from casekit.store.db import Store

__all__ = ["add_audit"]


def _cmd_audit(args: argparse.Namespace) -> int:
    from casekit.render.xlsx import write_people_csv
    from casekit.store.audit import format_log
    from casekit.store.db import open_store

    where = args.store or os.environ.get("CASEKIT_STORE", "")
    if not where:
        raise CasekitError("name the store whose access log to read: --store PATH_OR_URL.")
    for flag, value in (("--case", args.case), ("--user", args.user)):
        if value is not None and not value.strip():
            raise CasekitError(f"{flag} is empty: give a {flag[2:]} to read the log for.")
    with open_store(where, user=args.acting, create=False, readonly=True) as store:  # read only
        log = store.access_log(case_id=args.case, user=args.user, since=args.since)
        if log.empty:
            _refuse_unknown(store, args)
    if args.format == "csv":
        write_people_csv(log, sys.stdout)
    else:
        print(format_log(log))
    what = " and ".join(
        f"{name} {value!r}"
        for name, value in (("case", args.case), ("user", args.user))
        if value is not None
    )
    since = f" since {args.since}" if args.since else ""
    entries = "entry" if len(log) == 1 else "entries"
    print(
        f"{len(log)} access log {entries}{' for ' + what if what else ''}{since}", file=sys.stderr
    )
    return 0


def _refuse_unknown(store: Store, args: argparse.Namespace) -> None:
    """Refuse a --case or --user the log has never seen (a mistyped name), with a hint."""
    everything = store.access_log()
    if args.user is not None and args.user not in set(everything["user"]):
        hint = did_you_mean(args.user, sorted(set(everything["user"])))
        raise CasekitError(
            f"--user {args.user!r}: nobody of that name is in the store's access log"
            + (f" ({hint})" if hint else "")
            + ". Names are recorded exactly as each person was known when acting."
        )
    if args.case is not None and args.case not in set(everything["case_id"]):
        try:
            store.get("cases", args.case)
        except CasekitError:
            cases = sorted(set(everything["case_id"].dropna()))
            hint = did_you_mean(args.case, cases)
            raise CasekitError(
                f"--case {args.case!r}: there is no such case in the store or its access log"
                + (f" ({hint})" if hint else "")
                + "."
            ) from None


def add_audit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit audit``: the store's access log, for a case, a person or a period."""
    p = sub.add_parser(
        "audit",
        help="read a store's access log: who opened, exported or reviewed what, when and why",
        description="Print the entries of a casebook store's append-only access log, oldest "
        "first: when (UTC), who, what (open_case, export_chronology, export_supervision, "
        "review), the case, the detail and the reason given. The store is only read.",
    )
    p.add_argument(
        "--store",
        default=None,
        help="casebook store: a .sqlite path or a URL (default $CASEKIT_STORE)",
    )
    p.add_argument("--case", default=None, help="only the entries about this case_id")
    p.add_argument("--user", default=None, help="only the entries of this person")
    p.add_argument(
        "--as",
        dest="acting",
        default=None,
        metavar="NAME",
        help="who is reading the log, in a store with users (default $JUPYTERHUB_USER, "
        "$CASEKIT_USER, your login)",
    )
    p.add_argument(
        "--since", type=parse_date, default=None, help="only entries on or after this day (UTC)"
    )
    p.add_argument(
        "--format",
        choices=("table", "csv"),
        default="table",
        help="a table for the screen (default) or CSV",
    )
    p.set_defaults(run=_cmd_audit)

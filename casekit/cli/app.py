"""The ``casekit app`` command: the notebooks served as an app on localhost."""

from __future__ import annotations

import argparse

from casekit.cli.common import positive
from casekit.errors import CasekitError

__all__ = ["add_app"]


def _cmd_app(args: argparse.Namespace) -> int:
    from casekit.app.server import add_user, run

    if args.add_user:
        if not args.users:
            raise CasekitError("--add-user NAME needs --users FILE, the file to add NAME to.")
        print(f"set {args.add_user!r}'s password in {add_user(args.users, args.add_user)}")
        return 0
    return run(
        args.store,
        args.case,
        args.port,
        args.password,
        args.user,
        args.browser,
        args.users,
        args.reports,
        args.notebooks,
    )


def add_app(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit app``: serve the notebooks on 127.0.0.1."""
    p = sub.add_parser(
        "app",
        help="serve the practitioner and supervisor notebooks as an app on localhost",
        description="Serve casekit's notebooks as a Voila app, bound to 127.0.0.1 only and "
        "answering only local host names. Open the printed http://127.0.0.1:PORT/?token=... "
        "address (a new token every start), or log in with the --password you set, and "
        "choose a notebook.",
    )
    p.add_argument(
        "--store",
        default="",
        help="casebook store (.sqlite path or URL); default "
        "$CASEKIT_STORE, else a demo store made from the synthetic data",
    )
    p.add_argument("--case", default="", help="open this case straight away")
    p.add_argument("--port", type=positive, default=8866, help="port (default 8866)")
    p.add_argument("--browser", action="store_true", help="open a web browser")
    p.add_argument(
        "--password",
        action="store_true",
        help="ask for a password to log in with instead of a token "
        "(or set $CASEKIT_APP_PASSWORD_HASH to a jupyter_server password hash)",
    )
    p.add_argument(
        "--user",
        default="",
        help="the name entries and sessions are recorded under "
        "(default $CASEKIT_USER, else your login name)",
    )
    p.add_argument(
        "--users",
        default="",
        metavar="FILE",
        help="log in with a name and password from FILE (made with --add-user); "
        "entries are then recorded under the name logged in with",
    )
    p.add_argument(
        "--add-user",
        default="",
        metavar="NAME",
        help="ask for NAME's password and save its hash in the --users FILE, then stop",
    )
    p.add_argument(
        "--reports",
        default="",
        metavar="FOLDER",
        help="the folder casekit review --out wrote, whose pages the home page links to "
        "(default reports/ in the casekit folder, where make review writes)",
    )
    p.add_argument(
        "--notebooks",
        default="",
        metavar="DIR",
        help="serve the notebooks from DIR, a private folder where casekit keeps its copies "
        "(never over ones you changed) and supervision records are saved (default: a "
        "checkout's notebooks/, else ~/.local/share/casekit/notebooks)",
    )
    p.set_defaults(run=_cmd_app)

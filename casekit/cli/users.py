"""The ``casekit users`` command: add, remove and list a store's named users and their roles."""

from __future__ import annotations

import argparse
import os

from casekit.errors import CasekitError

__all__ = ["add_users"]


def _where(args: argparse.Namespace) -> str:
    where = args.store or os.environ.get("CASEKIT_STORE", "")
    if not where:
        raise CasekitError("name the store whose users to manage: --store PATH_OR_URL.")
    return str(where)


def _cmd_add(args: argparse.Namespace) -> int:
    from casekit.store.db import open_store
    from casekit.store.users import add_user

    with open_store(_where(args), user=args.user, create=False) as store:
        row = add_user(store, args.name, args.role, args.team or (), args.free_text)
        teams = row["teams"].replace(";", ", ")
        grant = ", free text granted" if row["free_text"] == "true" else ""
        print(
            f"added {row['name']} ({row['role']}{', ' + teams if teams else ''}{grant}) to "
            f"{store.url.removeprefix('sqlite:///')}, by {row['by']}"
        )
        if row["login"]:
            print(
                f"their PostgreSQL login role is {row['login']}; it has no password until one "
                "is issued (JupyterHub issues one each time their server starts)"
            )
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    from casekit.store.db import open_store
    from casekit.store.users import remove_user

    with open_store(_where(args), user=args.user, create=False) as store:
        remove_user(store, args.name, args.reason)
        print(f"removed {args.name} from {store.url.removeprefix('sqlite:///')}, by {store.user}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from casekit.store.db import open_store
    from casekit.store.users import list_users

    with open_store(_where(args), user=args.user, create=False, readonly=True) as store:
        users = list_users(store)
    if users.empty:
        print("(no users: the store's owner may do everything, as in a one-person store)")
        return 0
    shown = users[["name", "role", "teams", "free_text", "login", "by"]].copy()
    shown["teams"] = shown["teams"].str.replace(";", ", ")
    print(shown.to_string(index=False, justify="left"))
    return 0


def add_users(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit users add|remove|list``: who may use a store, in which role and team."""
    p = sub.add_parser(
        "users",
        help="add, remove and list a store's named users and their roles (admins only)",
        description="Manage who may use a casebook store: practitioner (their team's cases), "
        "supervisor (plus supervisions and decisions), analyst (read-only reviews; free text "
        "only with --free-text) and admin (users and teams). The first user must be an admin. "
        "On PostgreSQL, --store is the store's maintenance login, and each user gets their own "
        "login role, limited by the database to their teams' rows. Passwords are never shown.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--store", default=None, help="casebook store: a .sqlite path or a URL "
            "(default $CASEKIT_STORE)"
        )  # fmt: skip
        q.add_argument(
            "--user",
            default=None,
            help="who is acting (an admin of the store; default $JUPYTERHUB_USER, "
            "$CASEKIT_USER, your login)",
        )

    add = actions.add_parser("add", help="add a user with a role and teams")
    add.add_argument("name", help="the name they act under (their JupyterHub or login name)")
    add.add_argument(
        "--role",
        required=True,
        help="practitioner, supervisor, analyst or admin",
    )
    add.add_argument(
        "--team",
        action="append",
        default=None,
        help="a team whose cases they work on (repeat for several; not for an admin)",
    )
    add.add_argument(
        "--free-text",
        action="store_true",
        help="an analyst may read free text (summaries, rationales, notes)",
    )
    common(add)
    add.set_defaults(run=_cmd_add)

    remove = actions.add_parser("remove", help="remove a user (kept in the store's history)")
    remove.add_argument("name", help="the user to remove")
    remove.add_argument("--reason", required=True, help="why they are removed")
    common(remove)
    remove.set_defaults(run=_cmd_remove)

    listing = actions.add_parser("list", help="list the store's users, their roles and teams")
    common(listing)
    listing.set_defaults(run=_cmd_list)

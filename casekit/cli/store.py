"""The ``casekit store`` command: a casebook store's schema (``upgrade``, ``current``)."""

from __future__ import annotations

import argparse

__all__ = ["add_store"]


def _cmd_store_upgrade(args: argparse.Namespace) -> int:
    from casekit.store.upgrade import upgrade_store

    print(upgrade_store(args.store).message())
    return 0


def _cmd_store_current(args: argparse.Namespace) -> int:
    from casekit.store.upgrade import store_position

    label, where = store_position(args.store)
    if where.up_to_date:
        print(f"{label}: revision {where.head}, up to date.")
    elif where.empty:
        print(
            f"{label}: an empty database, not a casebook store yet; 'casekit store upgrade "
            f"{label}' makes it one (revision {where.head})."
        )
    else:
        print(
            f"{label}: {where.describe()}, behind this casekit's revision {where.head}; "
            f"'casekit store upgrade {label}' upgrades it."
        )
    return 0


def add_store(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit store`` with its actions ``upgrade`` and ``current``."""
    group = sub.add_parser(
        "store",
        help="a casebook store's schema: upgrade it, or show its revision",
        description="A casebook store's schema is a chain of Alembic revisions, the same for "
        "SQLite and PostgreSQL.",
    )
    ssub = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = ssub.add_parser(
        "upgrade",
        help="bring a store to this casekit's schema (an empty database becomes a store)",
        description="Upgrade a casebook store (a .sqlite file, or a postgresql:// URL) to the "
        "newest revision of its schema, in one transaction: if any step fails, nothing is "
        "changed. A store from before Alembic is recognised by its schema number; an empty "
        "PostgreSQL database becomes a new store. Run it as the store's owner: a PostgreSQL "
        "store behind this casekit is refused until it is upgraded. Keep a password in "
        "~/.pgpass; one in the URL is never shown.",
    )
    p.add_argument("store", metavar="STORE", help="the store: a .sqlite path or a URL")
    p.set_defaults(run=_cmd_store_upgrade)
    p = ssub.add_parser(
        "current",
        help="show a store's schema revision, and whether it is up to date",
        description="Show where a casebook store is on the chain of schema revisions; the "
        "store is only read.",
    )
    p.add_argument("store", metavar="STORE", help="the store: a .sqlite path or a URL")
    p.set_defaults(run=_cmd_store_current)

"""A store's named users: add, remove and list them, each change kept in the store's history.

Only an admin may manage users: on SQLite the store file's owner, acting as one of the store's
admins; on PostgreSQL the store's maintenance login (one that may create roles), acting as one
of its admins. The first user a store gets must be an admin: whoever adds them bootstraps the
store, and from then on every person is checked (:mod:`casekit.store.permissions`). On
PostgreSQL, adding the first user also makes the database guard the store
(:func:`casekit.store.pgsecurity.secure`), and each user gets their own login role.

Every refusal (an unknown role or team, an unsafe name, a duplicate, removing the last admin, a
person who is not an admin) is a :class:`~casekit.errors.CasekitError` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from casekit.errors import CasekitError, did_you_mean
from casekit.store.db import Store
from casekit.store.permissions import (
    ROLES,
    ROLES_KEY,
    USERS,
    check_name,
    read_users,
    users_table,
)

__all__ = ["add_user", "list_users", "remove_user"]

TEAM_SEPARATORS = (";",)
"""What separates a user's teams in ``_users.teams``: never part of a team id given to a user."""
COLUMNS = ("name", "role", "teams", "free_text", "login", "at", "by")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _check_manager(store: Store) -> None:
    """Refuse anyone but an admin: on SQLite also anyone but the file's owner."""
    if store.readonly:
        raise CasekitError(
            f"{store.url.removeprefix('sqlite:///')}: the store is read-only here, so its "
            "users cannot be changed. Nothing was written."
        )
    if store.url.startswith("sqlite:///"):
        path = Path(store.url.removeprefix("sqlite:///"))
        if path.exists() and path.stat().st_uid != os.geteuid():
            raise CasekitError(
                f"{path}: only the store file's owner may manage its users; this account "
                "does not own it. Nothing was written."
            )
    store.access.check_admin()


def _teams_known(conn: sa.Connection, store: Store, teams: list[str]) -> None:
    t = store._tables["teams"]
    known = sorted(str(r[0]) for r in conn.execute(sa.select(t.c.team_id)))
    for team in teams:
        if team not in known:
            hint = did_you_mean(team, known)
            raise CasekitError(
                f"--team {team!r}: there is no such team in the store"
                + (f" ({hint})" if hint else "")
                + (f"; its teams are {', '.join(known)}" if known else "; it has no teams yet")
                + ". Nothing was written."
            )


def _check_user(name: str, role: str, teams: list[str], free_text: bool) -> None:
    check_name(name)
    if role not in ROLES:
        hint = did_you_mean(role, list(ROLES))
        raise CasekitError(
            f"--role {role!r}: is not a role; roles are "
            + ", ".join(f"{r} ({what})" for r, what in ROLES.items())
            + (f" ({hint})" if hint else "")
            + "."
        )
    if role == "admin" and teams:
        raise CasekitError(
            "an admin manages users and teams and sees no case, so takes no --team. Leave "
            "--team out, or give the person another role."
        )
    if role != "admin" and not teams:
        raise CasekitError(
            f"a {role} works on a team's cases: give at least one --team TEAM (several "
            "--team for several teams)."
        )
    if free_text and role != "analyst":
        raise CasekitError(
            f"--free-text is for analysts only: a {role} reads their team's free text already."
        )
    for team in teams:
        if any(sep in team for sep in TEAM_SEPARATORS):
            raise CasekitError(
                f"--team {team!r}: a user's team must be one team id, without ';' (a user's "
                "teams are kept ';'-separated, so it would give them several). Give each team "
                "with its own --team; a team whose id holds ';' cannot be given to a user. "
                "Nothing was written."
            )
    if len(set(teams)) != len(teams):
        raise CasekitError("a --team is given twice: name each team once.")


def _record(
    conn: sa.Connection, store: Store, name: str, op: str, data: dict[str, str], reason: str | None
) -> None:
    """Keep one change of a user in the store's history (table ``_users``), with who made it."""
    h = store._history
    version = conn.execute(
        sa.select(sa.func.max(h.c.version)).where(h.c.table_name == USERS, h.c.record_id == name)
    ).scalar()
    conn.execute(
        h.insert().values(
            table_name=USERS,
            record_id=name,
            version=(version or 0) + 1,
            op=op,
            at=_now(),
            by=store.access.name,
            reason=reason,
            data=json.dumps(data, ensure_ascii=False),
        )
    )


def add_user(
    store: Store,
    name: str,
    role: str,
    teams: Iterable[str] = (),
    free_text: bool = False,
) -> dict[str, str]:
    """Add a user to ``store``: their name, role, teams and (an analyst's) free-text grant.

    Returns the user's row. On PostgreSQL the person also gets their own login role (no
    password until :func:`casekit.store.pgsecurity.issue_login`). Refused, changing nothing,
    for bad input, a name already a user, or a caller who may not manage users.
    """
    team_list = [str(t).strip() for t in teams]
    _check_user(name, role, team_list, free_text)
    _check_manager(store)
    with store._begin() as conn:
        table = users_table()
        table.create(conn, checkfirst=True)
        current = {u["name"]: u for u in read_users(conn)}
        if name in current:
            raise CasekitError(
                f"{name!r} is already a user of this store ({current[name]['role']}). To "
                "change their role or teams, remove them (casekit users remove) and add them "
                "again. Nothing was written."
            )
        if not current and role != "admin":
            raise CasekitError(
                "this store has no users yet, and its first user must be an admin (--role "
                "admin), who then adds everyone else. Nothing was written."
            )
        _teams_known(conn, store, team_list)
        login = ""
        if store.postgres:
            from casekit.store import pgsecurity

            prefix = pgsecurity.secure(conn)
            login = pgsecurity.create_login(conn, prefix, name, role, free_text)
        row = {
            "name": name,
            "login": login,
            "role": role,
            "teams": ";".join(team_list),
            "free_text": "true" if free_text else "false",
            "at": _now(),
            "by": store.access.name,
        }
        conn.execute(table.insert().values(**row))
        _record(conn, store, name, "add", row, None)
        meta = store._meta.tables["_meta"]
        if conn.execute(sa.select(meta.c.key).where(meta.c.key == ROLES_KEY)).first() is None:
            conn.execute(meta.insert().values(key=ROLES_KEY, value="on"))
    store.forget_access()
    return row


def remove_user(store: Store, name: str, reason: str) -> None:
    """Remove a user, giving a reason; their record stays in the history.

    On PostgreSQL their login role is dropped, so they can no longer connect. Refused,
    changing nothing, for a name that is not a user, no reason, the last admin, or a caller
    who may not manage users.
    """
    if not reason or not str(reason).strip():
        raise CasekitError("--reason is required: say why the user is removed.")
    _check_manager(store)
    with store._begin() as conn:
        current = {u["name"]: u for u in read_users(conn)}
        if name not in current:
            hint = did_you_mean(name, list(current))
            raise CasekitError(
                f"{name!r} is not a user of this store"
                + (f" ({hint})" if hint else "")
                + ". Nothing was written."
            )
        admins = [u for u in current.values() if u["role"] == "admin"]
        if current[name]["role"] == "admin" and len(admins) == 1:
            raise CasekitError(
                f"{name!r} is the store's last admin: add another admin first, so that "
                "someone can still manage its users. Nothing was written."
            )
        table = users_table()
        conn.execute(table.delete().where(table.c.name == name))
        if store.postgres and current[name]["login"]:
            from casekit.store import pgsecurity

            pgsecurity.drop_login(conn, pgsecurity.role_prefix(conn), current[name]["login"])
        _record(conn, store, name, "delete", current[name], str(reason).strip())
    store.forget_access()


def list_users(store: Store) -> pd.DataFrame:
    """Return the store's users, by name: name, role, teams, free_text, login, at, by.

    Only an admin may list them (anyone, on a store without users, which lists none).
    """
    store.access.check_admin()
    with store.engine.connect() as conn:
        rows = read_users(conn)
    return pd.DataFrame([{c: r.get(c, "") for c in COLUMNS} for r in rows], columns=list(COLUMNS))

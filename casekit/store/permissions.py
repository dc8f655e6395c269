"""Who may do what in a casebook store: its named users, their roles and teams, checked in Python.

A store's users are kept in its ``_users`` table (store schema 5; managed by
:mod:`casekit.store.users`): the name each person acts under
(:func:`casekit.store.acting.acting_user`), their role (:data:`ROLES`), their teams, and for an
analyst whether free text is granted. Until a store has users (one person's SQLite file) its
owner may do everything, as before. Once it has:

- ``practitioner``: their teams' cases, read and write (not decisions or supervisions);
- ``supervisor``: their teams' cases, plus decisions and supervisions;
- ``analyst``: read only, reviews only, every free-text column withheld unless granted;
- ``admin``: users, teams and workers; no case.

:class:`Access` says so with a clear message for each refusal. On PostgreSQL the database
enforces the same rules itself (:mod:`casekit.store.pgsecurity`); these checks give the
message, and are the only guard on SQLite.

>>> alice = Access("alice", "practitioner", frozenset({"T1"}), False)
>>> alice.describe()
'alice (practitioner, team T1)'
>>> alice.may_write("decisions")
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from casekit.contract import TABLES
from casekit.errors import CasekitError

__all__ = [
    "ROLES",
    "USERS",
    "AccessRefused",
    "CASE_TABLES",
    "FREE_TEXT",
    "WITHHELD",
    "Access",
    "check_name",
    "read_users",
    "resolve_access",
    "roles_on",
    "users_table",
]

ROLES = {
    "practitioner": "their team's cases, read and write",
    "supervisor": "their team's cases, plus supervisions and decisions",
    "analyst": "read-only, reviews only; free text withheld unless granted",
    "admin": "users, teams and workers; no case",
}
"""Every role a store's user can have, with what it may do."""
USERS = "_users"
ROLES_KEY = "roles"
"""The ``_meta`` key set to ``on`` once a store has users: from then on, every user is checked."""
CASE_TABLES = tuple(t for t, spec in TABLES.items() if "case_id" in spec.column_names)
"""The tables whose every row belongs to a case (``cases`` itself first)."""
SUPERVISOR_TABLES = ("decisions", "supervisions")
"""The case tables only a supervisor may write."""
PRACTITIONER_TABLES = tuple(t for t in CASE_TABLES if t not in SUPERVISOR_TABLES)
ADMIN_TABLES = ("teams", "workers")
FREE_TEXT: dict[str, tuple[str, ...]] = {
    t: tuple(c.name for c in TABLES[t].of_kind("text")) + ("_extra",) for t in CASE_TABLES
}
"""Each case table's free-text columns (and ``_extra``, columns outside the contract), which
an analyst reads only when granted."""
WITHHELD = "[withheld]"
"""What an analyst without free text reads in place of each free-text cell."""


class AccessRefused(CasekitError):
    """A person's role or teams do not allow what they asked; nothing was read or written."""


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,62}")


def check_name(name: str) -> str:
    """Return ``name`` if it is a safe user name; refuse anything else with how to fix it.

    A safe name is 1 to 63 letters, digits, ``.``, ``_``, ``@`` or ``-``, starting with a
    letter or digit: what JupyterHub and single sign-on give as user names. Spaces, quotes,
    semicolons and every other character are refused, so no name can become SQL.

    >>> check_name("alice@council.gov.uk")
    'alice@council.gov.uk'
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        shown = repr(name)[:60]
        raise CasekitError(
            f"user name {shown}: is not a safe name. Use 1 to 63 letters, digits, '.', '_', '@' "
            "or '-', starting with a letter or digit (the name the person logs in with, such as "
            "their JupyterHub name)."
        )
    return name


LOGIN_INDEX = "ix__users_login"
"""The unique index that gives each PostgreSQL login role to one user at most."""


def users_table(meta: sa.MetaData | None = None) -> sa.Table:
    """Return the ``_users`` table (in ``meta``, or a metadata of its own).

    Columns: ``name`` (the acting name), ``login`` (the person's PostgreSQL role, empty on
    SQLite; unique otherwise), ``role``, ``teams`` (``;``-separated), ``free_text``
    (``true``/``false``), ``at`` and ``by`` (when and by whom the user was added). Its changes
    are in ``_history``.
    """
    return sa.Table(
        USERS,
        meta if meta is not None else sa.MetaData(),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("login", sa.Text),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("teams", sa.Text, nullable=False),
        sa.Column("free_text", sa.Text, nullable=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("by", sa.Text),
        sa.Index(
            LOGIN_INDEX,
            "login",
            unique=True,
            sqlite_where=sa.text("login <> ''"),
            postgresql_where=sa.text("login <> ''"),
        ),
    )


def roles_on(conn: sa.Connection) -> bool:
    """Tell whether the store has (or has had) users, so that every user is checked."""
    meta = sa.table("_meta", sa.column("key"), sa.column("value"))
    value = conn.execute(sa.select(meta.c.value).where(meta.c.key == ROLES_KEY)).scalar()
    return value == "on"


def read_users(conn: sa.Connection) -> list[dict[str, str]]:
    """Return the store's current users, by name; none when it has no ``_users`` table.

    On PostgreSQL a person sees only their own row (an admin sees all): the database says so.
    """
    if USERS not in sa.inspect(conn).get_table_names():
        return []
    t = users_table()
    rows = conn.execute(sa.select(t).order_by(t.c.name)).mappings().all()
    return [{k: ("" if v is None else str(v)) for k, v in r.items()} for r in rows]


@dataclass(frozen=True)
class Access:
    """What one person may do in one store: their name, role, teams and free-text grant.

    ``role`` None is a store without users, whose owner may do everything; ``""`` is a name
    that is not one of the store's users, who may do nothing.
    """

    name: str
    role: str | None
    teams: frozenset[str]
    free_text: bool

    @classmethod
    def owner(cls, name: str) -> Access:
        """Return the access of whoever opens a store that has no users yet: everything."""
        return cls(name, None, frozenset(), True)

    @classmethod
    def of(cls, row: dict[str, str]) -> Access:
        """Build the access of a ``_users`` row."""
        teams = frozenset(t for t in row["teams"].split(";") if t)
        return cls(row["name"], row["role"], teams, row["free_text"] == "true")

    def describe(self) -> str:
        """Name the person, their role and teams, as every refusal begins."""
        if self.role is None:
            return f"{self.name} (the store's owner)"
        if self.role == "":
            return f"{self.name} (not a user of this store)"
        if self.role == "admin" or not self.teams:
            return f"{self.name} ({self.role})"
        word = "team" if len(self.teams) == 1 else "teams"
        return f"{self.name} ({self.role}, {word} {', '.join(sorted(self.teams))})"

    def _nobody(self) -> None:
        if self.role == "":
            raise AccessRefused(
                f"{self.name!r} is not a user of this store, so casekit shows and changes "
                "nothing in it. Ask one of its admins to add you (casekit users add NAME "
                "--role ROLE --team TEAM), or check the name you act under (--user; --as for "
                "casekit audit; "
                "$JUPYTERHUB_USER, $CASEKIT_USER)."
            )

    @property
    def everything(self) -> bool:
        """Tell whether this is a store without users (its owner may do everything)."""
        return self.role is None

    def may_write(self, table: str) -> bool:
        """Tell whether this person may add, change or delete records of ``table``."""
        if self.role is None:
            return True
        if self.role == "admin":
            return table in ADMIN_TABLES
        if self.role == "supervisor":
            return table in CASE_TABLES
        if self.role == "practitioner":
            return table in PRACTITIONER_TABLES
        return False

    def check_write(self, table: str, action: str = "change") -> None:
        """Refuse a write of ``table`` this person's role does not allow, saying who may."""
        self._nobody()
        if self.may_write(table):
            return
        if self.role == "analyst":
            why = "analysts read only"
        elif self.role == "admin":
            why = "admins manage users, teams and workers, not cases"
        elif table in SUPERVISOR_TABLES:
            why = f"only a supervisor may write {table}"
        else:
            why = f"only an admin may change {table}"
        raise AccessRefused(f"{self.describe()} may not {action} {table}: {why}.")

    def check_case(self, case_id: str, team_id: str | None, verb: str = "open") -> None:
        """Refuse a case outside this person's teams (``team_id`` None: not found here)."""
        self._nobody()
        if self.role is None:
            return
        self._no_case_for_admin(f"{verb} case {case_id}")
        if team_id is not None and team_id in self.teams:
            return
        if team_id is None:
            why = (
                f"there is no case {case_id!r} among {self._teams_text()}'s cases (it belongs "
                "to another team, or does not exist)"
            )
        else:
            why = "it belongs to another team"
        raise AccessRefused(f"{self.describe()} may not {verb} case {case_id}: {why}.")

    def _no_case_for_admin(self, what: str) -> None:
        if self.role == "admin":
            raise AccessRefused(
                f"{self.describe()} may not {what}: admins manage users and teams, and see no case."
            )

    def _teams_text(self) -> str:
        return ", ".join(sorted(self.teams)) or "no team"

    def check_action(self, action: str) -> None:
        """Refuse an access-log action (open, export, review) this person's role does not do."""
        self._nobody()
        if self.role is None:
            return
        self._no_case_for_admin(_DOING.get(action, action))
        if self.role == "analyst" and action != "review":
            raise AccessRefused(
                f"{self.describe()} may not {_DOING.get(action, action)}: analysts run reviews "
                "only."
            )

    def check_review(self, teams: list[str]) -> None:
        """Refuse reviewing any team this person is not in (their cases would be hidden)."""
        self.check_action("review")
        if self.role is None:
            return
        outside = [t for t in teams if not self.sees_team(t)]
        if outside:
            word = "team" if len(outside) == 1 else "teams"
            raise AccessRefused(
                f"{self.describe()} may not review {word} {', '.join(outside)}: a person "
                f"reviews only their own teams' cases ({self._teams_text()}), and a review of "
                "another team would show none of them. Nothing was run or logged."
            )

    def check_admin(self) -> None:
        """Refuse managing users to anyone but an admin (anyone, on a store without users)."""
        if self.role is None or self.role == "admin":
            return
        self._nobody()
        raise AccessRefused(
            f"{self.describe()} may not manage this store's users: only an admin may. Ask "
            "one of its admins (casekit users list shows them)."
        )

    def check_history(self) -> None:
        """Refuse reading records' history to an analyst without free text (it holds it)."""
        self._nobody()
        if self.withheld("events"):
            raise AccessRefused(
                f"{self.describe()} may not read records' history: it holds their free text, "
                "which is not granted to this analyst."
            )

    def withheld(self, table: str) -> tuple[str, ...]:
        """Return the columns of ``table`` this person reads withheld (an analyst's free text)."""
        if self.role == "analyst" and not self.free_text:
            return FREE_TEXT.get(table, ())
        return ()

    def sees_team(self, team_id: str | None) -> bool:
        """Tell whether this person may see the cases of ``team_id``."""
        if self.role is None:
            return True
        return self.role not in ("", "admin") and team_id in self.teams


_DOING = {
    "open_case": "open a case",
    "export_chronology": "export a chronology",
    "export_supervision": "export a supervision record",
    "review": "run a review",
}


def resolve_access(conn: sa.Connection, user: str, explicit: bool, postgres: bool) -> Access:
    """Find what the person opening the store may do.

    A store without users: everything (its owner). On PostgreSQL, a person connected as their
    own login role is that person, whatever name the environment gives (an explicit name that
    differs is refused); anyone else (the maintenance login, a SQLite store) is the user named
    ``user``, or nobody when the store has no user of that name.
    """
    if not roles_on(conn):
        return Access.owner(user)
    t = users_table()
    if postgres:
        mine = (
            conn.execute(sa.select(t).where(t.c.login == sa.func.current_user())).mappings().first()
        )
        if mine is not None:
            access = Access.of({k: str(v or "") for k, v in mine.items()})
            if explicit and access.name != user:
                raise AccessRefused(
                    f"connected to the store as {access.name}'s own login, but acting as "
                    f"{user!r}: each person acts only as themselves. Leave out --user, or log "
                    f"in as {user}."
                )
            return access
    row = conn.execute(sa.select(t).where(t.c.name == user)).mappings().first()
    if row is None:
        return Access(user, "", frozenset(), False)
    return Access.of({k: str(v or "") for k, v in row.items()})

"""PostgreSQL enforcing who sees what: a login role per person, group roles, row-level security.

:func:`secure` turns a PostgreSQL store into one the database itself guards, so that a bug in
casekit's Python cannot show another team's case:

- an owner role nobody logs in as owns every table (``<prefix>_owner``); the maintenance login
  that runs :func:`secure` and ``casekit users`` is made a member of it;
- each person connects as their own login role (:func:`login_name`, derived from their name and
  safe whatever the name), a member of ``<prefix>_person`` and of the group of their role
  (``<prefix>_practitioner``, ``_supervisor``, ``_analyst``, ``_admin``; an analyst granted free
  text also of ``_analyst_text``);
- ``ENABLE`` and ``FORCE ROW LEVEL SECURITY`` on every case table, the history, the access log,
  the drafts and the users: cases by ``team_id``, the other case tables and the history through
  their case, drafts and access-log entries by who wrote them;
- grants by role: practitioners write the case tables but decisions and supervisions, which
  supervisors write too; analysts only ``SELECT``, and without the free-text columns (column
  privileges) unless granted; admins write teams and workers; everyone ``INSERT`` and
  ``SELECT`` on the access log and nothing else (its trigger stays as a second guard); the
  id counters (sequences) usable by everyone, and a function ``casekit_id_used`` that tells
  whether an id was ever used, whichever team used it;
- ``CONNECT`` and ``TEMPORARY`` on the database taken from ``PUBLIC`` (a temporary table could
  otherwise stand in for ``_users``), and given to the store's people.

Role names are cluster-wide, so every role of a store starts with a prefix of its database's own
(:func:`role_prefix`), kept in ``_meta``. :func:`issue_login` gives a person a fresh password
valid for some hours (for JupyterHub's spawner); only a SCRAM verifier of it reaches the server,
so it is in no server log, and casekit never prints or logs it.

Each function takes a connection in a transaction, so a migration can call it unchanged.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Any

import sqlalchemy as sa

from casekit.contract import TABLES
from casekit.errors import CasekitError
from casekit.store.audit import ACTIONS
from casekit.store.permissions import (
    ADMIN_TABLES,
    CASE_TABLES,
    FREE_TEXT,
    PRACTITIONER_TABLES,
    SUPERVISOR_TABLES,
    USERS,
    check_name,
    users_table,
)
from casekit.store.urls import safe_url

__all__ = [
    "GROUPS",
    "PERSON_QUERY_KEYS",
    "create_login",
    "drop_login",
    "history_by_database",
    "issue_login",
    "refresh",
    "login_name",
    "role_prefix",
    "scram_verifier",
    "secure",
]

GROUPS = ("owner", "person", "practitioner", "supervisor", "analyst", "analyst_text", "admin")
"""The group roles of a secured store, each named ``<prefix>_<group>``."""
PREFIX_KEY = "pg_role_prefix"
_ROLE = re.compile(r"[a-z][a-z0-9_]{0,62}")
PERSON_QUERY_KEYS = frozenset(
    {
        "sslmode",
        "sslrootcert",
        "sslcrl",
        "sslcert",
        "sslkey",
        "connect_timeout",
        "application_name",
        "target_session_attrs",
        "gssencmode",
        "channel_binding",
    }
)
"""The admin URL's query keys a person's URL keeps: how to connect, never a secret."""
_HISTORY_OPEN = ("seq", "table_name", "record_id", "version", "op", "at")
"""The history's columns an analyst without free text may read (not its data, who or why)."""


def _q(role: str) -> str:
    """Quote a role name casekit made (only ever lower-case letters, digits and ``_``)."""
    if not _ROLE.fullmatch(role):
        raise CasekitError(f"{role!r} is not a role name casekit makes; this is a bug.")
    return f'"{role}"'


def _slug(text: str, width: int) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:width] or "x"


def _digest(text: str, width: int = 6) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:width]


def role_prefix(conn: sa.Connection) -> str:
    """Return the prefix of this store's role names.

    It is kept in ``_meta``, else made from its database's name (``ck_<name>_<hash>``, at most
    27 characters).
    """
    meta = sa.table("_meta", sa.column("key"), sa.column("value"))
    kept = conn.execute(sa.select(meta.c.value).where(meta.c.key == PREFIX_KEY)).scalar()
    if kept:
        return str(kept)
    database = str(conn.execute(sa.text("SELECT current_database()")).scalar())
    return f"ck_{_slug(database, 16)}_{_digest(database)}"


def login_name(prefix: str, user: str) -> str:
    """Derive a person's login role from the store's prefix and their (checked) name.

    The digest of the whole name (80 bits) keeps two names that read alike (``alice``,
    ``AliCe.__-``) apart; :func:`create_login` also refuses a login another user holds.

    >>> login_name("ck_team_abc123", "Alice.Smith@council.gov.uk")
    'ck_team_abc123_u_alice_smith_6f67c7c6d8e9ddd067d6'
    """
    check_name(user)
    return f"{prefix}_u_{_slug(user, 12).rstrip('_') or 'x'}_{_digest(user, 20)}"


def _group(prefix: str, group: str) -> str:
    return f"{prefix}_{group}"


def _roles_present(conn: sa.Connection, names: list[str]) -> set[str]:
    found = conn.execute(
        sa.text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"), {"names": names}
    )
    return {str(r[0]) for r in found}


def _schema(conn: sa.Connection) -> str:
    schema = str(conn.execute(sa.text("SELECT current_schema()")).scalar())
    return conn.dialect.identifier_preparer.quote_identifier(schema)


def _tables(conn: sa.Connection) -> list[str]:
    names = set(sa.inspect(conn).get_table_names())
    wanted = [*TABLES, "_history", "_meta", "_drafts", "_access_log", USERS, "alembic_version"]
    return [t for t in wanted if t in names]


def secure(conn: sa.Connection) -> str:
    """Make the database guard this store: roles, ownership, row-level security, grants.

    Run in the caller's transaction by a login that may create roles (the store's maintenance
    login); it may run again, and then only brings things up to date. Returns the role prefix.
    """
    prefix = role_prefix(conn)
    users_table().create(conn, checkfirst=True)
    groups = {g: _group(prefix, g) for g in GROUPS}
    present = _roles_present(conn, list(groups.values()))
    for name in groups.values():
        if name not in present:
            conn.exec_driver_sql(f"CREATE ROLE {_q(name)} NOLOGIN")
    member = conn.execute(
        sa.text("SELECT pg_has_role(current_user, :g, 'MEMBER')"), {"g": groups["owner"]}
    ).scalar()
    if not member:
        conn.exec_driver_sql(f"GRANT {_q(groups['owner'])} TO CURRENT_USER")
    schema = _schema(conn)
    for statement in _statements(conn, prefix, schema):
        conn.exec_driver_sql(statement)
    meta = sa.table("_meta", sa.column("key"), sa.column("value"))
    if conn.execute(sa.select(meta.c.key).where(meta.c.key == PREFIX_KEY)).first() is None:
        conn.execute(sa.insert(meta).values(key=PREFIX_KEY, value=prefix))
    return prefix


def _statements(conn: sa.Connection, prefix: str, schema: str) -> list[str]:
    """Every statement that sets up ownership, functions, policies and grants (idempotent)."""
    g = {k: _q(_group(prefix, k)) for k in GROUPS}
    admin_literal = "'" + _group(prefix, "admin") + "'"
    database = conn.dialect.identifier_preparer.quote_identifier(
        str(conn.execute(sa.text("SELECT current_database()")).scalar())
    )
    tables = _tables(conn)
    out = [
        f"REVOKE CONNECT, TEMPORARY ON DATABASE {database} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {database} TO {g['person']}",
        f"GRANT USAGE ON SCHEMA {schema} TO {g['person']}",
        f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {g['owner']}",  # a table's owner must have it
    ]
    for t in tables:
        out.append(f'ALTER TABLE {schema}."{t}" OWNER TO {g["owner"]}')
        out.append(f'REVOKE ALL ON {schema}."{t}" FROM PUBLIC')
    # Functions the policies call: run as the caller, every name qualified, search_path fixed,
    # so that no temporary table or function of a person's can stand in for casekit's.
    users = f'{schema}."{USERS}"'
    out += [
        f"CREATE OR REPLACE FUNCTION {schema}.casekit_my_teams() RETURNS text[] LANGUAGE sql "
        f"STABLE SET search_path = pg_catalog, pg_temp AS $f$ SELECT coalesce((SELECT "
        f"string_to_array(u.teams, ';') FROM {users} u WHERE u.login = current_user), "
        "'{}'::text[]) $f$",
        f"CREATE OR REPLACE FUNCTION {schema}.casekit_my_name() RETURNS text LANGUAGE sql "
        f"STABLE SET search_path = pg_catalog, pg_temp AS $f$ SELECT u.name FROM {users} u "
        "WHERE u.login = current_user $f$",
        f"CREATE OR REPLACE FUNCTION {schema}.casekit_id_used(which text, rid text) RETURNS "
        "boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp "
        f'AS $f$ SELECT EXISTS (SELECT 1 FROM {schema}."_history" h WHERE h.table_name = which '
        "AND h.record_id = rid) $f$",
        f"ALTER FUNCTION {schema}.casekit_id_used(text, text) OWNER TO {g['owner']}",
        f"REVOKE ALL ON FUNCTION {schema}.casekit_id_used(text, text) FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {schema}.casekit_id_used(text, text) TO {g['person']}",
    ]
    out += _history_triggers(g, schema, tables, users)
    if "_access_log" in tables:
        out += _access_log_stamp(g, schema, users)
    # Each wrapped in a scalar subquery, so a statement calls it once (an InitPlan), not per row.
    my_teams = f"(SELECT {schema}.casekit_my_teams())::text[]"
    my_name = f"(SELECT {schema}.casekit_my_name())"
    mine = f"(SELECT c.case_id FROM {schema}.cases c WHERE c.team_id = ANY ({my_teams}))"
    is_admin = f"pg_has_role(current_user, {admin_literal}, 'MEMBER')"
    children = ", ".join(f"'{t}'" for t in CASE_TABLES if t != "cases")
    history_seen = (
        f"((table_name = 'cases' AND (data::jsonb ->> 'team_id') = ANY ({my_teams})) "
        f"OR (table_name IN ({children}) AND (data::jsonb ->> 'case_id') IN {mine}) "
        "OR table_name IN ('teams', 'workers') "
        f"OR (table_name = '{USERS}' AND {is_admin}))"
    )
    policies: dict[str, list[tuple[str, str, str | None, str | None]]] = {
        "cases": [("team", "ALL", f"team_id = ANY ({my_teams})", f"team_id = ANY ({my_teams})")],
        "_history": [("read", "SELECT", history_seen, None)],
        "_access_log": [
            ("read", "SELECT", f'({is_admin} OR "user" = {my_name} OR case_id IN {mine})', None),
            ("write", "INSERT", None, f'"user" = {my_name}'),
        ],
        "_drafts": [("own", "ALL", f'"by" = {my_name}', f'"by" = {my_name}')],
        USERS: [("read", "SELECT", f"(login = current_user OR {is_admin})", None)],
    }
    for t in CASE_TABLES:
        if t != "cases":
            policies[t] = [("team", "ALL", f"case_id IN {mine}", f"case_id IN {mine}")]
    for t, rules in policies.items():
        if t not in tables:
            continue
        qt = f'{schema}."{t}"'
        out += [
            f"ALTER TABLE {qt} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {qt} FORCE ROW LEVEL SECURITY",
        ]
        out += [f"DROP POLICY IF EXISTS casekit_owner ON {qt}"]
        out += [
            f"CREATE POLICY casekit_owner ON {qt} TO {g['owner']} USING (true) WITH CHECK (true)"
        ]
        if t == "_history":  # written by the database only: no policy lets a person insert
            out.append(f"DROP POLICY IF EXISTS casekit_write ON {qt}")
        for name, command, using, check in rules:
            out.append(f"DROP POLICY IF EXISTS casekit_{name} ON {qt}")
            text = f"CREATE POLICY casekit_{name} ON {qt} FOR {command} TO {g['person']}"
            text += f" USING {_paren(using)}" if using else ""
            text += f" WITH CHECK {_paren(check)}" if check else ""
            out.append(text)
    out += _grants(g, schema, tables)
    # Fresh statistics: the policies' subqueries planned without them (a store just imported,
    # before autovacuum has looked) can make reading a whole store some 40 times slower.
    out += [f'ANALYZE {schema}."{t}"' for t in tables]
    return out


HISTORY_TRIGGER = "casekit_history"
"""The trigger that writes a guarded store's history, on every table of the contract."""


def _history_triggers(g: dict[str, str], schema: str, tables: list[str], users: str) -> list[str]:
    """Make the database write the history of every contract table: nobody else may.

    An ``AFTER`` row trigger on each table runs a ``SECURITY DEFINER`` function owned by the
    owner role, so whatever writes a record (casekit, or plain SQL as a person's own login)
    leaves one history row: ``at`` the transaction's time, ``by`` the person whose login it
    is (the maintenance login, not a person, may name whom it acts for in the
    transaction-local setting ``casekit.by``), ``reason`` from ``casekit.reason``, which a
    deletion must give, and the record as it now is (as it was, for a deletion).
    """
    name = f"{schema}.casekit_write_history"
    fn = f"{name}()"
    body = f"""
DECLARE
  v_person text := (SELECT u.name FROM {users} u WHERE u.login = session_user);
  v_reason text := nullif(btrim(current_setting('casekit.reason', true)), '');
  v_op text := lower(TG_OP);
  v_rec record;
  v_rid text;
  v_data text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    v_rec := OLD;
  ELSE
    v_rec := NEW;
  END IF;
  v_rid := to_jsonb(v_rec) ->> TG_ARGV[0];
  IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' AND v_reason IS NULL THEN
    RAISE EXCEPTION USING
      MESSAGE = 'deleting ' || TG_TABLE_NAME || ' ' || v_rid || ': a deletion needs a reason',
      HINT = 'SET LOCAL casekit.reason = ''why'' first, in the same transaction';
  END IF;
  IF TG_OP = 'INSERT' THEN
    v_op := CASE WHEN current_setting('casekit.op', true) = 'import' THEN 'import' ELSE 'add' END;
  END IF;
  SELECT json_object_agg(e.key, e.value ORDER BY e.n)::text INTO v_data
    FROM json_each(row_to_json(v_rec)) WITH ORDINALITY AS e(key, value, n)
    WHERE e.key <> '_extra';
  INSERT INTO {schema}."_history"
      (table_name, record_id, version, op, at, "by", reason, data)
    SELECT TG_TABLE_NAME, v_rid, coalesce(max(h.version), 0) + 1, v_op,
           to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
           coalesce(v_person, nullif(current_setting('casekit.by', true), ''), session_user),
           CASE WHEN TG_OP = 'DELETE' THEN v_reason END, v_data
      FROM {schema}."_history" h
      WHERE h.table_name = TG_TABLE_NAME AND h.record_id = v_rid;
  RETURN NULL;
END"""
    out = [
        f"CREATE OR REPLACE FUNCTION {fn} RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        f"SET search_path = pg_catalog, pg_temp AS $f${body}$f$",
        f"ALTER FUNCTION {fn} OWNER TO {g['owner']}",
        f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC",
    ]
    for t in TABLES:
        if t in tables:
            out.append(
                f"CREATE OR REPLACE TRIGGER {HISTORY_TRIGGER} AFTER INSERT OR UPDATE OR DELETE "
                f'ON {schema}."{t}" FOR EACH ROW EXECUTE FUNCTION {name}'
                f"('{TABLES[t].id_column}')"
            )
    return out


def _access_log_stamp(g: dict[str, str], schema: str, users: str) -> list[str]:
    """Make the database say when, and who, for every access-log entry; and check its action.

    A ``BEFORE INSERT`` trigger sets ``at`` to the transaction's time and ``user`` to the
    person whose login writes it (the maintenance login, not a person, keeps the name it
    gives), and refuses an action casekit does not know, so nobody can backdate an entry,
    write one in another's name, or invent an action.
    """
    fn = f"{schema}.casekit_access_log_stamp()"
    actions = ", ".join(f"'{a}'" for a in sorted(ACTIONS))
    body = f"""
DECLARE
  v_person text := (SELECT u.name FROM {users} u WHERE u.login = session_user);
BEGIN
  IF NEW.action IS NULL OR NEW.action NOT IN ({actions}) THEN
    RAISE EXCEPTION USING
      MESSAGE = 'the access log has no action ' || coalesce(quote_literal(NEW.action), 'NULL'),
      HINT = 'its actions are {actions.replace("'", "")}';
  END IF;
  NEW.at := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"');
  NEW."user" := coalesce(v_person, NEW."user");
  RETURN NEW;
END"""
    return [
        f"CREATE OR REPLACE FUNCTION {fn} RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        f"SET search_path = pg_catalog, pg_temp AS $f${body}$f$",
        f"ALTER FUNCTION {fn} OWNER TO {g['owner']}",
        f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC",
        f'CREATE OR REPLACE TRIGGER casekit_access_log_stamp BEFORE INSERT ON {schema}."'
        f'_access_log" FOR EACH ROW EXECUTE FUNCTION {schema}.casekit_access_log_stamp()',
    ]


def history_by_database(conn: sa.Connection) -> bool:
    """Tell whether the database writes this store's history itself (a guarded store)."""
    found = conn.execute(
        sa.text(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = :name "
            "AND tgrelid = to_regclass('cases'))"
        ),
        {"name": HISTORY_TRIGGER},
    ).scalar()
    return bool(found)


def _paren(expression: str) -> str:
    return f"({expression})"


def _grants(g: dict[str, str], schema: str, tables: list[str]) -> list[str]:
    """List the privileges of each group: what each role may read and write, column by column."""

    def on(t: str) -> str:
        return f'{schema}."{t}"'

    out = [f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {g['person']}"]
    for t in ("_meta", "alembic_version", "teams", "workers", USERS):
        if t in tables:
            out.append(f"GRANT SELECT ON {on(t)} TO {g['person']}")
    if "_access_log" in tables:
        out.append(f"GRANT SELECT, INSERT ON {on('_access_log')} TO {g['person']}")
    if "cases" in tables:  # what the policies look up (an admin's lookups find no row)
        out.append(f"GRANT SELECT (case_id, team_id) ON {on('cases')} TO {g['person']}")
    writers = [g["practitioner"], g["supervisor"]]
    for t in CASE_TABLES:
        if t not in tables:
            continue
        out.append(f"GRANT SELECT ON {on(t)} TO {', '.join(writers)}, {g['analyst_text']}")
        opened = [c for c in [*TABLES[t].column_names, "_extra"] if c not in FREE_TEXT[t]]
        columns = ", ".join(f'"{c}"' for c in opened)
        out.append(f"GRANT SELECT ({columns}) ON {on(t)} TO {g['analyst']}")
        who = g["supervisor"] if t in SUPERVISOR_TABLES else ", ".join(writers)
        assert t in PRACTITIONER_TABLES or t in SUPERVISOR_TABLES
        out.append(f"GRANT INSERT, UPDATE, DELETE ON {on(t)} TO {who}")
    for t in ADMIN_TABLES:
        if t in tables:
            out.append(f"GRANT INSERT, UPDATE, DELETE ON {on(t)} TO {g['admin']}")
    if "_history" in tables:
        out.append(
            f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {on('_history')} FROM "
            f"{', '.join(writers)}, {g['admin']}, {g['analyst']}, {g['analyst_text']}, "
            f"{g['person']}"
        )  # the database writes the history (_history_triggers), nobody else
        out.append(f"GRANT SELECT ON {on('_history')} TO {', '.join(writers)}, {g['admin']}")
        out.append(f"GRANT SELECT ON {on('_history')} TO {g['analyst_text']}")
        columns = ", ".join(f'"{c}"' for c in _HISTORY_OPEN)
        out.append(f"GRANT SELECT ({columns}) ON {on('_history')} TO {g['analyst']}")
    if "_drafts" in tables:
        out.append(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {on('_drafts')} TO {', '.join(writers)}"
        )
    return out


def create_login(conn: sa.Connection, prefix: str, name: str, role: str, free_text: bool) -> str:
    """Create a person's login role (no password yet) in the groups of their role; return it.

    Refused, changing nothing, when another user of the store already has that login role;
    a role of that name that no user has (one left behind) is dropped and made anew.
    """
    login = login_name(prefix, name)
    t = users_table()
    holder = conn.execute(sa.select(t.c.name).where(t.c.login == login)).scalar()
    if holder is not None:
        raise CasekitError(
            f"{name!r}: its login role {login} is already {holder!r}'s, so {name!r} was not "
            "added. Choose a name that differs from existing users' in more than case and "
            "punctuation. Nothing was written."
        )
    groups = [_group(prefix, "person"), _group(prefix, role)]
    if role == "analyst" and free_text:
        groups.append(_group(prefix, "analyst_text"))
    if _roles_present(conn, [login]):
        drop_login(conn, prefix, login)
    conn.exec_driver_sql(
        f"CREATE ROLE {_q(login)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
        f"NOBYPASSRLS INHERIT PASSWORD NULL IN ROLE {', '.join(_q(r) for r in groups)}"
    )
    return login


def drop_login(conn: sa.Connection, prefix: str, login: str) -> None:
    """Remove a person's login role of this store, if there is one: they can no longer log in."""
    if not login.startswith(f"{prefix}_u_"):
        raise CasekitError(f"{login!r} is not a login role of this store; nothing was dropped.")
    if _roles_present(conn, [login]):
        conn.exec_driver_sql(f"ALTER ROLE {_q(login)} NOLOGIN PASSWORD NULL")
        conn.exec_driver_sql(f"DROP ROLE {_q(login)}")


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """Return PostgreSQL's SCRAM-SHA-256 verifier of ``password``: what it stores, not it.

    Sent instead of the password, so the password itself never reaches the server or its logs.
    """
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def issue_login(admin_url: str, user: str, hours: float = 12) -> tuple[str, str]:
    """Give ``user`` a fresh random password, valid for ``hours``; return (URL, password).

    ``admin_url`` is the store's maintenance login (one that may alter its people's roles).
    The URL is the store's, as the person's own login role, without any password; of the
    admin URL's query only the connection settings in :data:`PERSON_QUERY_KEYS` are kept
    (never ``password``, ``sslpassword`` or ``passfile``); the password is for ``PGPASSWORD``.
    JupyterHub's ``pre_spawn_hook`` calls this for each server it starts. The password is
    never printed or logged, and only its SCRAM verifier is sent.
    """
    check_name(user)
    if not 0 < hours <= 24 * 31:
        raise CasekitError(f"hours={hours!r}: a login lasts more than 0 and at most 744 hours.")
    try:
        url = sa.engine.make_url(admin_url)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise CasekitError(
            f"{safe_url(admin_url)}: is not a database URL casekit can read; write it as "
            "postgresql://USER@HOST:PORT/DATABASE."
        ) from None
    engine = sa.create_engine(url.set(drivername="postgresql+psycopg"))
    password = secrets.token_urlsafe(32)
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    try:
        with engine.begin() as conn:
            row = _user_row(conn, user)
            login = row["login"]
            if not _roles_present(conn, [login]):
                raise CasekitError(
                    f"{user!r} is not a user of this store: their login role is gone from the "
                    "database, so no login was issued. Remove them (casekit users remove) and "
                    "add them again."
                )
            verifier = scram_verifier(password)
            conn.exec_driver_sql(
                f"ALTER ROLE {_q(login)} LOGIN PASSWORD '{verifier}' "
                f"VALID UNTIL '{until.isoformat(timespec='seconds')}'"
            )
    except sa.exc.DBAPIError as exc:  # the message names no password: only its verifier was sent
        shown = safe_url(admin_url)
        raise CasekitError(
            f"{shown}: the database refused to issue a login for {user} "
            f"({_primary(exc.orig or exc)}). Use the store's maintenance login, one that may "
            "alter its people's roles."
        ) from None
    finally:
        engine.dispose()
    query = {k: v for k, v in url.query.items() if k.lower() in PERSON_QUERY_KEYS}
    person = sa.URL.create(  # built anew: URL.set(password=None) would keep the admin's
        url.drivername, login, None, url.host, url.port, url.database, query
    )
    return person.render_as_string(hide_password=False), password


def _primary(exc: BaseException) -> BaseException | str:
    primary = getattr(getattr(exc, "diag", None), "message_primary", None)
    return primary or exc


def _user_row(conn: sa.Connection, user: str) -> dict[str, Any]:
    """Return the ``_users`` row of ``user`` with a login role; refused when there is none."""
    if USERS not in sa.inspect(conn).get_table_names():
        raise CasekitError(
            "this store has no users yet: add them first with casekit users add NAME --role "
            "ROLE --team TEAM --store URL."
        )
    t = users_table()
    row = conn.execute(sa.select(t).where(t.c.name == user)).mappings().first()
    if row is None or not row["login"]:
        raise CasekitError(
            f"{user!r} is not a user of this store, so no login was issued. Add them first "
            "(casekit users add NAME --role ROLE --team TEAM --store URL)."
        )
    return dict(row)


def refresh(conn: sa.Connection) -> None:
    """Bring a guarded store's guard up to date (a migration adding a table calls this).

    A store not guarded yet (no user added) is left as it is: it is guarded when its first
    user is added, by a login that may create roles.
    """
    meta = sa.table("_meta", sa.column("key"), sa.column("value"))
    if conn.execute(sa.select(meta.c.key).where(meta.c.key == PREFIX_KEY)).first() is not None:
        secure(conn)

"""PostgreSQL itself enforces who sees what: each person's own login, tried with plain SQL.

None of these go through casekit's Python: they connect as a person's login role (issued by
``issue_login``, as JupyterHub does) and send SQL, so a bug in casekit could not make them pass.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import sqlalchemy as sa
from roles_helpers import SECRET, fill, person_engine, two_team_store

from casekit.contract import TABLES
from casekit.errors import CasekitError
from casekit.store.permissions import CASE_TABLES, FREE_TEXT
from casekit.store.pgsecurity import issue_login, login_name
from casekit.store.users import add_user, list_users

ID = {t: TABLES[t].id_column for t in CASE_TABLES}


def rid(table: str, n: int) -> str:
    """The id of team n's record of ``table`` in the two-team store (C1, E1, ..., V2)."""
    return f"{TABLES[table].id_prefix}{n}"


@pytest.fixture
def team_db(pg_url):
    """The two-team store on PostgreSQL (see roles_helpers); yields its maintenance URL."""
    two_team_store(pg_url).close()
    return pg_url


def rows(engine: sa.Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def refused(engine: sa.Engine, sql: str) -> str:
    """Run ``sql`` as a person and return the database's refusal (failing if it was allowed)."""
    with engine.connect() as conn:
        with pytest.raises(sa.exc.DBAPIError) as caught:
            conn.execute(sa.text(sql))
    assert isinstance(caught.value.orig, psycopg.errors.InsufficientPrivilege), caught.value
    return str(caught.value.orig)


def log_refuses_changes(engine: sa.Engine, entries: int) -> None:
    """Check the log's trigger refuses UPDATE, DELETE and TRUNCATE, keeping ``entries``."""
    for sql in (
        "UPDATE _access_log SET reason = 'x'",
        "DELETE FROM _access_log",
        "TRUNCATE _access_log",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(sa.text(sql))
    assert rows(engine, "SELECT count(*) FROM _access_log") == [(entries,)]


@contextmanager
def own_database(pg_cluster, options: str) -> Iterator[tuple[str, str, str]]:
    """A new database owned by a new login with ``options``: its URL, the login, its password."""
    name, password = f"maint_{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    database = f"casekit_{secrets.token_hex(6)}"
    with pg_cluster.admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN {options} PASSWORD '{password}'")
        conn.exec_driver_sql(f'CREATE DATABASE "{database}" OWNER {name}')
    url = pg_cluster.admin_url.set(
        drivername="postgresql", username=name, password=password, database=database
    ).render_as_string(hide_password=False)
    try:
        yield url, name, password
    finally:
        pg_cluster.drop_database(url)


def test_issue_login_gives_a_url_without_any_password_and_a_fresh_expiring_one(team_db):
    admin_password = sa.engine.make_url(team_db).password
    url, password = issue_login(team_db, "bob", hours=2)
    parsed = sa.engine.make_url(url)
    assert parsed.password is None and admin_password not in url and password not in url
    assert parsed.username.endswith(login_name("x", "bob").split("_u_")[1])
    assert parsed.database == sa.engine.make_url(team_db).database
    assert len(password) >= 40
    engine = sa.create_engine(parsed.set(drivername="postgresql+psycopg", password=password))
    assert rows(engine, "SELECT current_user") == [(parsed.username,)]
    admin = sa.create_engine(sa.engine.make_url(team_db).set(drivername="postgresql+psycopg"))
    (until,) = rows(
        admin, f"SELECT rolvaliduntil FROM pg_roles WHERE rolname = '{parsed.username}'"
    )[0]
    left = until - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=1, minutes=55) < left <= dt.timedelta(hours=2)
    # the server keeps a SCRAM verifier, never the password
    (stored,) = rows(
        admin, f"SELECT rolpassword FROM pg_authid WHERE rolname = '{parsed.username}'"
    )[0]
    assert stored.startswith("SCRAM-SHA-256$") and password not in stored
    # a new login replaces the old password
    _, newer = issue_login(team_db, "bob")
    engine.dispose()
    with pytest.raises(sa.exc.OperationalError):
        rows(engine, "SELECT 1")
    assert newer != password
    admin.dispose()


def test_issue_login_refuses_a_name_that_is_not_a_user(team_db):
    with pytest.raises(CasekitError, match="'eve' is not a user of this store"):
        issue_login(team_db, "eve")
    with pytest.raises(CasekitError, match="not a safe name"):
        issue_login(team_db, 'bob"; DROP ROLE boss; --')
    with pytest.raises(CasekitError, match="at most 744 hours"):
        issue_login(team_db, "bob", hours=0)


def test_bob_selects_only_his_teams_rows_from_every_case_table(team_db):
    bob = person_engine(team_db, "bob")
    for table in CASE_TABLES:
        assert rows(bob, f'SELECT "{ID[table]}" FROM {table}') == [(rid(table, 2),)], table
    assert {r[0] for r in rows(bob, "SELECT case_id FROM cases")} == {"C2"}
    history = rows(bob, "SELECT table_name, record_id FROM _history")
    assert ("cases", "C1") not in history and ("events", "E1") not in history
    assert ("cases", "C2") in history and ("events", "E2") in history
    assert all(SECRET["C1"] not in r[0] for r in rows(bob, "SELECT data FROM _history"))
    assert rows(bob, "SELECT name FROM _users") == [("bob",)]  # his own row only
    bob.dispose()


def test_bobs_update_and_delete_of_alices_rows_touch_nothing_and_his_insert_is_refused(team_db):
    bob = person_engine(team_db, "bob")
    for table in ("cases", "events", "judgements", "plan_actions", "info_sharing"):
        with bob.begin() as conn:
            where = f"{ID[table]} = '{rid(table, 1)}'"
            changed = conn.execute(sa.text(f"UPDATE {table} SET _extra = 'x' WHERE {where}"))
            deleted = conn.execute(sa.text(f"DELETE FROM {table} WHERE {where}"))
            assert (changed.rowcount, deleted.rowcount) == (0, 0), table
    message = refused(
        bob,
        "INSERT INTO events (event_id, case_id, date, source_agency, kind, summary, category, "
        "level) VALUES ('E9', 'C1', '2024-02-01', 'police', 'visit', 'x', 'harm', 'child')",
    )
    assert "row-level security" in message
    refused(bob, "UPDATE cases SET team_id = 'T1' WHERE case_id = 'C2'")  # no moving a case away
    admin = sa.create_engine(sa.engine.make_url(team_db).set(drivername="postgresql+psycopg"))
    assert rows(admin, "SELECT count(*) FROM events WHERE case_id = 'C1'") == [(1,)]
    assert rows(admin, "SELECT summary FROM events WHERE event_id = 'E1'") == [(SECRET["C1"],)]
    bob.dispose()
    admin.dispose()


def test_only_supervisors_write_decisions_and_supervisions(team_db):
    alice, sue = person_engine(team_db, "alice"), person_engine(team_db, "sue")
    refused(alice, "UPDATE decisions SET rationale = 'x' WHERE decision_id = 'D1'")
    refused(alice, "DELETE FROM supervisions WHERE supervision_id = 'V1'")
    assert rows(alice, "SELECT decision_id FROM decisions") == [("D1",)]  # she reads them
    with sue.begin() as conn:
        done = conn.execute(
            sa.text("UPDATE decisions SET rationale = 'y' WHERE decision_id = 'D1'")
        )
        assert done.rowcount == 1
        other = conn.execute(
            sa.text("UPDATE decisions SET rationale = 'y' WHERE decision_id = 'D2'")
        )
        assert other.rowcount == 0  # team T2's decision is not hers
    alice.dispose()
    sue.dispose()


def test_an_analyst_reads_no_free_text_unless_granted_and_never_writes(team_db):
    ann, fay = person_engine(team_db, "ann"), person_engine(team_db, "fay")
    for table, columns in FREE_TEXT.items():
        for column in columns:
            refused(ann, f'SELECT "{column}" FROM {table}')
        assert len(rows(ann, f'SELECT "{ID[table]}" FROM {table}')) == 2  # both her teams
        if columns:
            assert len(rows(fay, f'SELECT "{columns[0]}" FROM {table}')) == 2
    refused(ann, "SELECT data FROM _history")
    assert rows(fay, "SELECT summary FROM events ORDER BY event_id") == [
        (SECRET["C1"],),
        (SECRET["C2"],),
    ]
    for who in (ann, fay):
        refused(who, "UPDATE events SET kind = 'other'")
        refused(who, "DELETE FROM cases")
        refused(
            who,
            "INSERT INTO teams (team_id, team_name) VALUES ('T9', 'x')",
        )
    ann.dispose()
    fay.dispose()


def test_nobody_can_change_or_delete_the_access_log_and_each_logs_only_as_themselves(team_db):
    people = {n: person_engine(team_db, n) for n in ("alice", "sue", "ann", "boss")}
    for name, engine in people.items():
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    'INSERT INTO _access_log (at, "user", action, case_id) '
                    "VALUES ('2024-01-01', :who, 'review', NULL)"
                ),
                {"who": name},
            )
        for sql in (
            "UPDATE _access_log SET reason = 'x'",
            "DELETE FROM _access_log",
            "TRUNCATE _access_log",
        ):
            refused(engine, sql)
        with engine.begin() as conn:  # nobody writes an entry in another's name: it is theirs
            conn.execute(
                sa.text(
                    'INSERT INTO _access_log (at, "user", action) '
                    "VALUES ('2024-01-01', 'bob', 'review')"
                )
            )
        with engine.connect() as conn:
            users = conn.execute(sa.text('SELECT "user" FROM _access_log WHERE "user" = :n'),
                                 {"n": name}).scalars().all()  # fmt: skip
        assert users == [name, name]
    # the maintenance login (which owns nothing and bypasses no trigger) cannot either
    admin = sa.create_engine(sa.engine.make_url(team_db).set(drivername="postgresql+psycopg"))
    log_refuses_changes(admin, 8)
    with admin.connect() as conn:
        assert "bob" not in conn.execute(sa.text('SELECT "user" FROM _access_log')).scalars().all()
    for engine in [*people.values(), admin]:
        engine.dispose()


def test_a_person_cannot_stand_in_a_temporary_users_table_or_own_anything(team_db):
    bob = person_engine(team_db, "bob")
    refused(bob, "CREATE TEMP TABLE _users (name text, login text, teams text)")
    refused(bob, "CREATE TABLE public.mine (x int)")
    refused(bob, "ALTER TABLE cases DISABLE ROW LEVEL SECURITY")
    refused(bob, "DROP TRIGGER _access_log_no_change ON _access_log")
    refused(
        bob,
        "SET ROLE " + rows(bob, "SELECT tableowner FROM pg_tables WHERE tablename = 'cases'")[0][0],
    )
    bob.dispose()


def test_hostile_user_names_are_refused_and_change_nothing(team_db):
    import casekit

    admin = sa.create_engine(sa.engine.make_url(team_db).set(drivername="postgresql+psycopg"))
    roles_before = rows(admin, "SELECT rolname FROM pg_roles ORDER BY 1")
    with casekit.open(team_db, user="boss") as store:
        before = list_users(store)
        for name in (
            'bob"; DROP ROLE boss; --',
            "o'neil",
            "a b",
            "x;y",
            "",
            "-lead",
            "é" * 3,
            "a" * 64,
        ):
            with pytest.raises(CasekitError, match="not a safe name"):
                add_user(store, name, "practitioner", ["T1"])
        assert list_users(store).equals(before)
    assert rows(admin, "SELECT rolname FROM pg_roles ORDER BY 1") == roles_before
    admin.dispose()


def test_removing_a_user_drops_their_login_and_their_rows_at_once(team_db):
    import casekit
    from casekit.store.users import remove_user

    url, password = issue_login(team_db, "bob")
    bob = sa.create_engine(
        sa.engine.make_url(url).set(drivername="postgresql+psycopg", password=password)
    )
    assert rows(bob, "SELECT case_id FROM cases") == [("C2",)]
    still_open = bob.connect()  # a session of his that is open when he is removed
    with casekit.open(team_db, user="boss") as store:
        remove_user(store, "bob", reason="left the team")
    for table in ("cases", "events"):  # his open session keeps no access: its grants are gone
        with pytest.raises(sa.exc.DBAPIError, match="permission denied"):
            still_open.execute(sa.text(f"SELECT * FROM {table}"))
        still_open.rollback()
    still_open.close()
    bob.dispose()
    with casekit.open(team_db, user="boss") as store:
        assert "bob" not in set(list_users(store)["name"])
        history = store.history("bob")
    assert list(history["op"]) == ["add", "delete"] and list(history["by"]) == ["boss", "boss"]
    assert history["reason"].iloc[-1] == "left the team"
    with pytest.raises(sa.exc.OperationalError):
        rows(bob, "SELECT 1")
    with pytest.raises(CasekitError, match="not a user"):
        issue_login(team_db, "bob")


def test_a_maintenance_login_that_is_no_superuser_guards_the_store_and_keeps_its_access(
    pg_cluster,
):
    """As on a council's server: a login with CREATEDB and CREATEROLE only makes the store."""
    import casekit

    with own_database(pg_cluster, "CREATEDB CREATEROLE") as (url, name, _):
        two_team_store(url).close()
        maint = sa.create_engine(sa.engine.make_url(url).set(drivername="postgresql+psycopg"))
        assert rows(maint, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == [
            (False,)
        ]
        owner = rows(maint, "SELECT tableowner FROM pg_tables WHERE tablename = 'events'")[0][0]
        assert owner.endswith("_owner") and owner != name
        assert len(rows(maint, "SELECT * FROM events")) == 2  # the owner's policy: every row
        with maint.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO _access_log (at, \"user\", action) VALUES ('x', 'y', 'review')"
                )
            )
        log_refuses_changes(maint, 1)
        bob = person_engine(url, "bob")
        assert rows(bob, "SELECT case_id FROM cases") == [("C2",)]
        bob.dispose()
        with casekit.open(url, user="boss") as store:  # managing users still works
            add_user(store, "cal", "practitioner", ["T1"])
        cal = person_engine(url, "cal")
        assert rows(cal, "SELECT case_id FROM cases") == [("C1",)]
        cal.dispose()
        maint.dispose()


def test_a_login_that_may_not_create_roles_cannot_add_users_and_leaves_nothing_behind(
    pg_cluster, capsys
):
    import casekit
    from casekit.cli import main

    with own_database(pg_cluster, "") as (url, name, password):
        with casekit.open(url, user="sam") as store:
            fill(store)
        admin = pg_cluster.admin
        roles_before = rows(admin, "SELECT rolname FROM pg_roles ORDER BY 1")
        code = main(["users", "add", "sam", "--role", "admin", "--store", url, "--user", "sam"])
        err = capsys.readouterr().err
        assert code == 2 and "permission denied to create role" in err and password not in err
        assert "nothing was written" in err and "Traceback" not in err
        assert rows(admin, "SELECT rolname FROM pg_roles ORDER BY 1") == roles_before
        with casekit.open(url, user="sam") as store:  # still a store without users, as before
            assert list_users(store).empty and store.access.everything
            assert len(store.casebook().cases) == 2
        owner = sa.create_engine(sa.engine.make_url(url).set(drivername="postgresql+psycopg"))
        assert rows(owner, "SELECT tableowner FROM pg_tables WHERE tablename = 'cases'") == [
            (name,)
        ]
        assert rows(owner, "SELECT relrowsecurity FROM pg_class WHERE relname = 'cases'") == [
            (False,)
        ]
        owner.dispose()


def test_nobody_but_the_database_writes_history_not_even_in_their_own_name(team_db):
    bob = person_engine(team_db, "bob")
    insert = (
        "INSERT INTO _history (table_name, record_id, version, op, at, by, data) VALUES "
        "('events', :rid, 1, 'add', '2000-01-01', :by, :data)"
    )
    for by, data, rid in (
        ("alice", '{"case_id": "C2"}', "E2"),  # in another's name
        ("bob", '{"case_id": "C1"}', "E1"),  # about another team's case
        ("bob", '{"team_id": "T9"}', "T9"),  # about no case at all (blocking an id)
        ("bob", '{"case_id": "C2"}', "E2"),  # as himself, about his own case
    ):
        assert "permission denied for table _history" in refused(
            bob,
            insert.replace(":by", f"'{by}'")
            .replace(":data", f"'{data}'")
            .replace(":rid", f"'{rid}'"),
        )
    with bob.connect() as conn:
        assert conn.execute(sa.text("SELECT casekit_id_used('teams', 'T9')")).scalar() is False
    bob.dispose()

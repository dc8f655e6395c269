"""What a red-team review of named users and roles found, each tested as it was attacked.

On PostgreSQL with plain SQL as a person's own login where the attack used it, and on SQLite
where the same attack applies there.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from roles_helpers import EVENT, PEOPLE, open_as, person_engine, two_team_store

import casekit
from casekit.cli import main
from casekit.contract import TABLES
from casekit.errors import CasekitError
from casekit.store import pgsecurity
from casekit.store.db import safe_url
from casekit.store.pgsecurity import issue_login, login_name
from casekit.store.users import add_user, list_users


@pytest.fixture
def team_db(pg_url):
    """The two-team store on PostgreSQL (see roles_helpers); yields its maintenance URL."""
    two_team_store(pg_url).close()
    return pg_url


def query_password(url: str) -> tuple[str, str]:
    """Move a URL's password from after its user name into its query: (new URL, password)."""
    parsed = sa.engine.make_url(url)
    assert parsed.password
    moved = parsed.set(password=None).update_query_dict({"password": parsed.password})
    return moved.render_as_string(hide_password=False), str(parsed.password)


# --- 1. a password in a URL's query string --------------------------------------------------


def test_safe_url_hides_a_password_after_the_user_and_in_the_query():
    assert safe_url("postgresql://u:s3cret@h/db") == "postgresql://u:***@h/db"
    shown = safe_url("postgresql://u@h/db?password=s3cret&sslmode=require")
    assert "s3cret" not in shown and "password=***" in shown and "sslmode=require" in shown
    shown = safe_url("postgresql://u:one@h/db?sslpassword=two&passfile=/p/f&PASSWORD=three")
    assert not any(s in shown for s in ("one", "two", "/p/f", "three")), shown
    assert safe_url("postgresql://u@h/db?sslmode=require") == "postgresql://u@h/db?sslmode=require"
    assert safe_url("/tmp/store.sqlite") == "/tmp/store.sqlite"


def test_issue_login_copies_only_connection_settings_never_a_password(team_db):
    url, secret = query_password(team_db)
    admin = (
        sa.engine.make_url(url)
        .update_query_dict(
            {
                "sslmode": "prefer",
                "application_name": "hub",
                "sslpassword": "keypw",
                "passfile": "/etc/secret/pgpass",
            }  # fmt: skip
        )
        .render_as_string(hide_password=False)
    )
    person, password = issue_login(admin, "bob")
    parsed = sa.engine.make_url(person)
    assert secret not in person and "keypw" not in person and "pgpass" not in person
    assert set(parsed.query) == {"sslmode", "application_name"}
    assert parsed.password is None and parsed.username != sa.engine.make_url(url).username
    engine = sa.create_engine(parsed.set(drivername="postgresql+psycopg", password=password))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT current_user")).scalar() == parsed.username
    engine.dispose()


@pytest.mark.parametrize("form", ["user:pw@", "?password="])
def test_no_command_prints_a_password_given_in_either_place(team_db, form, capsys, monkeypatch):
    monkeypatch.setenv("CASEKIT_USER", "boss")
    url, secret = query_password(team_db) if form == "?password=" else (team_db, "")
    secret = secret or str(sa.engine.make_url(team_db).password)
    assert main(["store", "current", url]) == 0
    assert main(["audit", "--store", url]) == 0
    assert main(["users", "list", "--store", url]) == 0
    out = capsys.readouterr()
    assert "up to date" in out.out and secret not in out.out + out.err
    wrong = url.replace(secret, "wrong-one")
    assert main(["users", "list", "--store", wrong]) == 2
    out = capsys.readouterr()
    assert "refused the user name or password" in out.err
    assert "wrong-one" not in out.out + out.err and "Traceback" not in out.err
    with pytest.raises(Exception) as caught:
        issue_login(wrong, "bob")
    assert "wrong-one" not in str(caught.value) and "***" in str(caught.value)


# --- 2. the database writes the history --------------------------------------------------


def history_rows(url: str, rid: str) -> list[dict]:
    """Every history row of ``rid``, oldest first, read as the maintenance login."""
    engine = sa.create_engine(sa.engine.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT * FROM _history WHERE record_id = :r ORDER BY seq"), {"r": rid}
        )
        out = [dict(r) for r in found.mappings()]
    engine.dispose()
    return out


def test_plain_sql_changes_by_a_person_are_in_the_history_in_their_name(team_db):
    bob = person_engine(team_db, "bob")
    before = dt.datetime.now(dt.UTC)
    with bob.begin() as conn:
        conn.execute(sa.text("SELECT set_config('casekit.by', 'alice', true)"))  # ignored
        conn.execute(sa.text("UPDATE events SET summary = 'changed' WHERE event_id = 'E2'"))
    (added, changed) = history_rows(team_db, "E2")
    assert (changed["op"], changed["by"], changed["version"]) == ("update", "bob", 2)
    assert json.loads(changed["data"])["summary"] == "changed" and changed["reason"] is None
    assert list(json.loads(changed["data"])) == list(TABLES["events"].column_names)
    at = dt.datetime.fromisoformat(changed["at"])
    assert before - dt.timedelta(seconds=5) < at <= dt.datetime.now(dt.UTC)
    with pytest.raises(sa.exc.DBAPIError, match="a deletion needs a reason"):
        with bob.begin() as conn:
            conn.execute(sa.text("DELETE FROM plan_actions WHERE action_id = 'A2'"))
    assert len(history_rows(team_db, "A2")) == 1
    with bob.begin() as conn:
        conn.execute(sa.text("SET LOCAL casekit.reason = 'entered twice'"))
        conn.execute(sa.text("DELETE FROM plan_actions WHERE action_id = 'A2'"))
    deleted = history_rows(team_db, "A2")[-1]
    assert (deleted["op"], deleted["by"], deleted["reason"]) == ("delete", "bob", "entered twice")
    assert json.loads(deleted["data"])["action_id"] == "A2"
    bob.dispose()


def test_casekit_writes_each_change_once_with_who_and_why(store_url):
    two_team_store(store_url).close()
    with open_as(store_url, "bob") as bob:
        eid = bob.add_event(case_id="C2", **EVENT)
        bob.update_event(eid, summary="y")
        bob.delete_event(eid, reason="wrong case")
        history = bob.history(eid)
    assert history["op"].tolist() == ["add", "update", "delete"]
    assert history["by"].tolist() == ["bob"] * 3 and history["version"].tolist() == [1, 2, 3]
    assert history["reason"].tolist()[-1] == "wrong case"
    assert history["summary"].tolist() == ["x", "y", "y"]
    with casekit.open(store_url, user="boss") as boss:  # the maintenance login, as boss
        boss.add_team(team_id="T3", team_name="East")
        assert boss.history("T3")[["op", "by"]].values.tolist() == [["add", "boss"]]


def test_upgrading_a_store_guarded_before_revision_0006_hardens_its_guard(team_db, capsys):
    with open_as(team_db, "bob") as bob:
        bob.save_draft("supervision/C2/bob", {"support": "kept"})
    admin = sa.create_engine(sa.engine.make_url(team_db).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:  # as revision 0005 left a guarded store
        pkey = conn.execute(
            sa.text(
                "SELECT conname FROM pg_constraint WHERE conrelid = '_drafts'::regclass "
                "AND contype = 'p'"
            )  # fmt: skip
        ).scalar()
        conn.execute(sa.text(f'ALTER TABLE _drafts DROP CONSTRAINT "{pkey}"'))
        conn.execute(sa.text('ALTER TABLE _drafts ADD PRIMARY KEY ("key")'))
        conn.execute(sa.text('ALTER TABLE _drafts ALTER COLUMN "by" DROP NOT NULL'))
        prefix = conn.execute(
            sa.text("SELECT value FROM _meta WHERE key = 'pg_role_prefix'")
        ).scalar()
        for t in TABLES:
            conn.execute(sa.text(f'DROP TRIGGER casekit_history ON "{t}"'))
        conn.execute(sa.text(f'GRANT INSERT ON _history TO "{prefix}_practitioner"'))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0005'"))
        conn.execute(sa.text("UPDATE _meta SET value = '5' WHERE key = 'schema'"))
    admin.dispose()
    assert main(["store", "upgrade", team_db]) == 0
    assert "upgraded from revision 0005" in capsys.readouterr().out
    bob = person_engine(team_db, "bob")
    with pytest.raises(sa.exc.DBAPIError, match="permission denied for table _history"):
        with bob.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO _history (table_name, record_id, version, op, at, data) "
                    "VALUES ('events', 'E2', 9, 'add', 'x', '{}')"
                )
            )
    with bob.begin() as conn:
        conn.execute(sa.text("UPDATE events SET summary = 'z' WHERE event_id = 'E2'"))
    assert [h["by"] for h in history_rows(team_db, "E2")][-1] == "bob"
    bob.dispose()
    with open_as(team_db, "bob") as store:  # his draft kept, and still his alone
        assert store.draft("supervision/C2/bob") == {"support": "kept"}
    with open_as(team_db, "alice") as store:
        assert store.draft("supervision/C2/bob") is None


# --- 3. login roles that collide ---------------------------------------------------------


def test_a_name_that_reads_like_another_users_never_gets_their_login(team_db):
    prefix = "ck_x_abcdef"
    assert login_name(prefix, "AliCe.__-_.._.-..-") != login_name(prefix, "alice")
    assert len(login_name(prefix, "alice").rsplit("_", 1)[1]) == 20
    with casekit.open(team_db, user="boss") as boss:
        add_user(boss, "AliCe.__-_.._.-..-", "practitioner", ["T2"])
    alice = person_engine(team_db, "alice")  # Alice's login still works, and is still hers
    with alice.connect() as conn:
        assert conn.execute(sa.text("SELECT casekit_my_name()")).scalar() == "alice"
    alice.dispose()


def test_a_login_another_user_holds_is_refused_and_nothing_is_changed(team_db, monkeypatch):
    monkeypatch.setattr(pgsecurity, "login_name", lambda prefix, user: f"{prefix}_u_alice_x")
    admin = sa.create_engine(sa.engine.make_url(team_db).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        taken = pgsecurity.login_name(pgsecurity.role_prefix(conn), "alice")
        conn.execute(sa.text("UPDATE _users SET login = :l WHERE name = 'alice'"), {"l": taken})
    with casekit.open(team_db, user="boss") as boss:
        before = list_users(boss)
        with pytest.raises(CasekitError, match="is already 'alice''s"):
            add_user(boss, "mallory", "practitioner", ["T2"])
        assert list_users(boss).equals(before)
    with admin.begin() as conn:  # and the table itself refuses a second user with that login
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(sa.text("UPDATE _users SET login = (SELECT login FROM _users WHERE "
                                 "name = 'alice') WHERE name = 'bob'"))  # fmt: skip
    admin.dispose()


def test_many_sqlite_users_share_the_empty_login(tmp_path):
    store = two_team_store(str(tmp_path / "s.sqlite"))
    assert set(list_users(store)["login"]) == {""} and len(list_users(store)) == len(PEOPLE)
    store.close()


# --- 4. team ids that hold the separator -------------------------------------------------


def test_a_team_id_holding_a_semicolon_is_never_given_to_a_user(store_url, capsys):
    with two_team_store(store_url) as boss:
        boss.add_team(team_id="T1;T2", team_name="Both")
        before = list_users(boss)
        for teams in (["T1;T2"], ["T1", "T2;"]):
            with pytest.raises(CasekitError, match="must be one team id, without ';'"):
                add_user(boss, "mallory", "practitioner", teams)
        assert list_users(boss).equals(before)
    args = ["users", "add", "mallory", "--role", "analyst", "--team", "T1;T2"]
    assert main([*args, "--store", store_url, "--user", "boss"]) == 2
    err = capsys.readouterr().err
    assert "without ';'" in err and "Traceback" not in err
    with casekit.open(store_url, user="boss") as boss:
        assert "mallory" not in set(list_users(boss)["name"])


# --- 5. forged access-log entries --------------------------------------------------------


def test_a_person_cannot_backdate_misname_or_invent_an_access_log_entry(team_db):
    bob = person_engine(team_db, "bob")
    insert = 'INSERT INTO _access_log (at, "user", action, case_id) VALUES (:at, :u, :a, :c)'
    before = dt.datetime.now(dt.UTC)
    with bob.begin() as conn:
        conn.execute(sa.text(insert), {"at": "2001-01-01", "u": "alice", "a": "review", "c": "C2"})
    for action in ("deleted_everything", None):
        with pytest.raises(sa.exc.DBAPIError, match="the access log has no action"):
            with bob.begin() as conn:
                conn.execute(sa.text(insert), {"at": "x", "u": "bob", "a": action, "c": "C2"})
    with bob.connect() as conn:
        rows = conn.execute(sa.text('SELECT at, "user", action FROM _access_log')).all()
    bob.dispose()
    assert [(r[1], r[2]) for r in rows] == [("bob", "review")]
    at = dt.datetime.fromisoformat(rows[0][0])
    assert before - dt.timedelta(seconds=5) < at <= dt.datetime.now(dt.UTC)
    with open_as(team_db, "bob") as store:  # casekit's own entries are stamped alike
        store.log_access("open_case", "C2", reason="visit")
        log = store.access_log()
    assert log["user"].tolist() == ["bob", "bob"] and log["action"].tolist()[-1] == "open_case"


def test_what_the_docs_say_holds_the_maintenance_login_can_disable_the_logs_trigger(team_db):
    """SECURITY.md: the log resists people, not the database's administrators (tested so)."""
    with open_as(team_db, "bob") as bob:
        bob.log_access("review", reason="weekly")
    admin = sa.create_engine(sa.engine.make_url(team_db).set(drivername="postgresql+psycopg"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with admin.begin() as conn:
            conn.execute(sa.text("DELETE FROM _access_log"))
    with admin.begin() as conn:  # rolled back below: only shows it can be done
        conn.execute(sa.text("ALTER TABLE _access_log DISABLE TRIGGER USER"))
        assert conn.execute(sa.text("DELETE FROM _access_log")).rowcount == 1
        conn.rollback()
    admin.dispose()


# --- 6. a review of another team ---------------------------------------------------------


def test_a_review_of_a_team_one_is_not_in_is_refused_naming_ones_teams(
    tmp_path, monkeypatch, capsys
):
    from casekit.review import run

    where = str(tmp_path / "s.sqlite")
    two_team_store(where).close()
    ran: list = []
    monkeypatch.setattr(run, "run_reviews", lambda data, out, scopes, **k: ran.append(scopes) or [])
    out = tmp_path / "r"
    for user, team, says in (
        ("alice", "T2", "alice (practitioner, team T1) may not review team T2"),
        ("ann", "T1,T3", "ann (analyst, teams T1, T2) may not review team T3"),
    ):
        code = main(["review", "--data", where, "--out", str(out), "--team", team,
                     "--user", user])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err and "Nothing was run or logged" in err
        assert says in err, err
    assert ran == [] and not out.exists()
    with casekit.open(where, user="boss") as boss:
        assert boss.access_log().empty
    assert main(["review", "--data", where, "--out", str(out), "--user", "alice"]) == 0
    assert [s.team_id for s in ran[0]] == ["T1"]  # "all" is all of one's own teams


def test_on_postgresql_a_person_may_review_only_their_teams(team_db):
    with open_as(team_db, "alice") as alice:
        alice.access.check_review(["T1"])
        with pytest.raises(CasekitError, match=r"may not review team T2: .*\(T1\)"):
            alice.access.check_review(["T1", "T2"])


# --- 7. drafts squatting -----------------------------------------------------------------


def test_nobody_can_take_another_persons_draft_key_first(store_url):
    two_team_store(store_url).close()
    key = "supervision/C1/sue"
    with open_as(store_url, "alice") as alice:  # first, under the key Sue will use
        alice.save_draft(key, {"support": "squatted"})
    with open_as(store_url, "sue") as sue:  # no refusal that would tell her it is taken
        assert sue.draft(key) is None
        sue.save_draft(key, {"support": "private words"})
        assert sue.draft(key) == {"support": "private words"}
    with open_as(store_url, "alice") as alice:
        assert alice.draft(key) == {"support": "squatted"}


def test_upgrading_to_revision_0006_keeps_every_draft(tmp_path):
    from casekit.store.upgrade import upgrade_store

    where = tmp_path / "s.sqlite"
    with casekit.open(str(where), user="sam") as store:
        store.save_draft("k", {"a": 1})
    conn = sqlite3.connect(where)
    conn.executescript(
        "DROP TABLE _drafts; CREATE TABLE _drafts (key TEXT PRIMARY KEY, at TEXT NOT NULL, "
        "by TEXT, data TEXT NOT NULL); INSERT INTO _drafts VALUES ('k', 'now', NULL, '{\"a\": 1}');"
        "UPDATE alembic_version SET version_num = '0005'; UPDATE _meta SET value = '5' "
        "WHERE key = 'schema';"
    )
    conn.close()
    assert "upgraded from revision 0005" in upgrade_store(where).message()
    with casekit.open(str(where), user="sam") as store:
        assert store.draft("k") == {"a": 1}
        store.save_draft("k", {"a": 2})
        assert store.draft("k") == {"a": 2}


# --- 8. what a CREATEROLE login may grant itself ------------------------------------------


def test_the_docs_warning_about_createrole_before_postgresql_16_holds(pg_cluster):
    """docs/deploying.md: before 16, a CREATEROLE login may make itself nearly a superuser."""
    name, password = f"maint_{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    with pg_cluster.admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN CREATEROLE PASSWORD '{password}'")
        version = int(conn.exec_driver_sql("SHOW server_version_num").scalar())
    url = pg_cluster.admin_url.set(drivername="postgresql+psycopg", username=name,
                                   password=password, database="postgres")  # fmt: skip
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            grant = "GRANT pg_execute_server_program TO CURRENT_USER"
            if version < 160000:
                conn.exec_driver_sql(grant)  # what the docs warn of
                assert conn.exec_driver_sql(
                    "SELECT pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER')"
                ).scalar()
            else:
                with pytest.raises(sa.exc.DBAPIError):
                    conn.exec_driver_sql(grant)
    finally:
        engine.dispose()
        with pg_cluster.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE {name}")
    text = (Path(__file__).parents[1] / "docs" / "deploying.md").read_text()
    assert "PostgreSQL 16 or later" in text and "pg_execute_server_program" in text


# --- 9. small ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["foo://x", "foo://u:pw@h/db?password=Z", "nosuch+driver:///x"])
def test_a_url_of_no_database_casekit_knows_is_one_clear_line(url, capsys):
    for args in (["users", "list", "--store", url], ["audit", "--store", url]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "is not a database casekit can open" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1 and "pw@" not in err and "=Z" not in err
    with pytest.raises(CasekitError, match="is not a database casekit can open"):
        casekit.open(url)


def test_issue_login_for_a_user_whose_role_is_gone_says_they_are_not_a_user(team_db):
    admin = sa.create_engine(sa.engine.make_url(team_db).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        login = conn.execute(sa.text("SELECT login FROM _users WHERE name = 'bob'")).scalar()
        conn.execute(sa.text(f'DROP OWNED BY "{login}"'))
        conn.execute(sa.text(f'DROP ROLE "{login}"'))
    admin.dispose()
    with pytest.raises(CasekitError, match="'bob' is not a user of this store") as caught:
        issue_login(team_db, "bob")
    assert "refused" not in str(caught.value)

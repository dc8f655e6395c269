"""What only a PostgreSQL store has: its URL, its errors, its read-only mode and COPY imports.

The guarantees it shares with SQLite (validated writes, history, ids, drafts, two writers, a
killed writer, import and export) are tested on both in test_store.py and test_supervision.py.
"""

from __future__ import annotations

import socket
import threading

import psycopg
import pytest
import sqlalchemy as sa
from conftest import write_csv_bundle

import casekit
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.store.db import safe_url


def password_of(url: str) -> str:
    password = sa.engine.make_url(url).password
    assert password and len(password) > 8  # the test cluster's password is long and random
    return str(password)


def with_password(url: str, password: str) -> str:
    return sa.engine.make_url(url).set(password=password).render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tables_in(url: str) -> set[str]:
    engine = sa.create_engine(sa.engine.make_url(url).set(drivername="postgresql+psycopg"))
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_postgresql_store_shows_its_url_without_the_password(pg_url, tiny_path):
    password = password_of(pg_url)
    with casekit.open(pg_url) as store:
        store.import_casebook(casekit.load(tiny_path))
        shown = [store.url, repr(store), store.casebook().source, store.case_casebook("007").source]
    for text in shown:
        assert password not in text and ":***@" in text
    assert safe_url(pg_url) == pg_url.replace(password, "***")
    assert safe_url("team.sqlite") == "team.sqlite"
    assert safe_url("postgresql://sam@db.example/team") == "postgresql://sam@db.example/team"


def test_both_spellings_of_the_scheme_open_the_same_store(pg_url):
    with casekit.open(pg_url, user="sw-1") as store:
        store.add_team(team_id="T1", team_name="North")
    other = pg_url.replace("postgresql://", "postgres://", 1)
    with casekit.open(other) as store:
        assert store.get("teams", "T1")["team_name"] == "North"
        assert store.engine.dialect.driver == "psycopg"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("password", "refused the user name or password (the password is never shown)"),
        ("port", "cannot reach the database server"),
        ("database", "there is no such database on the server"),
    ],
)
def test_a_store_that_cannot_be_reached_says_why_and_never_shows_the_password(
    pg_url, change, message, capsys, tmp_path
):
    password = password_of(pg_url)
    url = sa.engine.make_url(pg_url)
    if change == "password":
        password = "Wr0ng-" + password[::-1]
        url = url.set(password=password)
    elif change == "port":
        url = url.set(port=free_port())  # nobody listens there
    else:
        url = url.set(database="casekit_no_such_database")
    text = url.render_as_string(hide_password=False)
    with pytest.raises(CasekitError, match="never shown|cannot reach|no such database") as info:
        casekit.open(text)
    assert message in str(info.value) and password not in str(info.value)
    for argv in (
        ["export", text, "--out", str(tmp_path / "out")],
        ["import", str(write_csv_bundle(tmp_path / "b", {"teams": [{"team_id": "T1"}]})),
         "--into", text],
    ):  # fmt: skip
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert password not in out + err
    assert not (tmp_path / "out").exists()


def test_a_database_of_other_tables_is_never_written_into(pg_url):
    engine = sa.create_engine(sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE payroll (name text)")
    engine.dispose()
    with pytest.raises(CasekitError, match="is not a casebook store \\(it holds other tables\\)"):
        casekit.open(pg_url)
    assert tables_in(pg_url) == {"payroll"}


def test_an_empty_database_is_not_made_a_store_without_create(pg_url, tmp_path, capsys):
    assert main(["export", pg_url, "--out", str(tmp_path / "out")]) == 2
    assert "is not a casebook store (it is empty)" in capsys.readouterr().err
    with pytest.raises(CasekitError, match="it is empty"):
        casekit.load(pg_url)
    assert tables_in(pg_url) == set()
    with casekit.open(pg_url, create=True) as store:  # made a store when asked
        assert sum(store.counts().values()) == 0
    assert "_history" in tables_in(pg_url)


def test_a_read_only_store_refuses_every_write_and_the_server_enforces_it(pg_url, tiny_path):
    with casekit.open(pg_url) as store:
        store.import_casebook(casekit.load(tiny_path))
    with casekit.open(pg_url, readonly=True) as store:
        with pytest.raises(CasekitError, match="read-only"):
            store.add_team(team_id="T9", team_name="South")
        with pytest.raises(CasekitError, match="read-only"):
            store.save_draft("k", {"a": 1})
        with store.engine.connect() as conn:  # even past casekit's own check
            with pytest.raises(CasekitError, match="read-only"):
                conn.exec_driver_sql("INSERT INTO teams (team_id) VALUES ('T9')")
        assert store.counts()["teams"] == 1
        assert casekit.load(pg_url).teams["team_id"].tolist() == ["T1"]


def test_stores_first_opened_by_many_at_once_are_made_once(pg_url):
    errors: list[BaseException] = []

    def first_open(i: int) -> None:
        try:
            with casekit.open(pg_url, user=f"u{i}") as store:
                store.add_team(team_id=f"T{i}", team_name=f"Team {i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_open, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with casekit.open(pg_url) as store:
        assert store.counts()["teams"] == 6
        assert sorted(store.casebook().teams["team_id"]) == [f"T{i}" for i in range(6)]


def test_a_bulk_import_is_copied_not_inserted_row_by_row(pg_url, tiny_path, monkeypatch):
    copied: list[str] = []
    real_copy = psycopg.Cursor.copy

    def spy(self, statement, *args, **kwargs):
        copied.append(str(statement))
        return real_copy(self, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", spy)
    store = casekit.open(pg_url, user="analyst")
    inserts: list[str] = []
    sa.event.listen(
        store.engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *rest: (
            inserts.append(statement) if statement.lstrip().upper().startswith("INSERT") else None
        ),
    )
    counts = store.import_casebook(casekit.load(tiny_path))
    assert counts["events"] == 3
    assert inserts == []
    assert "COPY events (event_id, case_id, " in " ".join(copied)
    assert sum(c.startswith("COPY _history (") for c in copied) == len(counts)
    # entry order is the bundle's, and every record has its one history version
    assert store.casebook().events["event_id"].tolist() == ["E1", "E2", "E3"]
    assert store.history("E2")[["op", "by", "version"]].values.tolist() == [
        ["import", "analyst", 1]
    ]
    store.close()


def test_records_read_back_in_the_order_they_were_written(pg_url):
    with casekit.open(pg_url) as store:
        for tid in ("T3", "T1", "T2"):
            store.add_team(team_id=tid, team_name=tid)
        store.update_team("T3", team_name="renamed")  # an update keeps its place
        assert store.casebook().teams["team_id"].tolist() == ["T3", "T1", "T2"]


def test_the_app_serves_a_postgresql_store_and_never_prints_its_password(
    pg_url, tiny_path, monkeypatch, capsys
):
    from casekit.app import server

    password = password_of(pg_url)
    with casekit.open(pg_url) as store:
        store.import_casebook(casekit.load(tiny_path))
    served: list[server.AppSettings] = []
    monkeypatch.setattr(server, "serve", lambda settings: served.append(settings) or 0)
    monkeypatch.delenv("CASEKIT_APP_PASSWORD_HASH", raising=False)
    port = str(free_port())
    assert main(["app", "--store", pg_url, "--case", "007", "--port", port]) == 0
    out, err = capsys.readouterr()
    assert f"store {safe_url(pg_url)};" in out and password not in out + err
    # the kernels get the URL as given, so they can log in; they record the same user
    assert served[0].env["CASEKIT_STORE"] == pg_url
    assert main(["app", "--store", pg_url, "--case", "C-none", "--port", port]) == 2
    out, err = capsys.readouterr()
    assert "there is no such case" in err and password not in out + err


def test_an_import_that_fails_midway_leaves_nothing_behind(pg_url, tiny_path, monkeypatch):
    real_copy = psycopg.Cursor.copy
    calls: list[str] = []

    def fail_on_the_fourth(self, statement, *args, **kwargs):
        calls.append(str(statement).split(" (")[0])
        if len(calls) == 4:  # teams and workers are copied with their history by then
            raise psycopg.OperationalError("could not extend file: No space left on device")
        return real_copy(self, statement, *args, **kwargs)

    store = casekit.open(pg_url)
    monkeypatch.setattr(psycopg.Cursor, "copy", fail_on_the_fourth)
    with pytest.raises(CasekitError, match="the disk is full .* so nothing was written"):
        store.import_casebook(casekit.load(tiny_path))
    assert calls == ["COPY teams", "COPY _history", "COPY workers", "COPY _history"]
    assert sum(store.counts().values()) == 0
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM _history").scalar() == 0
    monkeypatch.setattr(psycopg.Cursor, "copy", real_copy)
    assert store.import_casebook(casekit.load(tiny_path))["events"] == 3  # the ids are free
    store.close()


def test_without_postgresql_the_tests_fail_saying_how_to_install_it(monkeypatch):
    import pg_helpers

    monkeypatch.delenv("CASEKIT_TEST_PG_URL", raising=False)
    monkeypatch.setattr(pg_helpers, "find_bindir", lambda: None)
    with pytest.raises(RuntimeError, match="apt-get install postgresql") as info:
        pg_helpers.Cluster()
    assert "CASEKIT_TEST_PG_URL" in str(info.value)

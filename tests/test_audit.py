"""Who is acting, and the append-only access log (issue 18).

The access log records opening a case in a widget, exporting a chronology or a supervision
record, and running a review of a store: who, when, what and why. The database itself refuses
to change or delete an entry. ``tests/stores/schema3.sqlite.gz`` is a store made by main at
2243635 (store schema 3, before the log): ``casekit synth --cases 16 --teams 1 --seed 3``, then
``casekit import`` as ``main-2243635``, then one update of E000001 and a supervision draft.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from conftest import unpack_store

import casekit
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.store import acting
from casekit.store.acting import acting_source, acting_user
from casekit.store.audit import ACTIONS, COLUMNS, append_only_sql
from casekit.store.db import SCHEMA_VERSION

USER = "sw-1"


@pytest.fixture(autouse=True)
def nobody_in_the_environment(monkeypatch):
    """Each test says who is acting itself."""
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("CASEKIT_USER", raising=False)
    monkeypatch.delenv("CASEKIT_STORE", raising=False)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def raw_log(path: Path) -> list[tuple]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT * FROM _access_log ORDER BY id").fetchall()


@pytest.fixture
def team_store(tmp_path) -> Path:
    """Today's main's store (schema 3), upgraded to the access log by opening it once."""
    path = unpack_store("schema3.sqlite.gz", tmp_path)
    casekit.open(path).close()
    return path


# --- who is acting ----------------------------------------------------------------------------


def test_who_is_acting_explicit_then_jupyterhub_then_casekit_user_then_the_login(monkeypatch):
    monkeypatch.setattr(acting.getpass, "getuser", lambda: "os-login")
    assert acting_source() == ("os-login", "os")
    monkeypatch.setenv("CASEKIT_USER", "casekit-user")
    assert acting_source() == ("casekit-user", "CASEKIT_USER")
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")
    assert acting_source() == ("hub-user", "JUPYTERHUB_USER")
    assert acting_source("  A. Worker ") == ("A. Worker", "explicit")
    assert acting_user("A. Worker") == "A. Worker"


def test_a_blank_name_counts_as_not_given(monkeypatch):
    monkeypatch.setattr(acting.getpass, "getuser", lambda: "os-login")
    monkeypatch.setenv("JUPYTERHUB_USER", "   ")
    monkeypatch.setenv("CASEKIT_USER", "")
    assert acting_source("") == ("os-login", "os")
    assert acting_source("  ") == ("os-login", "os")


def test_a_name_with_control_characters_or_too_long_is_refused(monkeypatch):
    with pytest.raises(CasekitError, match="not a name casekit can record"):
        acting_user("Alice\x1b[31m")
    with pytest.raises(CasekitError, match="at most 200 characters"):
        acting_user("A" * 201)
    monkeypatch.setenv("JUPYTERHUB_USER", "bad\nname")
    with pytest.raises(CasekitError, match=r"\$JUPYTERHUB_USER"):
        acting_user()


def test_no_login_name_at_all_says_to_give_one(monkeypatch):
    def no_login() -> str:
        raise KeyError("getpwuid(): uid not found: 12345")

    monkeypatch.setattr(acting.getpass, "getuser", no_login)
    with pytest.raises(CasekitError, match="Give --user NAME"):
        acting_user()


def test_every_write_records_who_is_acting_in_its_history(tmp_path, tiny_path, monkeypatch):
    monkeypatch.setenv("CASEKIT_USER", "casekit-user")
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")
    store = casekit.open(tmp_path / "s.sqlite")
    assert store.user == "hub-user"
    store.import_casebook(casekit.load(tiny_path))
    eid = store.add_event(
        case_id="007",
        date=dt.date(2024, 2, 1),
        source_agency="education",
        kind="visit",
        summary="Home visit.",
        category="protective",
        level="child",
    )
    store.update_event(eid, significance="high")
    store.delete_event(eid, reason="entered on the wrong case")
    store.save_draft("k", {"a": 1})
    assert store.history(eid)["by"].tolist() == ["hub-user"] * 3
    assert store.history("007")["by"].tolist() == ["hub-user"]
    with sqlite3.connect(tmp_path / "s.sqlite") as conn:
        assert conn.execute("SELECT by FROM _drafts").fetchall() == [("hub-user",)]
    store.close()
    explicit = casekit.open(tmp_path / "s.sqlite", user="A. Worker")  # explicit beats both
    explicit.update_event("E1", significance="low")
    assert explicit.history("E1")["by"].tolist() == ["hub-user", "A. Worker"]
    explicit.close()


def test_casekit_import_records_the_user_given_or_the_environment(tmp_path, tiny_path, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")
    assert main(["import", str(tiny_path), "--into", str(tmp_path / "a.sqlite")]) == 0
    assert (
        main(["import", str(tiny_path), "--into", str(tmp_path / "b.sqlite"), "--user", "Al"]) == 0
    )
    with casekit.open(tmp_path / "a.sqlite") as a, casekit.open(tmp_path / "b.sqlite") as b:
        assert a.history("007")["by"].tolist() == ["hub-user"]
        assert b.history("007")["by"].tolist() == ["Al"]


# --- the log and its guard ----------------------------------------------------------------------


def test_an_entry_records_who_when_what_and_why(tiny_store):
    before = dt.datetime.now(dt.UTC)
    first = tiny_store.log_access("open_case", "007", detail="chronology builder")
    second = tiny_store.log_access(
        "export_chronology", "007", detail="to x.html", reason="  Strategy meeting\r\n", by="tm"
    )
    assert second == first + 1
    log = tiny_store.access_log()
    assert list(log.columns) == list(COLUMNS)
    assert log[["user", "action", "case_id", "detail", "reason"]].values.tolist() == [
        [USER, "open_case", "007", "chronology builder", None],
        ["tm", "export_chronology", "007", "to x.html", "Strategy meeting"],
    ]
    at = pd.to_datetime(log["at"])
    assert (at >= before).all() and (at <= dt.datetime.now(dt.UTC)).all()
    assert str(log["at"][0]).endswith("+00:00")


def test_bad_entries_are_refused_and_leave_nothing(tiny_store):
    with pytest.raises(CasekitError, match="'peek' is not an action .* records open_case"):
        tiny_store.log_access("peek", "007")
    with pytest.raises(CasekitError, match="reason: holds a control character"):
        tiny_store.log_access("open_case", "007", reason="why\x00")
    with pytest.raises(CasekitError, match="keep it to 2000"):
        tiny_store.log_access("open_case", "007", detail="x" * 2001)
    with pytest.raises(CasekitError, match="not a name casekit can record"):
        tiny_store.log_access("open_case", "007", by="Mallory\r\nadmin")
    assert tiny_store.access_log().empty


def test_the_log_filters_by_case_user_and_day(tiny_store):
    tiny_store.log_access("open_case", "007", by="a")
    tiny_store.log_access("open_case", "008", by="b")
    tiny_store.log_access("review", None, detail="team T1", by="a")
    assert tiny_store.access_log(case_id="007")["user"].tolist() == ["a"]
    assert tiny_store.access_log(user="a")["action"].tolist() == ["open_case", "review"]
    assert tiny_store.access_log(case_id="008", user="a").empty
    today = dt.datetime.now(dt.UTC).date()
    assert len(tiny_store.access_log(since=today)) == 3
    assert tiny_store.access_log(since=today + dt.timedelta(days=1)).empty


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE _access_log SET user = 'someone else'",
        "UPDATE _access_log SET reason = 'changed later' WHERE id = 1",
        "DELETE FROM _access_log",
        "DELETE FROM _access_log WHERE id = 1",
        "INSERT OR REPLACE INTO _access_log (id, at, user, action) VALUES (1, 'x', 'y', 'review')",
        "REPLACE INTO _access_log (id, at, user, action) VALUES (1, 'x', 'y', 'review')",
        "INSERT INTO _access_log (id, at, user, action) VALUES (1, 'x', 'y', 'review') "
        "ON CONFLICT (id) DO UPDATE SET user = 'y'",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_entry(tiny_store, statement):
    tiny_store.log_access("open_case", "007", detail="chronology builder")
    path = Path(tiny_store.url.removeprefix("sqlite:///"))
    before = raw_log(path)
    conn = sqlite3.connect(path)  # raw SQL, past casekit's Python entirely
    with pytest.raises(sqlite3.IntegrityError, match="the access log is append-only"):
        conn.execute(statement)
    conn.rollback()
    conn.close()
    assert raw_log(path) == before and len(before) == 1


def test_the_guard_is_there_after_reopening_and_casekit_s_own_engine_is_refused(tiny_store):
    tiny_store.log_access("open_case", "007")
    url = tiny_store.url
    tiny_store.close()
    import sqlalchemy as sa

    with casekit.open(url.removeprefix("sqlite:///")) as store:
        with pytest.raises(sa.exc.IntegrityError, match="append-only"):
            with store.engine.begin() as conn:  # the app's own connection, not just raw SQL
                conn.exec_driver_sql("DELETE FROM _access_log")
        assert len(store.access_log()) == 1


def test_the_postgresql_guard_raises_on_update_delete_and_truncate():
    """The PostgreSQL statements exist beside SQLite's; they are run on a server by i18-pg."""
    sql = " ".join(append_only_sql("postgresql"))
    assert "BEFORE UPDATE OR DELETE ON _access_log" in sql
    assert "BEFORE TRUNCATE ON _access_log" in sql
    assert "RAISE EXCEPTION" in sql and "%" not in sql  # no parameter marker for the driver
    with pytest.raises(CasekitError, match="SQLite and PostgreSQL only"):
        append_only_sql("mysql")


def test_a_read_only_store_refuses_an_access_it_cannot_log(tiny_store):
    path = Path(tiny_store.url.removeprefix("sqlite:///"))
    tiny_store.close()
    before = digest(path)
    with casekit.open(path, readonly=True) as store:
        with pytest.raises(CasekitError, match="cannot be written to its access log"):
            store.log_access("open_case", "007")
        assert store.access_log().empty
    assert digest(path) == before


# --- old stores ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["schema1.sqlite.gz", "schema2.sqlite.gz", "schema2-supervisions.sqlite.gz",
             "schema3.sqlite.gz"]
)  # fmt: skip
def test_every_old_store_gains_a_guarded_log_and_keeps_working(name, tmp_path):
    path = unpack_store(name, tmp_path)
    before = casekit.load(path, today=dt.date(2025, 4, 1))
    with casekit.open(path, readonly=True) as store:  # read as it is: no log, nothing written
        assert store.access_log().empty
    with casekit.open(path, user="upgrader") as store:
        assert store.access_log().empty
        case = before.cases["case_id"].iloc[0]
        store.log_access("open_case", case, detail="after the upgrade")
        event = before.events["event_id"].iloc[0]
        store.update_event(event, significance="high")
        assert store.history(event)["by"].tolist()[-1] == "upgrader"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM _meta WHERE key='schema'").fetchone() == (
            SCHEMA_VERSION,
        )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM _access_log")
    after = casekit.load(path, today=dt.date(2025, 4, 1))
    for table in ("cases", "decisions", "supervisions", "info_sharing"):
        assert after.tables[table].equals(before.tables[table]), table
    assert len(after.events) == len(before.events)
    assert [r[2:5] for r in raw_log(path)] == [("upgrader", "open_case", case)]
    assert path.stat().st_mode & 0o077 == 0


def test_today_s_main_store_keeps_its_history_and_draft(team_store):
    with casekit.open(team_store) as store:
        assert store.history("E000001")["by"].tolist() == ["main-2243635"] * 2
        assert store.draft("supervision/C00001/team manager") == {"note": "draft by main 2243635"}
        assert store.counts()["supervisions"] == 9


# --- the commands -------------------------------------------------------------------------------


def test_chronology_export_from_a_store_is_logged_with_its_reason(team_store, tmp_path, capsys):
    out = tmp_path / "C00001.html"
    code = main(["chronology", "export", "--data", str(team_store), "--case", "C00001",
                 "--out", str(out), "--min-significance", "medium", "--user", "A. Worker",
                 "--reason", "Strategy meeting on 3 March"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "logged in the store's access log as 'A. Worker'" in capsys.readouterr().out
    (entry,) = raw_log(team_store)
    assert entry[2:5] == ("A. Worker", "export_chronology", "C00001")
    assert str(out.resolve()) in entry[5] and "medium significance and above" in entry[5]
    assert entry[6] == "Strategy meeting on 3 March"
    assert out.is_file()


def test_chronology_export_from_a_bundle_logs_nothing_and_says_so(tiny_path, tmp_path, capsys):
    out = tmp_path / "c.csv"
    code = main(["chronology", "export", "--data", str(tiny_path), "--case", "007",
                 "--out", str(out), "--reason", "why"])  # fmt: skip
    assert code == 0
    assert "a bundle has no access log: --reason was not recorded" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--case", "C99999", "--out", "x.html"], "no case 'C99999'"),
        (["--case", "C00001", "--out", "x.pdf"], "export to a .html, .xlsx or .csv file"),
        (["--case", "C00001", "--out", "x.html", "--reason", "a\x07b"], "control character"),
    ],
)
def test_a_refused_export_writes_no_file_and_no_entry(team_store, tmp_path, capsys, args, message):
    args = [a if a[0] == "-" or not a.startswith("x.") else str(tmp_path / a) for a in args]
    assert main(["chronology", "export", "--data", str(team_store), *args]) == 2
    assert message in capsys.readouterr().err
    assert raw_log(team_store) == [] and list(tmp_path.glob("x.*")) == []


def test_an_export_from_a_store_that_cannot_log_is_refused(
    team_store, tmp_path, capsys, monkeypatch
):
    """A store casekit may not write (a read-only mount, say) opens read-only: no log, no export.

    The file is made to look unwritable to casekit, as ``chmod`` cannot do for root.
    """
    import casekit.store.db as db

    real_access = db.os.access
    unwritable = {team_store, team_store.parent}

    def access(path, mode, *args, **kwargs):
        if mode & db.os.W_OK and Path(path) in unwritable:
            return False
        return real_access(path, mode, *args, **kwargs)

    before = digest(team_store)
    monkeypatch.setattr(db.os, "access", access)
    code = main(["chronology", "export", "--data", str(team_store), "--case", "C00001",
                 "--out", str(tmp_path / "c.html")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "cannot be written to its access log" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "c.html").exists()
    assert digest(team_store) == before


def test_supervision_export_is_logged(team_store, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-supervisor")
    out = tmp_path / "record.docx"
    code = main(["supervision", "export", "--store", str(team_store), "--id", "V00002",
                 "--out", str(out), "--include-support"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    (entry,) = raw_log(team_store)
    assert entry[2:5] == ("hub-supervisor", "export_supervision", "C00002")
    assert "record V00002" in entry[5] and "with the support notes" in entry[5]
    assert entry[6] is None and out.is_file()
    assert main(["supervision", "export", "--store", str(team_store), "--id", "V99999",
                 "--out", str(tmp_path / "no.html")]) == 2  # fmt: skip
    assert len(raw_log(team_store)) == 1


def test_a_review_of_a_store_logs_one_entry_per_team_before_any_kernel(
    team_store, tmp_path, monkeypatch, capsys
):
    from casekit.review import run

    ran = []
    monkeypatch.setattr(run, "run_reviews", lambda *a, **k: ran.append(raw_log(team_store)) or [])
    code = main(["review", "--data", str(team_store), "--out", str(tmp_path / "r"),
                 "--user", "analyst", "--reason", "quarterly"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    (entry,) = ran[0]  # written before the kernels were asked for anything
    assert entry[2:5] == ("analyst", "review", None)
    assert entry[5].startswith("team T01 (") and "not suppressed" in entry[5]
    assert entry[6] == "quarterly"


def test_a_review_of_a_bundle_has_no_log_to_write(tiny_path, tmp_path):
    from casekit.review.run import log_reviews, plan

    assert log_reviews(tiny_path, plan(tiny_path, "all"), tmp_path / "r") == 0


def test_casekit_audit_prints_a_case_s_and_a_person_s_entries(team_store, capsys):
    with casekit.open(team_store) as store:
        store.log_access("open_case", "C00001", detail="chronology builder", by="Alice")
        store.log_access("open_case", "C00002", detail="risk timeline", by="Bob")
        store.log_access(
            "export_chronology", "C00001", detail="to x", reason="=HYPERLINK(x)\ncourt", by="Bob"
        )
    assert main(["audit", "--store", str(team_store), "--case", "C00001"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["when", "(UTC)", "who", "what", "case"]
    assert len(lines) == 3 and "Alice" in lines[1] and "=HYPERLINK(x) court" in lines[2]
    assert "2 access log entries for case 'C00001'" in err
    assert main(["audit", "--store", str(team_store), "--user", "Bob", "--format", "csv"]) == 0
    frame = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out), dtype=str)
    assert list(frame.columns) == list(COLUMNS)
    assert frame["case_id"].tolist() == ["C00002", "C00001"]
    assert frame["reason"].tolist()[1] == "'=HYPERLINK(x)\ncourt"  # a person's CSV: no formula
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    assert main(["audit", "--store", str(team_store), "--since", tomorrow]) == 0
    assert "(no entries)" in capsys.readouterr().out


def test_casekit_audit_reads_only(team_store, capsys):
    before = digest(team_store)
    assert main(["audit", "--store", str(team_store)]) == 0
    assert digest(team_store) == before


def test_casekit_audit_refuses_bad_input_clearly(team_store, tmp_path, capsys, monkeypatch):
    with casekit.open(team_store) as store:
        store.log_access("open_case", "C00001", by="Alice Adams")
    cases = [
        (["--user", "Alice Adam"], "nobody of that name", "did you mean 'Alice Adams'?"),
        (["--case", "C0001"], "no such case in the store or its access log", ""),
        (["--case", " "], "--case is empty", ""),
    ]
    for args, message, hint in cases:
        assert main(["audit", "--store", str(team_store), *args]) == 2
        err = capsys.readouterr().err
        assert message in err and hint in err and "Traceback" not in err
    assert main(["audit", "--store", str(team_store), "--case", "C00003"]) == 0  # no entries yet
    assert main(["audit", "--store", str(tmp_path / "none.sqlite")]) == 2
    assert "no such casebook store" in capsys.readouterr().err
    assert main(["audit"]) == 2
    assert "--store PATH_OR_URL" in capsys.readouterr().err
    monkeypatch.setenv("CASEKIT_STORE", str(team_store))
    assert main(["audit", "--user", "Alice Adams"]) == 0
    assert "1 access log entry for user 'Alice Adams'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["audit", "--store", str(team_store), "--since", "03/04/2025"])
    assert exc.value.code == 2 and "write it as YYYY-MM-DD" in capsys.readouterr().err


# --- the widgets --------------------------------------------------------------------------------


def test_opening_a_case_in_each_widget_is_logged_once(tiny_store, tmp_path):
    from casekit.widgets import (
        CasePicker,
        CaseWorkspace,
        ChronologyBuilder,
        RiskTimeline,
        SupervisionSession,
    )

    ChronologyBuilder(tiny_store, "007", user="Alice")
    CaseWorkspace(tiny_store, "008")  # the builder and the timeline: one entry
    RiskTimeline(tiny_store, "007")
    RiskTimeline(casekit.load(tiny_store.url), "007")  # a Casebook: no store, no log
    SupervisionSession(tiny_store, "007", exports=tmp_path / "records")
    picker = CasePicker(tiny_store, RiskTimeline, "no-such-case")  # refused: nothing shown
    assert "There is no case" in picker.message.value
    log = tiny_store.access_log()
    assert log[["user", "action", "case_id", "detail"]].values.tolist() == [
        ["Alice", "open_case", "007", "chronology builder"],
        [USER, "open_case", "008", "chronology builder"],
        [USER, "open_case", "007", "risk timeline"],
        [USER, "open_case", "007", "supervision session"],
    ]
    picker.show_case("008")
    assert tiny_store.access_log()["detail"].tolist()[-1] == "risk timeline"
    assert set(ACTIONS) >= set(tiny_store.access_log()["action"])


def test_a_widget_on_a_store_that_cannot_log_does_not_show_the_case(tiny_store):
    from casekit.widgets import CasePicker, ChronologyBuilder

    path = tiny_store.url.removeprefix("sqlite:///")
    with casekit.open(path, readonly=True) as readonly:
        with pytest.raises(CasekitError, match="cannot be written to its access log"):
            ChronologyBuilder(readonly, "007")
        picker = CasePicker(readonly, ChronologyBuilder)
        picker.show_case("007")
        assert "cannot be written to its access log" in picker.message.value
        assert picker.body.children == ()
    assert tiny_store.access_log().empty


def test_a_supervision_record_exported_from_the_widget_is_logged_with_its_reason(
    team_store, tmp_path
):
    from casekit.widgets import SupervisionSession

    store = casekit.open(team_store, user="Sam")
    ws = SupervisionSession(store, "C00002", exports=tmp_path / "records")
    ws.export_reason.value = "Requested for the child protection conference"
    written = ws.export("V00002", ".html")
    assert written is not None and written.is_file(), ws.export_message.value
    ws.export_reason.value = ""
    assert ws.export("V00002", ".docx") is not None
    log = store.access_log(case_id="C00002")
    assert log["action"].tolist() == ["open_case", "export_supervision", "export_supervision"]
    assert log["reason"].tolist()[1:] == ["Requested for the child protection conference", None]
    assert (
        str(written.resolve()) in log["detail"][1] and "support notes left out" in log["detail"][1]
    )
    assert set(log["user"]) == {"Sam"}
    store.close()


def test_a_chronology_exported_from_the_builder_is_logged_with_its_reason(tiny_store, tmp_path):
    from casekit.widgets import ChronologyBuilder

    builder = ChronologyBuilder(tiny_store, "007", user="Alice", exports=tmp_path / "out")
    builder.export_reason.value = "For the strategy meeting"
    written = builder.export(".xlsx")
    assert written == tmp_path / "out" / "chronology-007.xlsx" and written.is_file()
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700
    assert written.stat().st_mode & 0o777 == 0o600
    builder.export_reason.value = "bad\x00reason"  # refused: no file, no entry
    assert builder.export(".html") is None
    assert "control character" in builder.export_message.value
    assert builder.export(".pdf") is None and "export to a .html" in builder.export_message.value
    log = tiny_store.access_log()
    assert log["action"].tolist() == ["open_case", "export_chronology"]
    assert log.loc[1, ["user", "case_id", "reason"]].tolist() == [
        "Alice",
        "007",
        "For the strategy meeting",
    ]
    assert str(written) in log.loc[1, "detail"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["chronology-007.xlsx"]


# --- on SQLite and PostgreSQL -------------------------------------------------------------------


def _raw_statements(url: str) -> tuple[object, list[str]]:
    """A connection outside casekit's Store, and the statements that would rewrite the log."""
    import sqlalchemy as sa

    change = [
        "UPDATE _access_log SET \"user\" = 'someone else'",
        "DELETE FROM _access_log WHERE id = 1",
        "DELETE FROM _access_log",
    ]
    if "://" in url:
        return sa.create_engine(url), [*change, "TRUNCATE _access_log"]
    return sa.create_engine(f"sqlite:///{url}"), [
        *change,
        "REPLACE INTO _access_log (id, at, user, action) VALUES (1, 'x', 'y', 'review')",
    ]


def test_the_log_is_append_only_on_either_database(store_url, tiny_path, monkeypatch):
    import sqlalchemy as sa

    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")
    with casekit.open(store_url) as store:
        store.import_casebook(casekit.load(tiny_path))
        store.update_event("E1", significance="high")
        assert store.history("E1")["by"].tolist() == ["hub-user", "hub-user"]
        store.log_access("open_case", "007", detail="chronology builder")
        store.log_access("review", None, detail="team T1", reason="quarterly", by="analyst")
        before = store.access_log()
    engine, statements = _raw_statements(store_url)
    try:
        for statement in statements:
            with pytest.raises(sa.exc.DBAPIError, match="the access log is append-only"):
                with engine.begin() as conn:
                    conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
    with casekit.open(store_url) as store:
        assert store.access_log().equals(before)
        assert before[["user", "action", "case_id"]].values.tolist() == [
            ["hub-user", "open_case", "007"],
            ["analyst", "review", None],
        ]
        store.log_access("open_case", "008")  # still appends after the refusals
        assert store.access_log()["id"].tolist() == [1, 2, 3]


def test_exports_and_audit_work_on_either_database(store_url, tiny_path, tmp_path, capsys):
    with casekit.open(store_url, user="importer") as store:
        store.import_casebook(casekit.load(tiny_path))
    out = tmp_path / "007.csv"
    assert main(["chronology", "export", "--data", store_url, "--case", "007", "--out", str(out),
                 "--user", "Alice", "--reason", "court"]) == 0  # fmt: skip
    assert out.is_file()
    capsys.readouterr()
    assert main(["audit", "--store", store_url, "--user", "Alice", "--format", "csv"]) == 0
    frame = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out), dtype=str)
    assert frame[["user", "action", "case_id", "reason"]].values.tolist() == [
        ["Alice", "export_chronology", "007", "court"]
    ]


def test_audit_reads_a_store_with_users_as_the_person_named_by_as(tmp_path, capsys):
    from roles_helpers import two_team_store

    where = str(tmp_path / "team.sqlite")
    two_team_store(where).close()
    assert main(["audit", "--store", where, "--as", "nobody-here"]) == 2
    assert "'nobody-here' is not a user of this store" in capsys.readouterr().err
    assert main(["audit", "--store", where, "--as", "boss", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("id,at,user,action")

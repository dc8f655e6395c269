"""Named users and roles through casekit's API and ``casekit users``, on SQLite and PostgreSQL.

The same refusals, with the same clear messages, on both backends: on PostgreSQL each person
is opened through their own login role (as JupyterHub does), on SQLite by name.
"""

from __future__ import annotations

import os
import re
import stat

import pytest
from conftest import write_csv_bundle
from roles_helpers import EVENT, PEOPLE, SECRET, fill, open_as, two_team_store

import casekit
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.store.db import is_postgres
from casekit.store.permissions import CASE_TABLES, WITHHELD
from casekit.store.users import add_user, list_users, remove_user


@pytest.fixture
def team_store(store_url):
    """The two-team store with its users (roles_helpers), closed; yields where it is."""
    two_team_store(store_url).close()
    return store_url


def test_each_person_sees_only_their_teams_cases_through_the_api(team_store):
    with open_as(team_store, "bob") as bob:
        cb = bob.casebook()
        assert set(cb.cases["case_id"]) == {"C2"}
        for table in CASE_TABLES:
            assert set(cb.tables[table]["case_id"]) == {"C2"}, table
        assert set(cb.tables["teams"]["team_id"]) == {"T1", "T2"}  # teams are no secret
        counts = bob.counts()
        assert counts["teams"] == 2 and all(counts[t] == 1 for t in CASE_TABLES)
        assert SECRET["C2"] in set(bob.case_rows("events", "C2")["summary"])
        assert bob.user == "bob"
    with open_as(team_store, "sue") as sue:
        assert set(sue.casebook().cases["case_id"]) == {"C1"}


def test_bob_cannot_open_read_or_change_alices_case_and_is_told_why(team_store):
    with open_as(team_store, "bob") as bob:
        told = "bob (practitioner, team T2) may not open case C1"
        for attempt in (
            lambda: bob.case_rows("events", "C1"),
            lambda: bob.case_casebook("C1"),
            lambda: bob.log_access("open_case", "C1", detail="typed its id"),
        ):
            with pytest.raises(CasekitError, match=f"^{re.escape(told)}: "):
                attempt()
        with pytest.raises(CasekitError, match="may not (open|add records of) case C1"):
            bob.add_event(case_id="C1", **EVENT)
        with pytest.raises(CasekitError, match="C1|E1"):
            bob.update_event("E1", summary="changed")
        with pytest.raises(CasekitError, match="may not delete records of case C1|no event 'E1'"):
            bob.delete_event("E1", reason="not mine")  # on PostgreSQL he cannot even see it
        with pytest.raises(CasekitError, match="may not (open|change records of) case"):
            bob.update_case("C2", team_id="T1")  # nor move his own case to another team
        assert bob.history("E1").empty and bob.history("C1").empty
        assert set(bob.access_log()["user"]) <= {"bob"}
    with open_as(team_store, "alice") as alice:  # nothing of hers changed
        assert alice.get("events", "E1")["summary"] == SECRET["C1"]
        assert alice.get("cases", "C1")["team_id"] == "T1"
        assert list(alice.history("E1")["op"]) == ["add"]


def test_on_sqlite_the_message_says_the_case_belongs_to_another_team(tmp_path):
    where = str(tmp_path / "team.sqlite")
    two_team_store(where).close()
    with open_as(where, "bob") as bob, pytest.raises(CasekitError) as caught:
        bob.case_rows("events", "C1")
    assert str(caught.value) == (
        "bob (practitioner, team T2) may not open case C1: it belongs to another team."
    )


def test_on_postgresql_the_message_does_not_tell_whether_the_case_exists(pg_url):
    two_team_store(pg_url).close()
    with open_as(pg_url, "bob") as bob:
        for case in ("C1", "C404"):  # hidden by the database, or not there: the same words
            with pytest.raises(CasekitError) as caught:
                bob.case_rows("events", case)
            assert str(caught.value) == (
                f"bob (practitioner, team T2) may not open case {case}: there is no case "
                f"'{case}' among T2's cases (it belongs to another team, or does not exist)."
            )


def test_what_each_role_may_write(team_store):
    with open_as(team_store, "alice") as alice:
        eid = alice.add_event(case_id="C1", **EVENT)
        alice.update_event(eid, summary="seen at school")
        with pytest.raises(CasekitError, match="only a supervisor may write decisions"):
            alice.update_decision("D1", rationale="mine now")
        with pytest.raises(CasekitError, match="only a supervisor may write supervisions"):
            alice.add_supervision(case_id="C1", date="2024-03-01")
        with pytest.raises(CasekitError, match="only an admin may change teams"):
            alice.add_team(team_id="T3", team_name="East")
        assert list(alice.history(eid)["by"]) == ["alice", "alice"]
    with open_as(team_store, "sue") as sue:
        sue.update_decision("D1", rationale="agreed in supervision")
        assert sue.history("D1")["by"].iloc[-1] == "sue"
    with open_as(team_store, "boss") as boss:
        boss.add_team(team_id="T3", team_name="East")
        with pytest.raises(CasekitError, match="admins manage users and teams, and see no case"):
            boss.case_rows("events", "C1")
        with pytest.raises(CasekitError, match="boss \\(admin\\) may not add cases"):
            boss.add_case(case_id="C9", child_id="K9", team_id="T3", opened="2024-01-01",
                          referral_source="police", concern_flags="neglect",
                          child_birth_month="2010-01")  # fmt: skip
    for analyst in ("ann", "fay"):
        with open_as(team_store, analyst) as who:
            with pytest.raises(CasekitError, match="analysts read only"):
                who.add_event(case_id="C1", **EVENT)
            with pytest.raises(CasekitError, match="analysts run reviews only"):
                who.case_rows("events", "C1")
            who.log_access("review", detail="team T1")  # a review is what an analyst does


def test_an_id_one_team_used_is_never_reused_by_another(team_store):
    with open_as(team_store, "alice") as alice:
        alice.delete_judgement("J1", reason="entered twice")
    with open_as(team_store, "bob") as bob:  # he cannot see J1's history, yet may not reuse it
        assert bob.history("J1").empty
        with pytest.raises(CasekitError, match="already used in this store"):
            bob.add_judgement(judgement_id="J1", case_id="C2", date="2024-02-01", level="child",
                              safety_scale="5")  # fmt: skip
        assert bob.add_judgement(case_id="C2", date="2024-02-01", level="child", safety_scale="5")


def test_an_analyst_reads_free_text_only_when_granted(team_store):
    with open_as(team_store, "ann") as ann:
        cb = ann.casebook()
        assert set(cb.cases["case_id"]) == {"C1", "C2"}
        assert set(cb.events["summary"]) == {WITHHELD}
        assert set(cb.tables["info_sharing"]["information"]) == {WITHHELD}
        with pytest.raises(CasekitError, match="not granted to this analyst"):
            ann.history("E1")
    with open_as(team_store, "fay") as fay:
        assert set(fay.casebook().events["summary"]) == set(SECRET.values())


def test_on_sqlite_a_name_that_is_not_a_user_sees_and_changes_nothing(tmp_path):
    where = str(tmp_path / "team.sqlite")
    two_team_store(where).close()
    with casekit.open(where, user="eve") as eve:
        for attempt in (
            lambda: eve.casebook(),
            lambda: eve.case_rows("events", "C1"),
            lambda: eve.add_event(case_id="C1", **EVENT),
            lambda: eve.log_access("review", detail="all"),
        ):
            with pytest.raises(CasekitError, match="'eve' is not a user of this store"):
                attempt()
    with casekit.open(where, user="alice") as alice:
        assert len(alice.case_rows("events", "C1")) == 1  # nothing was added by eve


def test_a_store_without_users_lets_its_owner_do_everything(store_url, tiny_path):
    with casekit.open(store_url, user="anyone") as store:
        fill(store)
        assert list_users(store).empty
        assert store.access.everything
        assert set(store.casebook().cases["case_id"]) == {"C1", "C2"}
        store.add_decision(case_id="C1", date="2024-02-01", response="early_help",
                           lead_agency="social_care", family_engaged="yes")  # fmt: skip


def test_a_person_acts_only_as_themselves_on_postgresql(pg_url):
    from casekit.store.pgsecurity import issue_login

    team_store = pg_url
    two_team_store(team_store).close()

    url, password = issue_login(team_store, "bob")
    os.environ["PGPASSWORD"] = password
    try:
        with pytest.raises(CasekitError, match="as bob's own login, but acting as 'alice'"):
            casekit.open(url, user="alice")
        with casekit.open(url) as bob:  # no name given: the login says who
            assert bob.user == "bob"
            bob.log_access("open_case", "C2", by="alice")  # a name passed cannot impersonate
            assert list(bob.access_log()["user"]) == ["bob"]
    finally:
        os.environ.pop("PGPASSWORD", None)


# --- managing users ----------------------------------------------------------------------------


def test_users_are_added_listed_and_removed_with_their_history(team_store):
    with casekit.open(team_store, user="boss") as store:
        users = list_users(store)
        assert list(users["name"]) == sorted(PEOPLE)
        assert users.set_index("name").loc["ann", "teams"] == "T1;T2"
        assert users.set_index("name").loc["fay", "free_text"] == "true"
        remove_user(store, "alice", reason="moved to another council")
        assert "alice" not in set(list_users(store)["name"])
        history = store.history("alice")
    assert list(history["op"]) == ["add", "delete"]
    assert list(history["by"]) == ["boss", "boss"]
    assert history["reason"].iloc[-1] == "moved to another council"
    with pytest.raises(CasekitError, match="'alice' is not a user of this store|no login"):
        with open_as(team_store, "alice") as alice:
            alice.casebook()


def changes_nothing(where: str):
    """Return a check that the store's users and history are as they were."""
    with casekit.open(where, user="boss") as store:
        before = (list_users(store), store.history("alice"), store.history("zed"))

    def check() -> None:
        with casekit.open(where, user="boss") as store:
            assert list_users(store).equals(before[0])
            assert store.history("alice").equals(before[1])
            assert store.history("zed").equals(before[2])

    return check


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "zed", "--role", "practitionr", "--team", "T1"], "did you mean 'practitioner'"),
        (["add", "zed", "--role", "practitioner", "--team", "T9"], "no such team in the store"),
        (["add", "zed", "--role", "practitioner", "--team", "t1"], "its teams are T1, T2"),
        (["add", "zed", "--role", "practitioner"], "give at least one --team"),
        (["add", "zed", "--role", "admin", "--team", "T1"], "takes no --team"),
        (["add", "zed", "--role", "supervisor", "--team", "T1", "--free-text"], "analysts only"),
        (["add", "zed", "--role", "analyst", "--team", "T1", "--team", "T1"], "twice"),
        (["add", "alice", "--role", "practitioner", "--team", "T1"], "already a user"),
        (["add", 'z"; DROP ROLE boss; --', "--role", "admin"], "not a safe name"),
        (["add", "z'); DROP TABLE cases; --", "--role", "admin"], "not a safe name"),
        (["add", "zed smith", "--role", "admin"], "not a safe name"),
        (["remove", "zed", "--reason", "x"], "'zed' is not a user"),
        (["remove", "alise", "--reason", "x"], "did you mean 'alice'"),
        (["remove", "boss", "--reason", "x"], "last admin"),
        (["remove", "alice", "--reason", "  "], "--reason is required"),
    ],
)
def test_casekit_users_bad_input_is_refused_clearly_and_changes_nothing(
    team_store, args, message, capsys
):
    check = changes_nothing(team_store)
    code = main(["users", *args, "--store", team_store, "--user", "boss"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert err.startswith(f"casekit users {args[0]}: ")
    check()


@pytest.mark.parametrize("who", ["alice", "sue", "ann", "eve"])
def test_only_an_admin_may_manage_users(team_store, who, capsys):
    check = changes_nothing(team_store)
    for args in (
        ["add", "zed", "--role", "admin"],
        ["remove", "alice", "--reason", "x"],
        ["list"],
    ):
        code = main(["users", *args, "--store", team_store, "--user", who])
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err
        assert "may not manage this store's users" in err or "is not a user of this store" in err
    check()


def test_the_first_user_must_be_an_admin_and_bootstraps_the_store(store_url, capsys):
    with casekit.open(store_url, user="owner") as store:
        fill(store)
    code = main(["users", "add", "alice", "--role", "practitioner", "--team", "T1",
                 "--store", store_url])  # fmt: skip
    assert code == 2 and "first user must be an admin" in capsys.readouterr().err
    assert main(["users", "list", "--store", store_url]) == 0
    assert "(no users" in capsys.readouterr().out
    assert main(["users", "add", "owner", "--role", "admin", "--store", store_url,
                 "--user", "owner"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "added owner (admin)" in out and "by owner" in out
    assert main(["users", "add", "alice", "--role", "practitioner", "--team", "T1",
                 "--store", store_url, "--user", "owner"]) == 0  # fmt: skip
    assert main(["users", "list", "--store", store_url, "--user", "owner"]) == 0
    listed = capsys.readouterr().out
    assert "alice" in listed and "practitioner" in listed and "T1" in listed
    if is_postgres(store_url):
        assert "login role" in out
        assert "password" not in listed.lower().replace("no password", "")


def test_on_sqlite_only_the_files_owner_may_manage_users(tmp_path, monkeypatch):
    path = tmp_path / "team.sqlite"
    with casekit.open(path, user="owner") as store:
        fill(store)
        monkeypatch.setattr(os, "geteuid", lambda: os.stat(path).st_uid + 1)
        with pytest.raises(CasekitError, match="only the store file's owner may manage"):
            add_user(store, "owner", "admin")
        monkeypatch.undo()
        assert list_users(store).empty
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_chronology_builder_refuses_another_teams_case_even_typed_by_its_id(team_store):
    from casekit.widgets import ChronologyBuilder

    with open_as(team_store, "bob") as bob:
        told = re.escape("bob (practitioner, team T2) may not open case C1: ")
        with pytest.raises(CasekitError, match=f"^{told}"):
            ChronologyBuilder(bob, "C1")
        builder = ChronologyBuilder(bob, "C2")  # his own case opens
        assert SECRET["C2"] in set(builder.rows["summary"])
        assert list(bob.access_log()[["user", "case_id"]].itertuples(index=False)) == [
            ("bob", "C2")
        ]


def test_each_persons_drafts_are_their_own(team_store):
    with open_as(team_store, "sue") as sue:
        sue.save_draft("supervision/C1/sue", {"support": "private words"})
        assert sue.draft("supervision/C1/sue") == {"support": "private words"}
    with open_as(team_store, "alice") as alice:
        assert alice.draft("supervision/C1/sue") is None  # not hers to read
        alice.save_draft("supervision/C1/sue", {"support": "hers"})  # her own, under one key
        assert alice.draft("supervision/C1/sue") == {"support": "hers"}
        alice.discard_draft("supervision/C1/sue")  # removes hers only
        assert alice.draft("supervision/C1/sue") is None
    with open_as(team_store, "sue") as sue:
        assert sue.draft("supervision/C1/sue") == {"support": "private words"}
        sue.discard_draft("supervision/C1/sue")
        assert sue.draft("supervision/C1/sue") is None


def test_a_practitioner_imports_records_of_their_own_teams_cases_only(team_store, tmp_path):
    """On PostgreSQL through Bob's login, where row security rules COPY out: rows are inserted."""
    from casekit.bundle.casebook import load_table_file

    def events_file(name: str, rows: list[dict[str, str]]):
        write_csv_bundle(tmp_path / name, {"events": rows})
        return load_table_file(tmp_path / name / "events.csv", "events")

    own = events_file("own", [dict(event_id="E7", case_id="C2", **EVENT),
                              dict(event_id="E8", case_id="C2", **EVENT)])  # fmt: skip
    other = events_file("other", [dict(event_id="E9", case_id="C1", **EVENT)])
    with open_as(team_store, "bob") as bob:
        assert bob.import_casebook(own) == {"events": 2}
        assert list(bob.history("E7")["by"]) == ["bob"]
        with pytest.raises(CasekitError, match="may not import records of case C1"):
            bob.import_casebook(other)
    with open_as(team_store, "alice") as alice:
        assert set(alice.case_rows("events", "C1")["event_id"]) == {"E1"}

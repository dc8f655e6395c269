"""Stores written by earlier releases of casekit still open, read, validate and migrate.

``tests/stores/`` holds two small synthetic stores, each made by main as it was, with the same
command (``casekit synth --cases 16 --teams 1 --seed 3`` then ``casekit import --into``):
``schema1.sqlite.gz`` by commit 30dc107 (store schema 1: before ``seen_alone`` and
``override_reason``), ``schema2.sqlite.gz`` by commit 43f7b74 (schema 2, the main that issue 14
started from, when ``channel_support`` was still read as a rung between child in need and
section 47). ``schema2-supervisions.sqlite.gz`` was made the same way by commit 37c575f (the
main issue 16 started from; still store schema 2, with 224 events and 14 supervisions from the
generator of that day), and holds a supervision draft that commit's widget wrote (case C00014,
supervisor "team manager"): schema 3 adds the 4x4x4 supervision columns. All are gzipped and
copied into a temporary folder before each test, so the files in the repository are never
written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest
from conftest import unpack_store

import casekit
from casekit.analysis.proportionality import escalations, flags
from casekit.cli import main
from casekit.store.db import SCHEMA_VERSION
from casekit.store.migrations import head

TODAY = dt.date(2025, 4, 1)
COUNTS = {"cases": 16, "events": 219, "judgements": 77, "decisions": 25, "info_sharing": 24}


def schema(path: Path) -> str:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT value FROM _meta WHERE key = 'schema'").fetchone()[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(params=["schema1.sqlite.gz", "schema2.sqlite.gz"])
def old_store(request, tmp_path) -> Path:
    return unpack_store(request.param, tmp_path)


def test_the_fixtures_are_what_their_names_say(tmp_path):
    assert schema(unpack_store("schema1.sqlite.gz", tmp_path)) == "1"
    assert schema(unpack_store("schema2.sqlite.gz", tmp_path)) == "2"


def test_an_old_store_is_read_as_it_is_and_validates(old_store, capsys):
    before = digest(old_store)
    cb = casekit.load(old_store, today=TODAY)
    assert {t: len(cb.tables[t]) for t in COUNTS} == COUNTS
    assert cb.info_sharing["override_reason"].isna().all()
    assert main(["validate", str(old_store), "--today", str(TODAY)]) == 0, capsys.readouterr()
    assert digest(old_store) == before  # reading never writes


def test_a_channel_decision_in_an_old_store_is_support_beside_social_care(old_store):
    """D00008 adopted Channel support on C00005; D00009 then recorded no further action.

    Read with the old ladder, D00009 was a step-down from Channel. Channel is not a rung, so the
    case's social-care rung was no further action throughout: neither decision moves it.
    """
    cb = casekit.load(old_store, today=TODAY)
    d = escalations(cb.decisions).set_index("decision_id")
    assert d.loc["D00008", "channel"] and not d.loc["D00009", "channel"]
    assert d.loc[["D00008", "D00009"], ["rung", "previous"]].to_numpy().tolist() == [[0, 0]] * 2
    assert not d.loc[["D00008", "D00009"], ["raises", "lowers"]].to_numpy().any()
    raised = flags(cb, as_of=TODAY)
    assert not raised["subject_id"].isin(["D00008", "D00009"]).any()
    assert list(raised.columns) == [
        "case_id",
        "flag",
        "subject_id",
        "reason",
        "date",
        "status",
        "team_id",
    ]
    assert set(raised["status"]) == {"open", "past"}


def test_an_old_store_opened_for_writing_is_migrated_keeping_every_record(old_store):
    before = casekit.load(old_store, today=TODAY)
    with casekit.open(old_store) as store:
        assert schema(old_store) == SCHEMA_VERSION
        store.update_info_sharing(
            "S00001", override_reason="Police told of a threat to a classmate (public task)."
        )
    after = casekit.load(old_store, today=TODAY)
    for table in COUNTS:
        assert (
            after.tables[table]
            .drop(columns="override_reason", errors="ignore")
            .equals(before.tables[table].drop(columns="override_reason", errors="ignore"))
        ), table
    shared = after.info_sharing.set_index("share_id")["override_reason"]
    assert shared["S00001"].startswith("Police told") and shared.drop("S00001").isna().all()
    assert old_store.stat().st_mode & 0o077 == 0


# --- schema 3: the 4x4x4 supervision columns --------------------------------------------------

NEW_COLUMNS = [
    "management",
    "support",
    "development",
    "mediation",
    "child_voice",
    "last_seen_alone",
    "agreed_actions",
    "decision_stakeholders",
]
COUNTS_37C575F = {
    "teams": 1,
    "workers": 3,
    "cases": 16,
    "events": 224,
    "judgements": 138,
    "decisions": 32,
    "plan_actions": 32,
    "info_sharing": 27,
    "supervisions": 14,
}
OLD_DRAFT = ("supervision/C00014/team manager", "C00014", "team manager")


@pytest.fixture
def with_supervisions(tmp_path) -> Path:
    return unpack_store("schema2-supervisions.sqlite.gz", tmp_path)


def columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, drafts and history included, as stored."""
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = {}
        for name in names:
            have = [c for c in columns(path, name) if c not in NEW_COLUMNS]
            quoted = ", ".join(f'"{c}"' for c in have)
            out[name] = sorted(map(tuple, conn.execute(f'SELECT {quoted} FROM "{name}"')), key=str)
        return out


def test_the_schema_2_store_with_supervisions_is_what_its_name_says(with_supervisions):
    assert schema(with_supervisions) == "2"
    assert not set(NEW_COLUMNS) & set(columns(with_supervisions, "supervisions"))
    cb = casekit.load(with_supervisions, today=TODAY)
    assert {t: len(cb.tables[t]) for t in COUNTS_37C575F} == COUNTS_37C575F


def test_schema_2_opened_for_writing_gains_the_supervision_columns_keeping_every_row(
    with_supervisions,
):
    before = rows(with_supervisions)
    loaded = casekit.load(with_supervisions, today=TODAY)
    with casekit.open(with_supervisions) as store:
        assert schema(with_supervisions) == SCHEMA_VERSION == "6"
        assert columns(with_supervisions, "supervisions")[-len(NEW_COLUMNS) :] == NEW_COLUMNS
        assert store.get("supervisions", "V00001")["child_voice"] == ""
    after = rows(with_supervisions)
    before["_meta"] = [r for r in before["_meta"] if r[0] != "schema"]
    after["_meta"] = [r for r in after["_meta"] if r[0] != "schema"]
    assert after.pop("_access_log") == []  # schema 4: an empty access log, nothing else
    assert after.pop("_users") == []  # schema 5: no users, so its owner may do everything
    assert after.pop("alembic_version") == [(head(),)]  # and on the Alembic chain, at its head
    assert after == before  # every row of every table, history and drafts, unchanged
    assert len(after["_history"]) == sum(COUNTS_37C575F.values()) == 487  # one import each
    assert len(after["_drafts"]) == 1
    again = casekit.load(with_supervisions, today=TODAY)
    for table in COUNTS_37C575F:
        assert (
            again.tables[table]
            .drop(columns=NEW_COLUMNS, errors="ignore")
            .equals(loaded.tables[table].drop(columns=NEW_COLUMNS, errors="ignore"))
        ), table
    assert again.supervisions[NEW_COLUMNS].isna().all().all()


def test_schema_1_gains_every_column_since_in_one_step(tmp_path):
    old = unpack_store("schema1.sqlite.gz", tmp_path)
    with casekit.open(old):
        pass
    assert schema(old) == SCHEMA_VERSION == "6"
    assert "seen_alone" in columns(old, "events")
    assert columns(old, "supervisions")[-len(NEW_COLUMNS) :] == NEW_COLUMNS


def test_schema_2_read_only_reads_the_new_columns_as_missing_and_writes_nothing(
    with_supervisions,
):
    before = digest(with_supervisions)
    with casekit.open(with_supervisions, readonly=True) as store:
        assert store.get("supervisions", "V00001")["support"] == ""
        frame = store.case_rows("supervisions", "C00001")
        assert (frame[NEW_COLUMNS] == "").all().all() and len(frame) == 1
    assert digest(with_supervisions) == before and schema(with_supervisions) == "2"


def test_the_old_draft_loads_and_a_full_session_saves_into_the_migrated_store(
    with_supervisions, tmp_path
):
    from casekit.analysis import supervision as sv
    from casekit.widgets import SupervisionSession

    key, case, supervisor = OLD_DRAFT
    store = casekit.open(with_supervisions, user=supervisor)
    ws = SupervisionSession(store, case, exports=tmp_path / "records")
    assert "Reopened your draft from 2025-03-01 10:00:00" in ws.status.value
    assert ws.stages["experience"].value.startswith("Draft left by casekit at 37c575f")
    assert [t.value for t, *_ in ws.hypotheses] == [
        "Exploring his identity",
        "Being groomed online",
    ]
    assert ws.hypotheses[0][1].value == ("E000190",)
    assert ws.decision["rationale"].value == "half-written"
    assert ws.decision_evidence.value == ("E000191",)
    assert ws.scales["child"].value == 6
    assert ws.child_voice.value == "" and all(f.value == "" for f in ws.functions.values())
    assert [t.value for t in ws.hypothesis_tests] == ["", ""]
    for stage in ("reflection", "analysis", "actions"):
        ws.stages[stage].value = f"{stage} written after the upgrade"
    ws.child_voice.value = "He wants his old school back."
    ws.functions["support"].value = "Tired."
    sid = ws.save_session()
    assert sid, ws.message.value
    saved = store.get("supervisions", sid)
    assert saved["child_voice"] == "He wants his old school back." and saved["support"] == "Tired."
    assert store.draft(key) is None
    assert casekit.load(with_supervisions, today=dt.date.today()).supervisions.shape[0] == 15
    assert sv.Session.from_dict({"case_id": case, "supervisor": supervisor, "worker": "W002"})
    store.close()

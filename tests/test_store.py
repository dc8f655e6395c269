"""The casebook store: validated writes, history, concurrency, crash safety, round trips.

The durability tests run on both a SQLite file and a PostgreSQL database (``store_url``).
"""

from __future__ import annotations

import datetime as dt
import filecmp
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import SYNTHETIC, write_csv_bundle

import casekit
from casekit.cli import main
from casekit.synth.generator import NOT_GENERATED

WRITER = textwrap.dedent(
    """
    import sys, casekit
    store = casekit.open(sys.argv[1], user=sys.argv[2])
    for i in range(int(sys.argv[3])):
        eid = store.add_event(case_id="C1", date="2024-03-01", source_agency="education",
                              kind="contact",
                              summary=f"contact {i} by {sys.argv[2]}",
                              category="protective", level="child")
        print(eid, flush=True)
    """
)


@pytest.fixture
def store(store_url):
    s = casekit.open(store_url, user="sw-1")
    s.add_team(team_id="T1", team_name="North")
    s.add_case(
        case_id="C1",
        child_id="K1",
        team_id="T1",
        opened="2024-01-10",
        referral_source="education",
        concern_flags="radicalisation",
    )
    yield s
    s.close()


def event_fields(**over):
    fields = dict(
        case_id="C1",
        date=dt.date(2024, 2, 1),
        source_agency="education",
        kind="visit",
        summary="Home visit; the young person was seen alone.",
        category="protective",
        level="child",
    )
    fields.update(over)
    return fields


def snapshot(store):
    """Every row of every table, including history, as plain tuples."""
    with store.engine.connect() as conn:
        return {
            name: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {name}"))))
            for name in [*casekit.TABLES, "_history"]
        }


def test_add_update_delete_and_history(store):
    eid = store.add_event(**event_fields())
    assert eid.startswith("E-")
    store.update_event(eid, significance="high", by="tm-2")
    store.delete_event(eid, reason="entered on the wrong case")
    hist = store.history(eid)
    assert hist["op"].tolist() == ["add", "update", "delete"]
    assert hist["version"].tolist() == [1, 2, 3]
    assert hist["by"].tolist() == ["sw-1", "tm-2", "sw-1"]
    assert hist["reason"].tolist()[-1] == "entered on the wrong case"
    assert hist["significance"].tolist() == ["", "high", "high"]
    assert hist["date"].tolist() == ["2024-02-01"] * 3
    assert len(store.casebook().events) == 0
    assert pd.Timestamp(hist["at"].iloc[0]) <= pd.Timestamp(hist["at"].iloc[-1])


def test_generic_write_methods_and_given_ids(store):
    did = store.add(
        "decisions",
        decision_id="D7",
        case_id="C1",
        date="2024-02-02",
        response="early_help",
        lead_agency="social_care",
        family_engaged=True,
    )
    assert did == "D7"
    store.update("decision", "D7", family_engaged="no")
    cb = store.casebook()
    assert (
        cb.decisions.loc[0, "family_engaged"] is False or not cb.decisions.loc[0, "family_engaged"]
    )
    assert cb.decisions.loc[0, "response"] == "early_help"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (event_fields(category="radical"), "'radical' — expected one of"),
        (event_fields(case_id="C9"), "refers to a case that does not exist"),
        (event_fields(date="2024-13-01"), "expected a date as YYYY-MM-DD"),
        (event_fields(date="2999-01-01"), "is in the future"),
        (event_fields(summary=""), "is empty; this column is required"),
        (event_fields(recorded_on="2024-01-01"), "is before the event's date"),
        (event_fields(colour="blue"), "'colour': is not a column of events"),
        (event_fields(catgory="harm"), "did you mean 'category'?"),
    ],
)
def test_invalid_writes_are_refused_and_write_nothing(store, fields, message):
    before = snapshot(store)
    with pytest.raises(casekit.WriteRefused, match="refused; nothing was written") as info:
        store.add_event(**fields)
    assert message in str(info.value)
    assert snapshot(store) == before


def test_invalid_update_and_delete_are_refused(store):
    eid = store.add_event(**event_fields())
    store.add_decision(
        decision_id="D1",
        case_id="C1",
        date="2024-02-02",
        response="early_help",
        lead_agency="social_care",
        family_engaged=True,
        evidence_ids=[eid],
    )
    before = snapshot(store)
    with pytest.raises(casekit.WriteRefused, match="whole number from 0 to 10"):
        store.add_judgement(case_id="C1", date="2024-02-02", level="child", safety_scale=11)
    with pytest.raises(casekit.WriteRefused, match="expected one of"):
        store.update_event(eid, level="household")
    with pytest.raises(casekit.WriteRefused, match="event_id.*cannot be changed"):
        store.update_event(eid, event_id="E-new")
    with pytest.raises(casekit.WriteRefused, match="still used by decision D1"):
        store.delete_event(eid, reason="mistake")
    with pytest.raises(casekit.WriteRefused, match="reason.*is required"):
        store.delete_decision("D1", reason=" ")
    with pytest.raises(casekit.CasekitError, match="there is no event 'E-nope'"):
        store.update_event("E-nope", level="child")
    with pytest.raises(casekit.WriteRefused, match="already used in this store"):
        store.add_event(**event_fields(event_id=eid))
    with pytest.raises(casekit.CasekitError, match="there is no table 'event_log'"):
        store.add("event_log", **event_fields())
    assert snapshot(store) == before


def test_ids_are_never_reused_after_delete(store):
    eid = store.add_event(**event_fields(event_id="E-1"))
    store.delete_event(eid, reason="duplicate")
    with pytest.raises(casekit.WriteRefused, match="ids are never reused"):
        store.add_event(**event_fields(event_id="E-1"))


def test_two_processes_write_at_once(store, store_url):
    path = store_url
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, path, who, "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("alice", "bob")
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    ids = [line for out, _ in outputs for line in out.split()]
    assert len(ids) == len(set(ids)) == 120
    cb = store.casebook()
    assert set(cb.events["event_id"]) == set(ids)
    assert cb.events["summary"].str.endswith("alice").sum() == 60
    assert store.counts()["events"] == 120


def test_a_killed_writer_loses_nothing_it_was_told_was_saved(store, store_url):
    path = store_url
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, path, "carol", "100000"], stdout=subprocess.PIPE, text=True
    )
    confirmed = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while len(confirmed) < 40 and time.monotonic() < deadline:
        confirmed.append(proc.stdout.readline().strip())
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(confirmed) == 40
    fresh = casekit.open(path)
    saved = set(fresh.casebook().events["event_id"])
    assert set(confirmed) <= saved
    with fresh.engine.connect() as conn:
        if not fresh.postgres:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        # every saved record has its history, and nothing is half-written
        history = conn.exec_driver_sql(
            "SELECT record_id FROM _history WHERE table_name = 'events'"
        ).scalars()
        assert sorted(history) == sorted(saved)
    for eid in confirmed:
        assert fresh.history(eid)["op"].tolist() == ["add"]
    fresh.close()


def holds_nothing(store_url):
    """Whether the store at ``store_url`` holds no record (or was never made at all)."""
    if "://" not in store_url and not Path(store_url).exists():
        return True
    with casekit.open(store_url) as store:
        return sum(store.counts().values()) == 0


def test_import_export_round_trip_is_lossless(tmp_path, capsys, store_url):
    store = store_url
    assert main(["import", str(SYNTHETIC), "--into", str(store), "--user", "analyst"]) == 0
    printed = capsys.readouterr().out
    assert "imported into" in printed
    out = tmp_path / "exported"
    assert main(["export", str(store), "--out", str(out)]) == 0
    printed += capsys.readouterr().out
    password = sa.engine.make_url(store).password if "://" in store else None
    assert not password or password not in printed  # a URL's password is never printed
    names = sorted(p.name for p in SYNTHETIC.glob("*.csv"))
    assert sorted(p.name for p in out.glob("*.csv")) == names
    match, mismatch, errors = filecmp.cmpfiles(SYNTHETIC, out, names, shallow=False)
    # the store holds every contract column: the optional ones the generator leaves out come
    # back as empty columns, and nothing else differs
    assert (sorted(mismatch), errors) == (sorted(f"{t}.csv" for t in NOT_GENERATED), [])
    for table, columns in NOT_GENERATED.items():
        read = {
            where: pd.read_csv(where / f"{table}.csv", dtype=str, keep_default_na=False)
            for where in (SYNTHETIC, out)
        }
        assert list(read[out].columns) == list(casekit.TABLES[table].column_names)
        assert (read[out][list(columns)] == "").all().all()
        pd.testing.assert_frame_equal(read[out].drop(columns=list(columns)), read[SYNTHETIC])
    hist = casekit.open(store).history("C00001")
    assert hist[["op", "by"]].values.tolist() == [["import", "analyst"]]


def test_import_keeps_extra_columns_and_loads_from_store(store_url, tiny_path):
    cases = pd.read_csv(tiny_path / "cases.csv", dtype=str, keep_default_na=False)
    cases["local_ref"] = ["A-1", "A-2"]
    cases.to_csv(tiny_path / "cases.csv", index=False)
    store = casekit.open(store_url)
    store.import_casebook(casekit.load(tiny_path))
    store.close()
    cb = casekit.load(store_url)
    assert cb.cases["local_ref"].tolist() == ["A-1", "A-2"]
    assert cb.cases["case_id"].tolist() == ["007", "008"]


def test_import_refuses_conflicts_and_writes_nothing(store_url, tiny_path, capsys):
    store_path = store_url
    assert main(["import", str(tiny_path), "--into", str(store_path)]) == 0
    store = casekit.open(store_path)
    before = snapshot(store)
    assert main(["import", str(tiny_path), "--into", str(store_path)]) == 2
    err = capsys.readouterr().err
    assert "'007' — is already in the store" in err and "nothing was written" in err
    assert snapshot(store) == before
    store.close()


def test_import_of_an_invalid_bundle_writes_nothing(store_url, tiny_path, capsys):
    text = (tiny_path / "events.csv").read_text().replace("views_expressed", "views")
    (tiny_path / "events.csv").write_text(text)
    assert main(["import", str(tiny_path), "--into", store_url]) == 2
    assert "did you mean 'views_expressed'?" in capsys.readouterr().err
    assert holds_nothing(store_url)


def test_import_refused_by_the_store_writes_nothing(store_url, tiny, tmp_path, capsys):
    """Rows valid alone, one referring to a case the store lacks, are refused whole."""
    assert main(["import", str(write_csv_bundle(tmp_path / "a", tiny)), "--into", store_url]) == 0
    more = [dict(tiny["events"][0], event_id="E10"), dict(tiny["events"][2], event_id="E11")]
    more[1]["case_id"] = "999"
    pd.DataFrame(more).to_csv(tmp_path / "more.csv", index=False)
    with casekit.open(store_url) as store:
        before = snapshot(store)
    assert main(["import", str(tmp_path / "more.csv"), "--into", store_url]) == 2
    err = capsys.readouterr().err
    assert "'999'" in err and "nothing was written" in err
    with casekit.open(store_url) as store:
        assert snapshot(store) == before


def test_export_refuses_to_overwrite_without_permission(tmp_path, tiny_path, capsys):
    store_path = tmp_path / "s.sqlite"
    main(["import", str(tiny_path), "--into", str(store_path)])
    out = tmp_path / "out"
    assert main(["export", str(store_path), "--out", str(out)]) == 0
    before = (out / "cases.csv").read_bytes()
    capsys.readouterr()
    assert main(["export", str(store_path), "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "cases.csv").read_bytes() == before
    assert main(["export", str(store_path), "--out", str(out), "--overwrite"]) == 0
    assert (out / "cases.csv").exists()


def test_export_never_overwrites_a_folder_of_other_files(tmp_path, tiny_path, capsys):
    store_path = tmp_path / "s.sqlite"
    main(["import", str(tiny_path), "--into", str(store_path)])
    out = tmp_path / "mydocs"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    for form in ("csv", "xlsx", "parquet"):
        args = ["export", str(store_path), "--out", str(out), "--form", form, "--overwrite"]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "notes.txt" in err or "is a folder, where a file is expected" in err
        assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # nothing touched
        assert (out / "notes.txt").read_text() == "mine"


def test_opening_a_missing_store_without_create_is_a_clear_error(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nope.sqlite"), "--out", str(tmp_path / "o")]) == 2
    assert "no such casebook store" in capsys.readouterr().err
    bad = tmp_path / "bad.sqlite"
    bad.write_text("this is not a database, just text that happens to be long enough")
    with pytest.raises(casekit.CasekitError, match="cannot be opened as a casebook store"):
        casekit.open(bad)

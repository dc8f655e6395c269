"""The contract's newer names everywhere it reaches: validation, every bundle form, the store.

``events.kind = assessment_completed``, ``events.seen_alone`` (a yes/no with no default: an
empty cell stays missing, never "no") and ``info_sharing.override_reason``; and a store made
before they existed (schema 1) is migrated when opened for writing, read as it is otherwise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_csv_bundle

import casekit
from casekit.bundle.io import write_bundle
from casekit.cli import main
from casekit.store.db import SCHEMA_VERSION
from casekit.widgets import ChronologyBuilder
from casekit.widgets.common import set_field_value

TODAY = dt.date(2026, 1, 1)
REASON = "Sharing was necessary and proportionate: risk of serious harm (public task)."


@pytest.fixture
def marked(tmp_path, tiny) -> Path:
    """The tiny bundle with one visit seen alone, one not, one not recorded; and an override."""
    for row, value in zip(tiny["events"], ("yes", "N", ""), strict=True):
        row["seen_alone"] = value
    tiny["events"][1]["kind"] = "assessment_completed"
    tiny["info_sharing"][0].update(consent="refused", not_sought_reason="")
    tiny["info_sharing"][0]["override_reason"] = REASON
    return write_csv_bundle(tmp_path / "marked", tiny)


def expect_marked(cb: casekit.Casebook) -> None:
    """Assert the marked bundle's new names read back exactly, missing staying missing."""
    seen = cb.events["seen_alone"]
    assert str(seen.dtype) == "boolean"
    assert seen.tolist()[:2] == [True, False] and pd.isna(seen.iloc[2])
    assert cb.events["kind"].astype(str).tolist()[1] == "assessment_completed"
    assert cb.info_sharing.loc[0, "override_reason"] == REASON
    strings = cb.canonical()
    assert strings["events"]["seen_alone"].tolist() == ["true", "false", ""]
    assert strings["info_sharing"]["override_reason"].tolist() == [REASON]


def test_the_new_names_validate_and_load(marked):
    assert casekit.validate(marked, today=TODAY) == []
    expect_marked(casekit.load(marked, today=TODAY))


def test_a_bundle_without_the_new_columns_reads_them_as_missing(tiny_path):
    cb = casekit.load(tiny_path, today=TODAY)
    assert cb.events["seen_alone"].isna().all()  # not recorded, not "no"
    assert cb.info_sharing["override_reason"].isna().all()


@pytest.mark.parametrize("form", ["csv", "xlsx", "parquet"])
def test_the_new_names_round_trip_through_every_bundle_form(marked, tmp_path, form):
    out = tmp_path / ("again.xlsx" if form == "xlsx" else "again")
    write_bundle(casekit.load(marked, today=TODAY).canonical(), out, form)
    expect_marked(casekit.load(out, today=TODAY))
    if form == "csv":
        header = (out / "events.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.endswith(",recorded_by,seen_alone")


def test_the_new_names_round_trip_through_the_store(marked, tmp_path):
    path = tmp_path / "team.sqlite"
    with casekit.open(path) as store:
        store.import_casebook(casekit.load(marked, today=TODAY))
        assert [store.get("events", e)["seen_alone"] for e in ("E1", "E2", "E3")] == [
            "true",
            "false",
            "",
        ]
        eid = store.add_event(
            case_id="007", date="2024-03-01", source_agency="social_care", kind="visit",
            summary="Home visit.", category="protective", level="child", seen_alone=False,
        )  # fmt: skip
        assert store.get("events", eid)["seen_alone"] == "false"
        store.update_event(eid, seen_alone=None)  # back to not recorded
        assert store.get("events", eid)["seen_alone"] == ""
        store.delete_event(eid, reason="entered in error")
    expect_marked(casekit.load(path, today=TODAY))


def test_a_bad_seen_alone_gets_a_located_message(tmp_path, tiny):
    for row, value in zip(tiny["events"], ("yes", "", "sometimes"), strict=True):
        row["seen_alone"] = value
    path = write_csv_bundle(tmp_path / "b", tiny)
    (p,) = casekit.validate(path, today=TODAY)
    assert (p.source, p.row, p.column, p.value) == ("events.csv", 4, "seen_alone", "sometimes")
    assert "expected yes or no" in p.expected


def test_a_store_refuses_a_bad_seen_alone_and_writes_nothing(tiny_store):
    with pytest.raises(casekit.WriteRefused, match="expected yes or no"):
        tiny_store.update_event("E1", seen_alone="perhaps")
    assert tiny_store.get("events", "E1")["seen_alone"] == ""


# --- a store made by the previous schema --------------------------------------------------------


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def schema(path: Path) -> str:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT value FROM _meta WHERE key = 'schema'").fetchone()[0]


@pytest.fixture
def old_store(tmp_path, tiny_path) -> Path:
    """A store as schema 1 left it: no seen_alone, no override_reason; checkpointed and closed."""
    path = tmp_path / "old.sqlite"
    with casekit.open(path) as store:
        store.import_casebook(casekit.load(tiny_path, today=TODAY))
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE events DROP COLUMN seen_alone")
    conn.execute("ALTER TABLE info_sharing DROP COLUMN override_reason")
    conn.execute("UPDATE _meta SET value = '1' WHERE key = 'schema'")
    conn.execute("DROP TABLE alembic_version")  # schema 1 was before Alembic
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert not Path(f"{path}-wal").exists() and schema(path) == "1"
    assert "seen_alone" not in columns(path, "events")
    return path


def test_an_old_store_opened_read_only_is_read_and_never_written(old_store, capsys):
    before = digest(old_store)
    cb = casekit.load(old_store, today=TODAY)
    assert len(cb.events) == 3 and cb.events["seen_alone"].isna().all()
    assert cb.info_sharing["override_reason"].isna().all()
    with casekit.open(old_store, readonly=True) as store:
        assert store.get("events", "E1")["seen_alone"] == ""
        assert store.case_rows("events", "007")["seen_alone"].tolist() == ["", ""]
        assert store.case_casebook("007").events["seen_alone"].isna().all()
        with pytest.raises(casekit.CasekitError, match="the store is read-only here"):
            store.update_event("E1", seen_alone=True)
    assert main(["validate", str(old_store)]) == 0, capsys.readouterr().out
    assert digest(old_store) == before and schema(old_store) == "1"
    assert "seen_alone" not in columns(old_store, "events")


def test_an_old_store_opened_for_writing_is_migrated_keeping_every_record(old_store):
    before = casekit.load(old_store, today=TODAY)
    with casekit.open(old_store) as store:
        assert schema(old_store) == SCHEMA_VERSION == "6"
        assert columns(old_store, "events")[-2:] == ["_extra", "seen_alone"]
        assert "override_reason" in columns(old_store, "info_sharing")
        store.update_event("E1", seen_alone=True)
        store.update_info_sharing("S1", override_reason=REASON)
    with casekit.open(old_store) as store:  # opening again changes nothing more
        assert store.get("events", "E1")["seen_alone"] == "true"
        assert store.get("info_sharing", "S1")["override_reason"] == REASON
        assert [v for _, v, *_ in store.history("E1")[["op", "version"]].itertuples()] == [
            "import",
            "update",
        ]
    after = casekit.load(old_store, today=TODAY)
    assert after.events["seen_alone"].tolist()[0] is True
    assert after.events["seen_alone"].iloc[1:].isna().all()
    unchanged = [c for c in before.events.columns if c != "seen_alone"]
    pd.testing.assert_frame_equal(after.events[unchanged], before.events[unchanged])


def test_a_store_of_an_unknown_schema_is_still_refused(old_store):
    conn = sqlite3.connect(old_store)
    conn.execute("UPDATE _meta SET value = '99' WHERE key = 'schema'")
    conn.commit()
    conn.close()
    for readonly in (False, True):
        with pytest.raises(
            casekit.CasekitError, match=f"schema 99, but this casekit reads {SCHEMA_VERSION}"
        ):
            casekit.open(old_store, readonly=readonly)


# --- the chronology builder --------------------------------------------------------------------


def test_seen_alone_is_a_not_recorded_yes_no_dropdown_in_the_chronology(tiny_store):
    b = ChronologyBuilder(tiny_store, "007")
    control = b.fields["seen_alone"]
    assert [label for label, _ in control.options] == ["not recorded", "yes", "no"]
    assert control.value is None and "Seen alone" in control.description
    for name, value in dict(
        date=dt.date(2024, 3, 1), source_agency="social_care", kind="visit",
        category="protective", level="child", summary="Home visit.", seen_alone=False,
    ).items():  # fmt: skip
        set_field_value(b.fields[name], value)
    eid = b.add_entry()
    assert tiny_store.get("events", eid)["seen_alone"] == "false"  # "no", not "not recorded"
    assert control.value is None  # cleared for the next entry
    b.start_edit(eid)
    assert control.value is False
    set_field_value(control, None)
    assert b.save_changes()
    assert tiny_store.get("events", eid)["seen_alone"] == ""
    b.start_edit("E1")  # an entry where it was never recorded
    assert control.value is None

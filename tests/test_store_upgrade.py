"""Stores written by earlier releases of casekit still open, read, validate and migrate.

``tests/stores/`` holds two small synthetic stores, each made by main as it was, with the same
command (``casekit synth --cases 16 --teams 1 --seed 3`` then ``casekit import --into``):
``schema1.sqlite.gz`` by commit 30dc107 (store schema 1: before ``seen_alone`` and
``override_reason``), ``schema2.sqlite.gz`` by commit 43f7b74 (schema 2, the main that issue 14
started from, when ``channel_support`` was still read as a rung between child in need and
section 47). Both are gzipped and copied into a temporary folder before each test, so the files
in the repository are never written.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import sqlite3
from pathlib import Path

import pytest

import casekit
from casekit.cli import main
from casekit.proportionality import escalations, flags
from casekit.store import SCHEMA_VERSION

STORES = Path(__file__).parent / "stores"
TODAY = dt.date(2025, 4, 1)
COUNTS = {"cases": 16, "events": 219, "judgements": 77, "decisions": 25, "info_sharing": 24}


def unpack(name: str, folder: Path) -> Path:
    path = folder / name.removesuffix(".gz")
    path.write_bytes(gzip.decompress((STORES / name).read_bytes()))
    path.chmod(0o600)
    return path


def schema(path: Path) -> str:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT value FROM _meta WHERE key = 'schema'").fetchone()[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(params=["schema1.sqlite.gz", "schema2.sqlite.gz"])
def old_store(request, tmp_path) -> Path:
    return unpack(request.param, tmp_path)


def test_the_fixtures_are_what_their_names_say(tmp_path):
    assert schema(unpack("schema1.sqlite.gz", tmp_path)) == "1"
    assert schema(unpack("schema2.sqlite.gz", tmp_path)) == "2"


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

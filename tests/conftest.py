"""Shared fixtures: the synthetic bundle, a tiny hand-made bundle to break, and store places."""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC = ROOT / "data" / "synthetic"
STORES = Path(__file__).parent / "stores"  # stores really made by earlier casekits, gzipped


def unpack_store(name: str, folder: Path) -> Path:
    """Unpack the old store ``tests/stores/NAME`` into ``folder`` (private) and return it."""
    path = folder / name.removesuffix(".gz")
    path.write_bytes(gzip.decompress((STORES / name).read_bytes()))
    path.chmod(0o600)
    return path


TINY: dict[str, list[dict[str, str]]] = {
    "teams": [{"team_id": "T1", "team_name": "North"}],
    "workers": [{"worker_id": "W1", "team_id": "T1", "role": "social_worker", "fte": "0.8"}],
    "cases": [
        {
            "case_id": "007",
            "child_id": "K1",
            "team_id": "T1",
            "worker_id": "W1",
            "opened": "2024-01-10",
            "closed": "2024-06-01",
            "referral_source": "education",
            "concern_flags": "radicalisation;mental_health",
            "ideology": "islamist",
            "child_birth_month": "2010-03",
            "child_gender": "male",
            "child_ethnicity": "asian",
            "child_religion": "muslim",
        },
        {
            "case_id": "008",
            "child_id": "K2",
            "team_id": "T1",
            "worker_id": "",
            "opened": "2024-02-01",
            "closed": "",
            "referral_source": "police",
            "concern_flags": "neglect",
            "ideology": "",
            "child_birth_month": "2012-11",
            "child_gender": "female",
            "child_ethnicity": "white",
            "child_religion": "",
        },
    ],
    "events": [
        {
            "event_id": "E1",
            "case_id": "007",
            "date": "2024-01-10",
            "date_precision": "day",
            "recorded_on": "",
            "source_agency": "education",
            "kind": "referral",
            "summary": "School raised views expressed in class.",
            "category": "views_expressed",
            "level": "child",
            "significance": "medium",
            "impact": "neutral",
            "evidence": "reported",
            "restricted": "no",
            "action_taken": "",
            "recorded_by": "W1",
        },
        {
            "event_id": "E2",
            "case_id": "007",
            "date": "2023-05-01",
            "date_precision": "month",
            "recorded_on": "2024-01-12",
            "source_agency": "police",
            "kind": "information_shared",
            "summary": "Police shared intelligence.",
            "category": "influence_grooming",
            "level": "child",
            "significance": "high",
            "impact": "negative",
            "evidence": "intelligence",
            "restricted": "Y",
            "action_taken": "",
            "recorded_by": "",
        },
        {
            "event_id": "E3",
            "case_id": "008",
            "date": "2024-02-01",
            "date_precision": "",
            "recorded_on": "",
            "source_agency": "police",
            "kind": "referral",
            "summary": "Found alone at home.",
            "category": "harm",
            "level": "child",
            "significance": "high",
            "impact": "negative",
            "evidence": "observed",
            "restricted": "",
            "action_taken": "Visit arranged",
            "recorded_by": "police",
        },
    ],
    "judgements": [
        {
            "judgement_id": "J1",
            "case_id": "007",
            "date": "2024-02-01",
            "level": "child",
            "safety_scale": "6",
            "rationale": "Scaled with family",
            "evidence_ids": "E1;E2",
            "judged_by": "W1",
        },
    ],
    "decisions": [
        {
            "decision_id": "D1",
            "case_id": "007",
            "date": "2024-02-02",
            "response": "early_help",
            "lead_agency": "social_care",
            "family_engaged": "yes",
            "rationale": "Needs support",
            "evidence_ids": "E1",
            "decided_by": "W1",
        },
    ],
    "plan_actions": [
        {
            "action_id": "A1",
            "case_id": "007",
            "created": "2024-02-03",
            "description": "Mentoring",
            "level": "child",
            "owner_agency": "education",
            "due": "2024-03-01",
            "completed": "",
            "evidence_ids": "E1",
        },
    ],
    "info_sharing": [
        {
            "share_id": "S1",
            "case_id": "007",
            "date": "2024-01-12",
            "from_agency": "police",
            "to_agency": "social_care",
            "information": "Intelligence summary",
            "purpose": "Assess risk",
            "lawful_basis": "public_task",
            "consent": "not_sought",
            "not_sought_reason": "Would increase risk",
            "restricted": "true",
        },
    ],
    "supervisions": [
        {
            "supervision_id": "V1",
            "case_id": "007",
            "date": "2024-02-02",
            "supervisor": "TM",
            "worker": "W1",
            "experience": "e",
            "reflection": "r",
            "analysis": "a",
            "actions": "x",
            "hypotheses": "h1; h2",
            "graces": "religion",
            "decision_ids": "D1",
        },
    ],
}


def write_csv_bundle(
    folder: Path, tables: dict[str, list[dict[str, str]]], encoding: str = "utf-8"
) -> Path:
    """Write tables of row dicts as a CSV bundle."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding=encoding) as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return folder


@pytest.fixture
def tiny() -> dict[str, list[dict[str, str]]]:
    """A fresh, deep copy of the tiny valid bundle's rows, to change in a test."""
    return {t: [dict(r) for r in rows] for t, rows in TINY.items()}


@pytest.fixture
def tiny_path(tmp_path: Path, tiny) -> Path:
    """The tiny valid bundle written as CSV."""
    return write_csv_bundle(tmp_path / "tiny", tiny)


@pytest.fixture
def synthetic_copy(tmp_path: Path) -> Path:
    """A writable copy of the committed synthetic bundle."""
    return Path(shutil.copytree(SYNTHETIC, tmp_path / "synthetic"))


@pytest.fixture
def tiny_store(tmp_path: Path, tiny_path: Path, request):
    """A casebook store in tmp_path holding the tiny bundle; its user is the module's USER."""
    import casekit

    s = casekit.open(tmp_path / "casebook.sqlite", user=getattr(request.module, "USER", "sam"))
    s.import_casebook(casekit.load(tiny_path))
    yield s
    s.close()


@pytest.fixture(scope="session")
def pg_cluster():
    """The run's PostgreSQL server (see tests/pg_helpers.py): started on first use, then kept."""
    from pg_helpers import Cluster

    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster):
    """The URL of a new, empty PostgreSQL database of this test's own, dropped after it."""
    url = pg_cluster.new_database()
    yield url
    pg_cluster.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path: Path) -> str:
    """Where a test's store lives: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "casebook.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def tiny_store_on_both(store_url: str, tiny_path: Path, request):
    """The tiny bundle in a store at ``store_url`` (SQLite, then PostgreSQL); user as tiny_store."""
    import casekit

    s = casekit.open(store_url, user=getattr(request.module, "USER", "sam"))
    s.import_casebook(casekit.load(tiny_path))
    yield s
    s.close()

"""A store of two teams with a record in every case table, its users, and opening it as one.

Alice works in team T1 (case C1), Bob in team T2 (case C2). ``boss`` is the admin who added
everyone; ``sue`` supervises T1; ``ann`` is an analyst of both teams without free text, ``fay``
one with it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

import casekit
from casekit.store.db import Store, is_postgres
from casekit.store.pgsecurity import issue_login
from casekit.store.users import add_user

__all__ = ["EVENT", "PEOPLE", "SECRET", "fill", "open_as", "person_engine", "two_team_store"]

EVENT = dict(
    date="2024-02-01",
    source_agency="police",
    kind="visit",
    summary="x",
    category="protective",
    level="child",
)
"""An event's fields but its case (and id): what a test adds to a case."""
SECRET = {"C1": "Alice's secret words", "C2": "Bob's secret words"}
PEOPLE = {
    "boss": ("admin", [], False),
    "alice": ("practitioner", ["T1"], False),
    "bob": ("practitioner", ["T2"], False),
    "sue": ("supervisor", ["T1"], False),
    "ann": ("analyst", ["T1", "T2"], False),
    "fay": ("analyst", ["T1", "T2"], True),
}


def fill(store: Store) -> None:
    """Add two teams and, for each, a case with one record in every case table."""
    for team, name in (("T1", "North"), ("T2", "South")):
        store.add_team(team_id=team, team_name=name)
    for n, team in ((1, "T1"), (2, "T2")):
        case, words = f"C{n}", SECRET[f"C{n}"]
        store.add_many(
            [
                ("cases", dict(case_id=case, child_id=f"K{n}", team_id=team, opened="2024-01-01",
                               referral_source="police", concern_flags="neglect",
                               child_birth_month="2010-01")),
                ("events", dict(event_id=f"E{n}", case_id=case, date="2024-01-02",
                                source_agency="police", kind="visit", summary=words,
                                category="protective", level="child")),
                ("judgements", dict(judgement_id=f"J{n}", case_id=case, date="2024-01-03",
                                    level="child", safety_scale="6", rationale=words)),
                ("decisions", dict(decision_id=f"D{n}", case_id=case, date="2024-01-04",
                                   response="early_help", lead_agency="social_care",
                                   family_engaged="yes", rationale=words, evidence_ids=f"E{n}")),
                ("plan_actions", dict(action_id=f"A{n}", case_id=case, created="2024-01-05",
                                      description=words, level="child", owner_agency="education")),
                ("info_sharing", dict(share_id=f"S{n}", case_id=case, date="2024-01-06",
                                      from_agency="police", to_agency="social_care",
                                      information=words, purpose="risk",
                                      lawful_basis="public_task", consent="given")),
                ("supervisions", dict(supervision_id=f"V{n}", case_id=case, date="2024-01-07",
                                      supervisor="TM", worker="W", experience=words)),
            ]
        )  # fmt: skip


def two_team_store(where: str) -> Store:
    """Make the two-team store at ``where`` with all of :data:`PEOPLE`; return it as ``boss``."""
    store = casekit.open(where, user="boss")
    fill(store)
    for name, (role, teams, free_text) in PEOPLE.items():
        add_user(store, name, role, teams, free_text)
    return store


def person_engine(where: str, name: str) -> sa.Engine:
    """Connect to a PostgreSQL store as ``name``'s own login role, with plain SQL (no casekit)."""
    url, password = issue_login(where, name)
    return sa.create_engine(sa.engine.make_url(url).set(drivername="postgresql+psycopg",
                                                        password=password))  # fmt: skip


@contextmanager
def open_as(where: str, name: str) -> Iterator[Store]:
    """Open the store as ``name``: on PostgreSQL through their own login, on SQLite by name."""
    if not is_postgres(where):
        with casekit.open(where, user=name) as store:
            yield store
        return
    url, password = issue_login(where, name)
    before = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = password
    try:
        with casekit.open(url) as store:
            yield store
    finally:
        if before is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = before

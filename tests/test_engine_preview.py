"""The one-case flag preview: SQL compiled once per thresholds (any as-of date), the same rows.

:class:`~casekit.analysis.relational.preview.Preview` must give exactly what ``run_flags``
gives for every case, whatever case came before it (no rows left registered from another
case), for each as-of date and thresholds, and keep only the last few compiled texts: a new
as-of date compiles nothing (it is a parameter of the SQL). Its
tables hold no case's rows between previews; its calendar is the case's own days, its known
decisions a kept table, and a casebook too large for the optimizer-off path gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pytest
from engine_helpers import assert_same_flags, oracle, synthetic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import casekit
from casekit.analysis.proportionality import THRESHOLDS
from casekit.analysis.relational import preview as preview_module
from casekit.analysis.relational.flags import COLUMNS, PARTS, flag_frame, run_flags
from casekit.analysis.relational.preview import PREFIX, Preview
from casekit.bundle.casebook import Casebook
from casekit.engine import connect
from casekit.engine.tables import from_casebook
from casekit.policy import FLAGS

SYNTHETIC = Path(__file__).resolve().parents[1] / "data" / "synthetic"


def one(cb: Casebook, case: str) -> Casebook:
    """Give one case of a casebook as a casebook of its own."""
    return Casebook(
        {n: (t[t["case_id"] == case] if "case_id" in t else t) for n, t in cb.tables.items()},
        case,
    )


@pytest.fixture(scope="module")
def duckdb():
    with connect("duckdb") as engine:
        yield engine


def test_the_preview_gives_run_flags_rows_case_after_case(duckdb):
    cb, _ = synthetic(7, 40)
    cases = list(cb.cases["case_id"])[:12]
    raised = 0
    with Preview(keep=2) as preview:
        for n, case in enumerate(cases):
            as_of = (dt.date(2024, 6, 30), dt.date(2025, 6, 30), dt.date(2023, 1, 1))[n % 3]
            rung = ("child_in_need", "early_help", "section_47")[(n // 2) % 3]
            t = {**THRESHOLDS, "escalation_rung": rung}
            small = one(cb, case)
            got = preview.flags(small, as_of, t)
            want = run_flags(duckdb, from_casebook(small), as_of, t)
            assert got.equals(want), case
            assert set(got["case_id"]) <= {case}
            raised += len(got)
        assert preview._made == 6  # compiled once per change of thresholds, whatever the date
        assert len(preview._sql) == 2  # only the last two thresholds kept
        assert len(preview._prepared) == 2  # and the last two (thresholds, as-of date) pairs
        prepared = preview.engine.backend.con.execute(
            "SELECT name FROM duckdb_prepared_statements()"
        ).fetchall()
        kept = set(preview._prepared.values())
        assert {name.rsplit("_", 1)[0] for (name,) in prepared} == kept  # others deallocated
        assert len(prepared) == 2 * (1 + len(PARTS))  # the known decisions and each part
        assert_empty(preview)
    assert raised > 0  # the comparison had flags to compare


def test_a_new_as_of_date_compiles_nothing_and_gives_that_dates_rows(duckdb):
    cb, _ = synthetic(11, 40)
    small = one(cb, str(cb.cases["case_id"].iloc[3]))
    opened = small.cases["opened"].min().date()
    dates = [dt.date(2026, 1, 1), opened, opened - dt.timedelta(days=1), dt.date(2024, 2, 29)]
    with Preview() as preview:
        sql = preview.sql(dict(THRESHOLDS))
        decided, parts = sql
        assert all("$as_of" in text for text in (decided, *parts))  # the date: a parameter
        seen = []
        for as_of in dates:
            got = preview.flags(small, as_of, dict(THRESHOLDS))
            assert got.equals(run_flags(duckdb, from_casebook(small), as_of, THRESHOLDS)), as_of
            seen.append(len(got))
        assert preview._made == 1 and preview.sql(dict(THRESHOLDS)) == sql
        assert_empty(preview)
    assert len(set(seen)) > 1  # the dates gave different flags: the parameter was used


def assert_empty(preview: Preview) -> None:
    """Assert the preview holds no rows: no case stays in the engine after a preview.

    Neither in its tables (the known decisions) nor in the sources the flags read.
    """
    con = preview.engine.backend.con
    tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    names = [name for (name,) in tables + views if name.startswith(PREFIX)]
    assert len(names) >= 11  # the contract's tables, their links, the calendar and decisions
    for name in names:
        assert con.execute(f"SELECT count(*) FROM {name}").fetchall() == [(0,)], name
    assert all(rows.table.num_rows == 0 for rows in preview._rows.values())


def test_a_larger_casebook_runs_with_the_optimizer_and_gives_the_same_rows(duckdb, monkeypatch):
    cb, tables = synthetic(3, 60)
    as_of = dt.date(2025, 3, 31)
    want = run_flags(duckdb, tables, as_of, dict(THRESHOLDS))
    with Preview() as preview:
        small = preview.flags(cb, as_of, dict(THRESHOLDS))
        monkeypatch.setattr(preview_module, "SMALL", 0)  # every casebook is "large" now
        large = preview.flags(cb, as_of, dict(THRESHOLDS))
        monkeypatch.setattr(preview_module, "SMALL", 10**9)
        again = preview.flags(cb, as_of, dict(THRESHOLDS))  # the kept plans still serve
        assert_empty(preview)
    assert len(want) > 20
    assert small.equals(want) and large.equals(want) and again.equals(want)


def test_a_case_whose_dates_all_come_after_the_as_of_date(duckdb):
    cb, _ = synthetic(7, 40)
    case = str(cb.cases["case_id"].iloc[0])
    small = one(cb, case)
    before = (small.cases["opened"].min() - dt.timedelta(days=30)).date()
    with Preview() as preview:
        got = preview.flags(small, before, dict(THRESHOLDS))  # an empty calendar: no rows
        later = preview.flags(small, dt.date(2026, 1, 1), dict(THRESHOLDS))
    assert got.empty and list(got.columns) == list(later.columns)
    assert later.equals(run_flags(duckdb, from_casebook(small), dt.date(2026, 1, 1), THRESHOLDS))


def test_an_empty_casebook_and_a_case_with_nothing_but_its_referral(duckdb):
    cb, _ = synthetic(7, 40)
    case = str(cb.cases["case_id"].iloc[0])
    bare = Casebook(
        {
            n: (t[t["case_id"] == case] if n == "cases" else t.iloc[0:0])
            for n, t in cb.tables.items()
        },
        "bare",
    )
    nothing = Casebook({n: t.iloc[0:0] for n, t in cb.tables.items()}, "nothing")
    as_of = dt.date(2025, 6, 30)
    with Preview() as preview:
        for book in (bare, nothing, bare):
            got = preview.flags(book, as_of, dict(THRESHOLDS))
            want = run_flags(duckdb, from_casebook(book), as_of, dict(THRESHOLDS))
            assert got.equals(want) or (got.empty and want.empty)
        assert list(got["flag"].astype(str)) == ["late_assessment"]  # referred, never assessed


@pytest.fixture(scope="module")
def shared_preview():
    with Preview(keep=4) as preview:
        yield preview


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    pick=st.integers(0, 39),
    as_of=st.dates(dt.date(2023, 6, 1), dt.date(2026, 6, 1)),
    escalation_rung=st.sampled_from(["early_help", "child_in_need", "section_47"]),
    step_down_days=st.sampled_from([0, 30, 200]),
    low_scale=st.integers(0, 10),
    assessment_working_days=st.sampled_from([0, 10, 45]),
)
def test_the_preview_gives_the_pandas_flags_of_any_case(
    shared_preview, seed, pick, as_of, **thresholds
):
    cb, _ = synthetic(seed, 40)
    cases = list(cb.cases["case_id"])
    small = one(cb, str(cases[pick % len(cases)]))
    got = shared_preview.flags(small, as_of, {**THRESHOLDS, **thresholds})
    got["flag"] = got["flag"].astype(str)
    assert_same_flags(oracle(small, as_of, **thresholds), got)
    assert_empty(shared_preview)


def test_the_preview_raises_every_flag_as_run_flags_and_pandas_do(duckdb):
    cb = casekit.load(SYNTHETIC)
    as_of = dt.date(2025, 3, 31)
    everything = oracle(cb, as_of)
    firsts = list(dict.fromkeys(everything.drop_duplicates("flag")["case_id"]))  # each flag's
    chosen = Casebook(
        {n: (t[t["case_id"].isin(firsts)] if "case_id" in t else t) for n, t in cb.tables.items()},
        "a case for each flag",
    )
    with Preview() as preview:
        got = preview.flags(chosen, as_of, dict(THRESHOLDS))
        assert set(got["flag"].astype(str)) == set(FLAGS)  # all twelve, in one preview
        assert got.equals(run_flags(duckdb, from_casebook(chosen), as_of, dict(THRESHOLDS)))
        shown = got.assign(flag=got["flag"].astype(str))
        assert_same_flags(oracle(chosen, as_of), shown)
        for case in firsts:  # each case alone: its own rows of the whole preview, no more
            alone = preview.flags(one(chosen, case), as_of, dict(THRESHOLDS))
            assert alone.equals(got[got["case_id"] == case].reset_index(drop=True)), case
        assert preview._made == 1  # one compilation served them all
        assert_empty(preview)


def test_two_as_of_dates_alternating_share_one_compilation(duckdb):
    cb, _ = synthetic(7, 40)
    small = one(cb, "C00033")  # four kinds of flag at mid-2025, fewer a year before
    dates = (dt.date(2024, 6, 30), dt.date(2025, 6, 30))
    want = {d: run_flags(duckdb, from_casebook(small), d, dict(THRESHOLDS)) for d in dates}
    assert not want[dates[0]].equals(want[dates[1]])  # the as-of date matters to this case
    with Preview(keep=2) as preview:
        for as_of in (*dates, *dates, dates[0]):
            assert preview.flags(small, as_of, dict(THRESHOLDS)).equals(want[as_of]), as_of
        assert preview._made == 1  # the date is the SQL's parameter
        assert_empty(preview)


def test_one_preview_shared_by_threads_gives_each_call_its_own_case():
    cb, _ = synthetic(7, 40)
    cases = list(cb.cases["case_id"])[:8]
    as_of = dt.date(2025, 6, 30)
    with Preview() as preview:
        want = {case: preview.flags(one(cb, case), as_of, dict(THRESHOLDS)) for case in cases}
        assert sum(len(w) for w in want.values()) > 0
        with ThreadPoolExecutor(4) as pool:
            calls = cases * 3
            got = list(pool.map(lambda c: preview.flags(one(cb, c), as_of, THRESHOLDS), calls))
        for case, rows in zip(calls, got, strict=True):
            assert rows.equals(want[case]), case
        assert_empty(preview)


def test_a_preview_that_fails_midway_leaves_nothing_and_the_next_one_works(duckdb, monkeypatch):
    cb, _ = synthetic(7, 40)
    small = one(cb, "C00033")
    as_of = dt.date(2025, 6, 30)
    with Preview() as preview:
        found = preview._statements(dict(THRESHOLDS))
        monkeypatch.setattr(preview, "_prepare", lambda *_: (found, "casekit_not_prepared"))
        with pytest.raises(Exception, match="casekit_not_prepared"):
            preview.flags(small, as_of, dict(THRESHOLDS))  # fails after the case was loaded
        assert_empty(preview)
        monkeypatch.undo()
        got = preview.flags(small, as_of, dict(THRESHOLDS))
        assert got.equals(run_flags(duckdb, from_casebook(small), as_of, dict(THRESHOLDS)))
        assert_empty(preview)


def test_flag_rows_as_arrow_are_shaped_as_the_same_rows_as_pandas():
    def jan(day: int) -> dt.date:
        return dt.date(2024, 1, day)

    rows = pa.table(
        {
            "case_id": ["C2", "C1", "C1", "C1", "C1", "C1", None],
            "flag": [FLAGS[3], FLAGS[5], FLAGS[1], FLAGS[2], FLAGS[1], FLAGS[1], FLAGS[0]],
            "subject_id": ["D9", "D1", "D2", "D1", None, "D2", "D3"],
            "reason": ["r1", "r2", "r3", None, "r5", "r6", "r7"],
            "date": [jan(2), None, jan(1), jan(1), jan(2), jan(1), jan(1)],
            "status": ["open", "past", "open", "open", None, "open", "past"],
            "team_id": ["T1", None, "T2", "T2", "T2", "T2", "T1"],
        }
    )
    for table in (rows, rows.slice(0, 1), rows.slice(0, 0), rows.select(COLUMNS[::-1])):
        want = flag_frame(table.to_pandas())
        got = flag_frame(table)
        assert got.equals(want) and got.dtypes.equals(want.dtypes)
        assert list(got.index) == list(range(len(got)))
    shaped = flag_frame(rows)
    assert list(shaped["reason"]) == ["r3", "r6", None, "r5", "r2", "r1", "r7"]  # ties: stable
    assert list(shaped["flag"].cat.categories) == list(FLAGS)  # ordered as the principles


def test_parts_not_run_for_a_case_without_their_rows_give_what_running_them_gives(
    duckdb, monkeypatch
):
    cb, _ = synthetic(7, 40)
    has = {n: set(cb.tables[n]["case_id"]) for n in ("plan_actions", "info_sharing")}
    cases = [
        next(c for c in cb.cases["case_id"] if c not in has["plan_actions"]),
        next(c for c in cb.cases["case_id"] if c not in has["info_sharing"]),
        next(
            c for c in cb.cases["case_id"] if c in has["plan_actions"] and c in has["info_sharing"]
        ),
    ]
    as_of = dt.date(2025, 6, 30)
    with Preview() as skipping:
        skipped = [skipping.flags(one(cb, case), as_of, dict(THRESHOLDS)) for case in cases]
        needs = {need for _, need in skipping._statements(dict(THRESHOLDS)).parts}
    assert needs == {None, "decisions", "plan_actions", "info_sharing"}
    monkeypatch.setattr(preview_module, "_SOURCES", {})  # every part runs for every case
    with Preview() as running:
        ran = [running.flags(one(cb, case), as_of, dict(THRESHOLDS)) for case in cases]
    for case, got, want in zip(cases, skipped, ran, strict=True):
        assert got.equals(want), case
        assert got.equals(run_flags(duckdb, from_casebook(one(cb, case)), as_of, THRESHOLDS))
    assert sum(len(r) for r in ran) > 0

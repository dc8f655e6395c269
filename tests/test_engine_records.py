"""The relational assessment, plan and sharing flags on hand-made casebooks, against pandas.

Each casebook is built for one branch of ``late_assessment``, ``plan_not_linked``,
``sharing_without_basis`` or ``shared_despite_refusal`` (bank holidays, the limit day, ties,
ids that name no event, blank and odd whitespace, consent values, a bundle without
``override_reason``). Every test checks the rows the flags should give and that DuckDB gives
exactly the pandas flags (the oracle); one Spark local-mode session and one PostgreSQL database
check a casebook mixing them, and the working-day calendar is checked against
:mod:`casekit.policy`'s working days.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from engine_helpers import assert_same_flags, oracle, relational, synthetic
from test_engine_store import no_password
from test_proportionality import SHARE, build, ev, plan

from casekit.analysis.proportionality import _blank, _quote
from casekit.analysis.relational import plans, sharing, timeliness
from casekit.analysis.relational.flags import RAISED
from casekit.engine import connect
from casekit.engine.calendar import FIRST_DAY, calendar_rows, working_calendar
from casekit.engine.tables import Tables, from_casebook
from casekit.engine.text import blank, quote
from casekit.policy import nth_working_day_after, working_days_after

OURS = (*timeliness.RAISES, *plans.RAISES, *sharing.RAISES)
AS_OF = dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def duckdb():
    with connect("duckdb") as engine:
        yield engine


def both(engine, cb, as_of=AS_OF, flag=None, **thresholds) -> pd.DataFrame:
    """Give the relational flags of ``cb`` after checking they equal the pandas flags."""
    got = relational(engine, from_casebook(cb), as_of, **thresholds)
    assert_same_flags(oracle(cb, as_of, **thresholds), got)
    if flag is not None:
        got = got[got["flag"] == flag]
    return got.reset_index(drop=True)


def test_our_flags_are_raised_relationally():
    assert set(OURS) <= set(RAISED)


# --- late_assessment --------------------------------------------------------------------------

# Friday 23 August 2024: Monday 26 August is the summer bank holiday, so the tenth working day
# after it is Monday 9 September, and the first day past the limit Tuesday 10 September.
FRIDAY = "2024-08-23"


def assessed_on(tmp_path, day, opened=FRIDAY, **kw):
    events = [ev("E1", opened, "harm"), ev("EA", day, "agency_action", kind="assessment", **kw)]
    return build(tmp_path / day, events, opened=opened)


def test_a_case_opened_on_a_friday_before_a_bank_holiday(duckdb, tmp_path):
    on_limit = assessed_on(tmp_path, "2024-09-09")
    assert both(duckdb, on_limit, flag="late_assessment").empty  # the limit day is in time
    late = both(duckdb, assessed_on(tmp_path, "2024-09-10"), flag="late_assessment")
    assert late[["subject_id", "date", "status", "team_id"]].values.tolist() == [
        ["C1", pd.Timestamp("2024-09-10"), "past", "T1"]
    ]
    assert late["reason"].item() == (
        "The first assessment, EA (2024-09-10), came 11 working days after the referral "
        "(2024-08-23); the limit is 10 working days."
    )


def test_a_case_never_assessed_is_late_from_the_first_day_past_the_limit(duckdb, tmp_path):
    cb = build(tmp_path, [ev("E1", FRIDAY, "harm")], opened=FRIDAY)
    assert both(duckdb, cb, dt.date(2024, 9, 9), flag="late_assessment").empty
    rows = both(duckdb, cb, dt.date(2024, 9, 10), flag="late_assessment")
    assert rows[["date", "status"]].values.tolist() == [[pd.Timestamp("2024-09-10"), "open"]]
    assert rows["reason"].item() == (
        "No assessment has been recorded by 2024-09-10, 11 working days after the referral "
        "(2024-08-23); the limit is 10 working days."
    )
    later = both(duckdb, cb, dt.date(2025, 1, 6), flag="late_assessment")
    assert later["date"].tolist() == [pd.Timestamp("2024-09-10")]  # not the as-of date
    assert "by 2025-01-06, 92 working days after" in later["reason"].item()


def test_a_case_closed_without_an_assessment(duckdb, tmp_path):
    events = [ev("E1", FRIDAY, "harm")]
    closed = build(tmp_path / "late", events, opened=FRIDAY, closed="2024-09-20")
    rows = both(duckdb, closed, flag="late_assessment")
    assert rows[["date", "status"]].values.tolist() == [[pd.Timestamp("2024-09-10"), "past"]]
    assert (
        rows["reason"]
        .item()
        .startswith(
            "No assessment was recorded before the case was closed on 2024-09-20, 19 working days "
            "after the referral (2024-08-23)"
        )
    )
    on_limit = build(tmp_path / "quick", events, opened=FRIDAY, closed="2024-09-09")
    assert both(duckdb, on_limit, flag="late_assessment").empty  # closed within the limit
    at_past = build(tmp_path / "edge", events, opened=FRIDAY, closed="2024-09-10")
    assert both(duckdb, at_past, flag="late_assessment")["status"].tolist() == ["past"]


def test_the_first_assessment_on_a_tie_is_the_one_recorded_first_then_the_lower_id(
    duckdb, tmp_path
):
    def first_named(events):
        cb = build(tmp_path / str(len(list(tmp_path.iterdir()))), events, opened=FRIDAY)
        return both(duckdb, cb, flag="late_assessment")["reason"].item()

    day = "2024-09-12"
    recorded = [
        ev("EB", day, "agency_action", kind="assessment", recorded="2024-09-12"),
        ev("EA", day, "agency_action", kind="assessment", recorded="2024-09-13"),
    ]
    assert first_named(recorded).startswith("The first assessment, EB (2024-09-12)")
    same = [
        ev("EZ", day, "agency_action", kind="assessment"),
        ev("EM", day, "agency_action", kind="assessment"),
        ev("EQ", "2024-09-11", "harm"),
    ]
    assert first_named(same).startswith("The first assessment, EM (2024-09-12)")


def test_an_assessment_recorded_after_the_as_of_date_does_not_count_yet(duckdb, tmp_path):
    cb = assessed_on(tmp_path, "2024-09-02", recorded="2024-09-16")
    rows = both(duckdb, cb, dt.date(2024, 9, 13), flag="late_assessment")
    assert rows["status"].tolist() == ["open"]
    assert rows["reason"].item().startswith("No assessment has been recorded by 2024-09-13, 14")
    assert both(duckdb, cb, dt.date(2024, 9, 16), flag="late_assessment").empty  # in time


def test_a_case_opened_on_a_weekend_or_a_bank_holiday(duckdb, tmp_path):
    # Saturday 24 August and bank holiday Monday 26 August 2024: both count from Tuesday 27
    for opened in ("2024-08-24", "2024-08-26"):
        cb = assessed_on(tmp_path / opened, "2024-09-10", opened=opened)
        rows = both(duckdb, cb, flag="late_assessment")
        assert rows["date"].tolist() == [pd.Timestamp("2024-09-10")]
        assert "came 11 working days after the referral" in rows["reason"].item()


def test_other_limits_and_cases_not_yet_opened(duckdb, tmp_path):
    same_day = assessed_on(tmp_path, FRIDAY)
    assert both(duckdb, same_day, flag="late_assessment", assessment_working_days=0).empty
    next_day = assessed_on(tmp_path, "2024-08-27")  # the first working day after the Friday
    rows = both(duckdb, next_day, flag="late_assessment", assessment_working_days=0)
    assert rows["reason"].item() == (
        "The first assessment, EA (2024-08-27), came 1 working days after the referral "
        "(2024-08-23); the limit is 0 working days."
    )
    assert both(duckdb, next_day, dt.date(2024, 8, 22)).empty  # opened after the as-of date
    long = assessed_on(tmp_path, "2025-08-27")
    late = dt.date(2025, 12, 31)
    rows = both(duckdb, long, late, flag="late_assessment", assessment_working_days=200)
    assert rows["date"].tolist() == [pd.Timestamp("2025-06-12")]  # the 201st working day


def test_data_spanning_decades(duckdb, tmp_path):
    events = [ev("E1", "1996-03-01", "harm", case="C1")]
    cb = build(tmp_path, events, opened="1996-03-01", closed="2025-03-31")
    rows = both(duckdb, cb, dt.date(2025, 6, 30), flag="late_assessment")
    assert rows["date"].tolist() == [pd.Timestamp("1996-03-18")]
    assert "closed on 2025-03-31, 7347 working days after the referral (1996-03-01)" in (
        rows["reason"].item()
    )
    tables = from_casebook(cb)
    assert tables.first_day == dt.date(1996, 3, 1)  # the calendar starts at the data
    calendar = tables.calendar(dt.date(2025, 6, 30))
    assert duckdb.backend.execute(calendar.count()) == 10714


# --- plan_not_linked --------------------------------------------------------------------------

AGENCY = [
    ev("E1", "2024-01-10", "harm"),
    ev("EX", "2024-01-12", "agency_action", summary="Screening\t completed  \n by the school"),
    ev("EY", "2024-01-13", "agency_action", summary="\u00a0Referred to Channel panel\u2003"),
    ev("EZ", "2025-02-01", "agency_action", summary="Home visit", recorded="2025-02-02"),
    ev("EO", "2024-01-14", "agency_action", summary="Other case's visit", case="C2"),
]


def past_validation(cb):
    """Make A7 cite an event of another case, A8 an id of no event, A9 EX and that id.

    Validation refuses both in a bundle; a store or extract read without it may hold them.
    """
    ids = cb.plan_actions.set_index("action_id")["evidence_ids"]
    ids["A7"], ids["A8"], ids["A9"] = ["EO"], ["NOPE"], ["EX", "NOPE"]
    cb.tables["plan_actions"]["evidence_ids"] = ids.to_numpy()
    return cb


def test_plans_with_no_evidence_or_only_what_agencies_did(duckdb, tmp_path):
    plans_ = [
        plan("A1"),
        plan("A2", "E1"),
        plan("A3", "EX;EY", description="  Parenting\n\nsupport  "),
        plan("A4", "EX;E1"),
        plan("A5", "EY;EX;EY"),  # a repeated id is named as often as cited
        plan("A6", "EZ"),  # an agency action after the as-of date: all events count
        plan("A7", "E1"),  # cites EO, of another case, below
        plan("A8", "E1"),  # cites an id that names no event, below
        plan("A9", "E1"),  # cites EX and that id, below
        plan("A10", completed="2024-03-01"),
        plan("A11", completed="2025-02-01"),
        plan("A12", created="2025-01-05"),  # created after the as-of date: not known
    ]
    cases = [("C2", "2024-01-08")]
    cb = past_validation(build(tmp_path, AGENCY, plans=plans_, more_cases=cases))
    rows = both(duckdb, cb, flag="plan_not_linked").set_index("subject_id")
    assert sorted(rows.index) == sorted(["A1", "A3", "A5", "A6", "A7", "A10", "A11"])
    assert rows.loc["A3", "reason"] == (
        'Plan action A3 ("Parenting support", created 2024-02-01) cites only what agencies did: '
        'EX (agency action) on 2024-01-12: "Screening completed by the school", EY (agency '
        'action) on 2024-01-13: "Referred to Channel panel". A plan answers worries and builds '
        "on strengths."
    )  # validation trims every kind of space at a cell's ends (no-break, em) before quoting
    assert rows.loc["A5", "reason"].count("EY (agency action)") == 2
    assert rows.loc["A6", "reason"].endswith(
        'EZ (agency action) on 2025-02-01: "Home visit". '
        "A plan answers worries and builds on strengths."
    )
    assert rows.loc["A1", "reason"] == (
        'Plan action A1 ("Mentoring", created 2024-02-01) names no evidence it answers.'
    )
    assert rows["status"].to_dict() == {
        "A1": "open", "A3": "open", "A5": "open", "A6": "open", "A7": "open",
        "A10": "past", "A11": "open",
    }  # fmt: skip
    assert set(rows["date"]) == {pd.Timestamp("2024-02-01")}
    closed = build(tmp_path / "c", AGENCY, plans=plans_, closed="2024-12-01", more_cases=cases)
    assert set(both(duckdb, past_validation(closed), flag="plan_not_linked")["status"]) == {"past"}


def test_a_plan_citing_many_agency_actions_names_six_and_counts_the_rest(duckdb, tmp_path):
    many = [ev(f"E{i}", f"2024-01-1{i}", "agency_action", summary=f"Act {i}") for i in range(8)]
    description = "A long description " * 6
    cb = build(tmp_path, many, plans=[plan("A1", ";".join(f"E{i}" for i in range(8)),
                                           description=description)])  # fmt: skip
    reason = both(duckdb, cb, flag="plan_not_linked")["reason"].item()
    assert reason.startswith(
        'Plan action A1 ("A long description A long description A long description A…", '
        "created 2024-02-01) cites only what agencies did: E0 (agency action)"
    )
    assert 'E5 (agency action) on 2024-01-15: "Act 5" and 2 more.' in reason
    assert "E6 (" not in reason


def test_a_plan_of_a_case_not_known_is_past(duckdb, tmp_path):
    cases = [("C2", "2025-03-01")]  # opened after the as-of date
    cb = build(tmp_path, AGENCY[:1], plans=[dict(plan("A1"), case_id="C2")], more_cases=cases)
    rows = both(duckdb, cb, flag="plan_not_linked")
    assert rows[["subject_id", "status"]].values.tolist() == [["A1", "past"]]
    assert rows["team_id"].isna().all()


# --- sharing_without_basis and shared_despite_refusal ------------------------------------------


def test_blank_purposes_and_reasons(duckdb, tmp_path):
    shares = [
        dict(SHARE, share_id="S1"),
        dict(SHARE, share_id="S2", purpose=""),
        dict(SHARE, share_id="S3", purpose=" \t "),
        dict(SHARE, share_id="S4", purpose="\u00a0\u2003"),  # no-break and em spaces only
        dict(SHARE, share_id="S5", purpose=". "),
        dict(SHARE, share_id="S6", consent="not_sought", not_sought_reason="   "),
        dict(SHARE, share_id="S7", consent="not_sought", not_sought_reason="Risk to the child"),
    ]
    cb = build(tmp_path, AGENCY[:1], shares=shares)
    rows = both(duckdb, cb, flag="sharing_without_basis").set_index("subject_id")
    assert list(rows.index) == ["S2", "S3", "S4", "S6"]
    for share in ("S2", "S3", "S4"):
        assert rows.loc[share, "reason"].endswith('"Police intelligence summary"): no purpose '
                                                  "recorded.")  # fmt: skip
    assert rows.loc["S6", "reason"].endswith(": consent not sought with no reason given.")
    assert set(rows["status"]) == {"open"}


def test_consent_values_and_every_gap_at_once(duckdb, tmp_path):
    shares = [
        dict(SHARE, share_id="S1", lawful_basis="consent", consent="given"),
        dict(SHARE, share_id="S2", lawful_basis="consent", consent="refused",
             override_reason="Imminent risk"),
        dict(SHARE, share_id="S3", lawful_basis="consent", consent="not_sought",
             not_sought_reason="Would alert the adult"),
        dict(SHARE, share_id="S4", lawful_basis="consent"),  # consent missing, below
        dict(SHARE, share_id="S5", lawful_basis="not_recorded", purpose="", consent="not_sought"),
        dict(SHARE, share_id="S6", lawful_basis="not_recorded", purpose=" ", consent="refused"),
        dict(SHARE, share_id="S7"),  # basis and consent missing, below
    ]  # fmt: skip
    cb = build(tmp_path, AGENCY[:1], shares=shares)
    # validation requires both; an extract read without it may lack them
    share = cb.tables["info_sharing"]
    share.loc[share["share_id"].isin(["S4", "S7"]), "consent"] = np.nan
    share.loc[share["share_id"] == "S7", "lawful_basis"] = np.nan
    rows = both(duckdb, cb, flag="sharing_without_basis").set_index("subject_id")
    assert list(rows.index) == ["S2", "S3", "S4", "S5", "S6"]
    gaps = rows["reason"].str.split('summary"\\): ', regex=True).str[1].to_dict()
    assert gaps == {
        "S2": "the lawful basis is consent but consent was refused.",
        "S3": "the lawful basis is consent but consent was not sought.",
        "S4": "the lawful basis is consent but consent is not recorded.",
        "S5": "no lawful basis recorded; no purpose recorded; consent not sought with no reason "
        "given.",
        "S6": "no lawful basis recorded; no purpose recorded.",
    }
    refused = both(duckdb, cb, flag="shared_despite_refusal")
    assert refused["subject_id"].tolist() == ["S6"]  # S2 records why it overrode


def test_shared_despite_refusal_quotes_what_was_shared(duckdb, tmp_path):
    information = "  Police\tintelligence:\n\n" + "the young person was seen " * 8 + " "
    shares = [
        dict(SHARE, share_id="S1", consent="refused", information=information),
        dict(SHARE, share_id="S2", consent="refused", override_reason="\u00a0"),
        dict(SHARE, share_id="S3", consent="refused", override_reason="Imminent risk of harm"),
        dict(SHARE, share_id="S4", consent="refused", date="2025-01-02"),  # after the as-of date
    ]
    cb = build(tmp_path, AGENCY[:1], shares=shares)
    rows = both(duckdb, cb, flag="shared_despite_refusal").set_index("subject_id")
    assert list(rows.index) == ["S1", "S2"]
    quoted = '"Police intelligence: ' + ("the young person was seen " * 8)[:98].rstrip() + '…"'
    assert rows.loc["S1", "reason"] == (
        f"Sharing S1 (police to social care, 2024-02-01, {quoted}) went ahead with consent "
        "refused, and no override_reason is recorded (why sharing without consent was necessary "
        "and proportionate)."
    )
    assert len(quoted) == 122  # 120 characters quoted, and the quotation marks
    closed = build(tmp_path / "c", AGENCY[:1], shares=shares, closed="2024-06-01")
    assert set(both(duckdb, closed, flag="shared_despite_refusal")["status"]) == {"past"}


def test_a_bundle_without_the_override_reason_column(duckdb, tmp_path):
    old = {k: v for k, v in SHARE.items() if k != "override_reason"}
    shares = [dict(old, share_id="S1", consent="refused"), dict(old, share_id="S2")]
    cb = build(tmp_path, AGENCY[:1], shares=shares)
    assert cb.info_sharing["override_reason"].isna().all()  # the Casebook has it, empty
    assert both(duckdb, cb, flag="shared_despite_refusal")["subject_id"].tolist() == ["S1"]
    del cb.tables["info_sharing"]["override_reason"]  # a Casebook made before the column
    assert both(duckdb, cb, flag="shared_despite_refusal")["subject_id"].tolist() == ["S1"]


def test_a_casebook_with_none_of_these_records(duckdb, tmp_path):
    cb = build(tmp_path, [ev("EA", "2024-01-08", "agency_action", kind="assessment")])
    assert both(duckdb, cb).empty


# --- the calendar and the text functions -------------------------------------------------------


def test_the_calendar_counts_working_days_as_policy_does(duckdb):
    rng = np.random.default_rng(19)
    first, last = dt.date(2019, 1, 1), dt.date(2026, 12, 31)
    days = pd.to_datetime(first) + pd.to_timedelta(rng.integers(0, 2800, 300), "D")
    ends = days + pd.to_timedelta(rng.integers(0, 60, 300), "D")
    cal = calendar_rows(first, last).to_pandas().set_index("day")["n"]
    n = cal.reindex(days.date).to_numpy()
    counted = cal.reindex(ends.date).to_numpy() - n
    want = working_days_after(pd.Series(days), pd.Series(ends)).to_numpy()
    assert (counted == want).all()
    working = calendar_rows(first, last).to_pandas()
    working = working[working["working"]].set_index("n")["day"]
    for k in (1, 11, 46):
        got = pd.to_datetime(working.reindex(n + k).to_numpy())
        assert (got == nth_working_day_after(pd.Series(days), k).to_numpy()).all()
    check_calendar(duckdb)


def check_calendar(engine):
    """Check the calendar made in the engine equals the one made in Python, on any anchor."""
    import ibis

    for anchor in (ibis.memtable({"x": [1, 2, 3]}), ibis.memtable({"x": [1]}).filter(False)):
        for first, last in ((dt.date(2019, 12, 20), dt.date(2021, 1, 6)), (FIRST_DAY, FIRST_DAY)):
            got = engine.run(working_calendar(anchor, first, last).order_by("day"))
            want = calendar_rows(first, last).to_pandas()
            pd.testing.assert_frame_equal(got, want, check_dtype=False)
        empty = working_calendar(anchor, dt.date(2025, 1, 2), dt.date(2025, 1, 1))
        assert engine.run(empty).empty  # a span that ends before it starts


def test_a_calendar_that_ends_before_it_starts_is_empty_and_tables_default_to_1900():
    assert calendar_rows(dt.date(2025, 1, 2), dt.date(2025, 1, 1)).num_rows == 0
    assert FIRST_DAY == dt.date(1900, 1, 1)
    assert Tables.__dataclass_fields__["first_day"].default == FIRST_DAY


TRICKY = [
    None,
    "",
    " ",
    "\u00a0\u2003",
    "\u00a0Police report\u2003",
    "a \u00a0 b",
    "x" * 58 + "\u00a0" + "y" * 10,
    "tab\there\r\nnew",
    "\u2028lines\u2029",
    "\u0085next",
    "é😀" * 40,
    "word " * 30,
]


def text_frame():
    import ibis

    values = pd.Series(TRICKY, dtype=object)
    return ibis.memtable(pd.DataFrame({"i": range(len(TRICKY)), "v": values})), values


def check_text(engine):
    t, values = text_frame()
    got = engine.run(t.select("i", q=quote(t.v), w=quote(t.v, 120), b=blank(t.v)).order_by("i"))
    assert got["q"].tolist() == _quote(values.astype("str")).tolist()
    assert got["w"].tolist() == _quote(values.astype("str"), 120).tolist()
    assert got["b"].tolist() == _blank(values).tolist()


def test_quotes_and_blanks_match_the_pandas_flags_on_odd_whitespace(duckdb):
    check_text(duckdb)


# --- Spark local mode (one session for the module) and PostgreSQL ------------------------------


def mixed(tmp_path):
    """Give one casebook with a branch of each flag, odd text, and a case decades long."""
    shares = [
        dict(SHARE, share_id="S1", consent="refused", purpose="\u00a0"),
        dict(SHARE, share_id="S2", lawful_basis="consent"),  # consent missing, below
        dict(SHARE, share_id="S3", consent="not_sought", not_sought_reason=" \t"),
        dict(SHARE, share_id="S4", lawful_basis="consent", consent="refused",
             override_reason="Imminent risk", information="\u2003 Police " + "note " * 40),
    ]  # fmt: skip
    plans_ = [plan("A1"), plan("A2", "EX;EY"), plan("A3", "E1"), plan("A4", "E1")]
    events = [*AGENCY[:3], ev("EA", "2024-01-23", "agency_action", kind="assessment")]
    cases = [("C2", FRIDAY), ("C3", "1998-12-24")]  # C3 spans decades
    cb = build(tmp_path, events, plans=plans_, shares=shares, more_cases=cases)
    cb.tables["plan_actions"].at[3, "evidence_ids"] = ["EX", "NOPE"]
    cb.tables["info_sharing"].loc[1, "consent"] = np.nan
    return cb


def check_mixed(engine, cb):
    got = both(engine, cb)
    assert set(got["flag"]) == set(OURS)
    late = got.loc[got["flag"] == "late_assessment", "subject_id"].tolist()
    assert late == ["C1", "C2", "C3"]
    early = both(engine, cb, dt.date(2024, 1, 23))  # no plans or shares yet
    assert early[["flag", "subject_id"]].values.tolist() == [
        ["late_assessment", "C1"], ["late_assessment", "C3"]
    ]  # fmt: skip
    check_text(engine)
    check_calendar(engine)


def test_spark_local_gives_the_pandas_flags_on_the_hand_made_casebooks(tmp_path):
    with connect("spark") as spark:
        check_mixed(spark, mixed(tmp_path))


def test_postgres_gives_the_pandas_flags_on_the_hand_made_casebooks(tmp_path, pg_url, monkeypatch):
    with connect("postgres", url=no_password(monkeypatch, pg_url)) as postgres:
        check_mixed(postgres, mixed(tmp_path))
        cb, tables = synthetic(1, 150)  # every flag ported so far, on random casework
        assert_same_flags(oracle(cb, AS_OF), relational(postgres, tables, AS_OF))

"""Any date a user can type gives a result or one clear message, never a pandas traceback.

pandas holds dates from 1677-09-21 to 2262-04-11; ``casekit flags --engine pandas --as-of
9999-12-31`` once stopped with OutOfBoundsDatetime, and ``casekit review --as-of 9999-12-31``
with "year 10000 is out of range". casekit works with dates from 1900-01-01 (no record is
older) to 2199-12-31, on every engine and in every as-of, period and check-day parameter; at
both ends the flags of pandas and DuckDB are the same, and a review is written.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import casekit
from casekit.analysis import research
from casekit.analysis.casework import last_seen_alone, overdue_actions
from casekit.analysis.proportionality import flags, step_downs_due
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.policy import FIRST_DAY, LAST_DAY

OUTSIDE = ["9999-12-31", "2262-04-12", "2200-01-01", "1899-12-31", "1677-09-20", "0001-01-01"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("range") / "bundle"
    assert main(["synth", "--out", str(out), "--cases", "40", "--seed", "3"]) == 0
    return out


@pytest.fixture(scope="module")
def cb(bundle):
    return casekit.load(bundle)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
@pytest.mark.parametrize("day", OUTSIDE)
def test_flags_cli_refuses_a_date_outside_the_range(bundle, capsys, engine, day):
    with pytest.raises(SystemExit) as stopped:
        main(["flags", "--data", str(bundle), "--engine", engine, "--as-of", day])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"'{day}' is outside the dates casekit works with, 1900-01-01 to 2199-12-31" in err
    assert "Traceback" not in err and "OutOfBounds" not in err


@pytest.mark.parametrize("day", [str(FIRST_DAY), str(LAST_DAY)])
def test_flags_at_either_end_are_the_same_on_pandas_and_duckdb(bundle, tmp_path, capsys, day):
    written = {}
    for engine in ("pandas", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        args = ["flags", "--data", str(bundle), "--engine", engine, "--as-of", day]
        assert main([*args, "--out", str(out)]) == 0, capsys.readouterr().err
        written[engine] = out.read_text()
    assert written["pandas"] == written["duckdb"]
    rows = written["pandas"].splitlines()
    assert len(rows) == 1 if day == str(FIRST_DAY) else len(rows) > 10  # nothing known in 1900


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31",
        dt.date(9999, 12, 31),
        dt.datetime(2262, 4, 12, 9, 30),
        pd.Timestamp("2262-04-11"),
        dt.date(1, 1, 1),
        "1899-12-31",
    ],
)
def test_python_as_of_outside_the_range_is_one_clear_error(cb, value):
    words = "casekit works with dates from 1900-01-01 (no record is older) to 2199-12-31"
    for call in (
        lambda: flags(cb, as_of=value),
        lambda: flags(cb, as_of=value, engine="duckdb"),
        lambda: step_downs_due(cb, as_of=value),
        lambda: research.referral_outcomes(cb, as_of=value),
        lambda: research.research_tables(cb, as_of=value),
        lambda: research.engine_outcome_counts(cb, "duckdb", as_of=value),
        lambda: research.referral_outcomes(cb, start=value),
        lambda: research.referral_outcomes(cb, end=value),
        lambda: overdue_actions(cb, value),
        lambda: last_seen_alone(cb, value),
    ):
        with pytest.raises(CasekitError, match=r"as_of|start|end") as raised:
            call()
        assert words in str(raised.value)


def test_python_dates_at_either_end_give_results(cb):
    for day in (FIRST_DAY, LAST_DAY):
        assert list(flags(cb, as_of=day).columns)[:2] == ["case_id", "flag"]
        assert len(research.referral_outcomes(cb, as_of=day, start=FIRST_DAY, end=day)) >= 0
        counts = research.engine_outcome_counts(cb, "duckdb", as_of=day)
        assert counts.referrals >= 0
        overdue_actions(cb, day)
    assert len(research.referral_outcomes(cb, as_of=LAST_DAY)) == len(cb.cases)


@pytest.mark.parametrize(
    "args",
    [
        ["--as-of", "9999-12-31"],
        ["--as-of", "0001-01-01"],
        ["--from", "0001-01-01"],
        ["--to", "2262-04-12"],
    ],
)
def test_review_refuses_a_date_outside_the_range(bundle, tmp_path, capsys, args):
    out = tmp_path / "reviews"
    with pytest.raises(SystemExit) as stopped:
        main(["review", "--data", str(bundle), "--team", "T01", "--out", str(out), *args])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "is outside the dates casekit works with" in err and "Traceback" not in err
    assert not out.exists()


def test_review_at_the_last_day_is_written(bundle, tmp_path, capsys):
    out = tmp_path / "reviews"
    args = ["review", "--data", str(bundle), "--team", "T01", "--out", str(out)]
    assert main([*args, "--as-of", str(LAST_DAY)]) == 0, capsys.readouterr().err
    assert (out / "index.html").exists()


@pytest.mark.parametrize("option", ["--today", "--start", "--end"])
def test_other_date_options_take_the_same_range(bundle, tmp_path, capsys, option):
    command = (
        ["validate", str(bundle)]
        if option == "--today"
        else ["synth", "--out", str(tmp_path / "s")]
    )
    with pytest.raises(SystemExit) as stopped:
        main([*command, option, "9999-12-31"])
    assert stopped.value.code == 2
    assert "is outside the dates casekit works with" in capsys.readouterr().err

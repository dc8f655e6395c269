"""Research functions on hand-made referrals with known answers.

The relative rate index and the Holm correction are also checked against statsmodels, an
independent implementation used only here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SYNTHETIC, write_csv_bundle
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.multitest import multipletests
from test_proportionality import ASSESSED, build, dec, ev, jud

import casekit
from casekit.analysis import research
from casekit.analysis.research import GROUP_BAU as BAU
from casekit.analysis.research import GROUP_RADICALISATION as RAD
from casekit.privacy.disclosure import SUPPRESSED

AS_OF = "2025-03-31"


def case(cid, opened="2024-01-01", flags="neglect", ethnicity="white", religion="none"):
    return {
        "case_id": cid,
        "child_id": f"K{cid}",
        "team_id": "T1",
        "opened": opened,
        "closed": "",
        "referral_source": "education",
        "concern_flags": flags,
        "ideology": "islamist" if "radicalisation" in flags else "",
        "child_ethnicity": ethnicity,
        "child_religion": religion,
    }


def bundle(tmp_path, cases, events, decisions=()):
    tables = {"cases": cases, "events": events}
    if decisions:
        tables["decisions"] = list(decisions)
    return casekit.load(write_csv_bundle(tmp_path / "b", tables))


def outcomes(rows):
    """Make referral outcomes by hand: (group, profile, n, escalated[, ethnicity, religion])."""
    frames = []
    for group, profile, n, k, *who in rows:
        ethnicity, religion = [*who, *["white", "none"][len(who) :]]
        frames.append(
            pd.DataFrame(
                {
                    "group": group,
                    "profile": profile,
                    "escalated": [True] * k + [False] * (n - k),
                    "complete": True,
                    "child_ethnicity": ethnicity,
                    "child_religion": religion,
                    "child_gender": "unknown",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# --- the outcome and the evidence profile -------------------------------------------------


def test_outcome_counts_day_n_but_not_day_n_plus_one(tmp_path):
    # opened 2024-01-01: day 90 is 2024-03-31, day 91 is 2024-04-01
    cb = bundle(
        tmp_path,
        [case("A"), case("B"), case("C"), case("D"), case("E")],
        [ev(f"E{c}", "2024-01-02", "vulnerability", case=c) for c in "ABCDE"],
        [
            dec("D1", "2024-03-31", "child_in_need", case="A"),
            dec("D2", "2024-04-01", "child_in_need", case="B"),
            dec("D3", "2024-01-10", "channel_support", case="C"),  # Channel is not a rung
            dec("D4", "2024-01-10", "early_help", case="D"),  # below child in need
            dec("D5", "2024-02-01", "section_47", case="E"),
            dec("D6", "2024-02-20", "early_help", case="E"),  # stepped down later: still reached
        ],
    )
    o = research.referral_outcomes(cb, as_of=AS_OF).set_index("case_id")
    assert o["escalated"].to_dict() == {"A": True, "B": False, "C": False, "D": False, "E": True}
    assert o.loc["A", "reached"] == pd.Timestamp("2024-03-31")
    assert o.loc["E", "reached"] == pd.Timestamp("2024-02-01")
    assert o.loc["B", "point"] == pd.Timestamp("2024-03-31")  # opened + 90 days
    shorter = research.referral_outcomes(cb, days=89, as_of=AS_OF).set_index("case_id")
    assert not shorter.loc["A", "escalated"]
    longer = research.referral_outcomes(cb, days=91, as_of=AS_OF).set_index("case_id")
    assert longer.loc["B", "escalated"]


def test_the_profile_is_the_strongest_evidence_recorded_by_that_point(tmp_path):
    cb = bundle(
        tmp_path,
        [case(c) for c in "ABCDEFG"],
        [
            ev("A1", "2024-01-05", "belief_practice", case="A"),
            ev("A2", "2024-01-06", "family_context", case="A"),
            ev("A3", "2024-01-07", "influence_grooming", case="A"),
            ev("B1", "2024-01-05", "views_expressed", case="B"),
            ev("B2", "2024-01-06", "protective", case="B"),
            ev("C1", "2024-01-05", "protective", case="C"),
            ev("C2", "2024-01-06", "agency_action", case="C"),
            ev("C3", "2024-01-07", "aspiration", case="C"),
            # D: harm happened before the escalation but was recorded after it
            ev("D1", "2024-01-05", "engagement", case="D"),
            ev("D2", "2024-01-10", "harm", recorded="2024-02-02", case="D"),
            # E: harm recorded on the day of the escalation counts
            ev("E1", "2024-01-05", "views_expressed", case="E"),
            ev("E2", "2024-01-20", "harm", recorded="2024-02-01", case="E"),
            # F: extremist behaviour after day 90 does not count (not escalated)
            ev("F1", "2024-01-05", "community_context", case="F"),
            ev("F2", "2024-04-01", "extremist_behaviour", case="F"),
            # G: harm beats extremist behaviour beats influence
            ev("G1", "2024-01-05", "influence_grooming", case="G"),
            ev("G2", "2024-01-06", "harm", case="G"),
            ev("G3", "2024-01-07", "extremist_behaviour", case="G"),
        ],
        [
            dec("DD", "2024-02-01", "child_in_need", case="D"),
            dec("DE", "2024-02-01", "child_in_need", case="E"),
        ],
    )
    o = research.referral_outcomes(cb, as_of=AS_OF).set_index("case_id")
    assert o["profile"].astype(str).to_dict() == {
        "A": "influence or grooming",
        "B": "belief or views only",
        "C": "none",
        "D": "vulnerability or context",
        "E": "harm",
        "F": "vulnerability or context",
        "G": "harm",
    }
    assert list(o["profile"].cat.categories) == list(research.STRATA)
    assert research.STRATA == (
        "harm",
        "extremist behaviour",
        "influence or grooming",
        "vulnerability or context",
        "belief or views only",
        "none",
    )


def test_a_referral_with_no_events_or_decisions_is_none_and_not_escalated(tmp_path):
    cb = bundle(tmp_path, [case("A"), case("B")], [ev("B1", "2024-01-02", "harm", case="B")])
    o = research.referral_outcomes(cb, as_of=AS_OF).set_index("case_id")
    assert str(o.loc["A", "profile"]) == "none" and not o.loc["A", "escalated"]


def test_referrals_still_in_their_window_are_left_out(tmp_path):
    cb = bundle(
        tmp_path,
        [case("A", "2024-01-01"), case("B", "2024-03-01", flags="radicalisation")],
        [ev("E1", "2024-01-02", "harm", case="A"), ev("E2", "2024-03-02", "harm", case="B")],
    )
    o = research.referral_outcomes(cb, as_of="2024-04-15").set_index("case_id")
    assert o["complete"].to_dict() == {"A": True, "B": False}  # B's 90 days end 2024-05-30
    assert o.loc["B", "group"] == RAD and o.loc["A", "group"] == BAU
    table = research.compare_strata(o, suppress=False)
    assert table.loc["harm", (BAU, "n")] == 1 and table.loc["harm", (RAD, "n")] == 0
    text = research.describe_outcomes(o.reset_index(), 90, suppress=False)
    assert "1 referrals counted; 1 left out because their 90 days" in text
    assert "counted" not in research.describe_outcomes(o.reset_index(), 90, suppress=True)
    period = research.referral_outcomes(cb, as_of=AS_OF, start="2024-02-01")
    assert period["case_id"].tolist() == ["B"]
    assert research.referral_outcomes(cb, as_of="2023-12-31").empty


def test_the_outcomes_text_names_the_period_asked_for_and_the_as_of_date(tmp_path):
    cb = bundle(
        tmp_path,
        [case("A", "2024-01-03"), case("B", "2024-02-07", flags="radicalisation")],
        [ev("E1", "2024-01-04", "harm", case="A"), ev("E2", "2024-02-08", "harm", case="B")],
    )
    o = research.referral_outcomes(cb, as_of=AS_OF)
    shown = research.describe_outcomes(o, 90, suppress=False, as_of=AS_OF)
    assert "opened from 2024-01-03 to 2024-02-07" in shown and "as of 2025-03-31" in shown
    hidden = research.describe_outcomes(o, 90, suppress=True, as_of=AS_OF)
    assert "2024-01-03" not in hidden and "2024-02-07" not in hidden  # one child's dates each
    assert "opened from the start of the data to the as-of date" in hidden
    assert "as of 2025-03-31:" in hidden and "default" not in hidden
    asked = research.describe_outcomes(
        o, 90, True, as_of=AS_OF, start="2024-01-01", end="2024-06-30"
    )
    assert "opened from 2024-01-01 to 2024-06-30" in asked
    default = research.describe_outcomes(o, 90, True, as_of=AS_OF, default_as_of=True)
    assert "2025-03-31 (the notebook's default" in default and "give as_of" in default
    early = research.referral_outcomes(cb, as_of="1900-01-01")
    assert early.empty
    why = research.describe_outcomes(early, 90, as_of="1900-01-01")
    assert "none in the data was opened on or before 1900-01-01" in why
    assert "check as_of, start and end" in why


def test_a_casebook_without_decisions_or_referrals_in_the_period(tmp_path):
    cb = bundle(tmp_path, [case("A")], [ev("E1", "2024-01-02", "harm", case="A")])
    o = research.referral_outcomes(cb, as_of=AS_OF)
    assert o["escalated"].tolist() == [False] and str(o["profile"][0]) == "harm"
    table = research.compare_strata(o, suppress=False)
    assert table[("test", "comparisons")].iloc[0] == 0 and not table[("test", "tested")].any()
    assert "0 comparisons made" in research.describe_strata(table)
    none = o.iloc[:0]
    assert research.relative_rates(none, "child_religion").empty
    assert research.compare_strata(none)[(RAD, "n")].tolist() == [0] * 6
    waits = research.step_down_waits(cb, as_of=AS_OF, suppress=False)
    assert waits["became_due"].tolist() == [0, 0] and waits["median_wait_days"].isna().all()


# --- comparing within strata --------------------------------------------------------------


def test_simpsons_paradox_pooled_difference_reverses_within_strata():
    o = outcomes(
        [
            (RAD, "harm", 40, 36),  # 90%
            (BAU, "harm", 20, 19),  # 95%
            (RAD, "vulnerability or context", 10, 1),  # 10%
            (BAU, "vulnerability or context", 60, 12),  # 20%
        ]
    )
    pooled = o.groupby("group")["escalated"].mean()
    assert pooled[RAD] == 37 / 50 and pooled[BAU] == 31 / 80  # 74% against 39%: RAD higher
    table = research.compare_strata(o, suppress=False)
    assert table.loc["harm", (RAD, "rate")] == 0.9
    assert table.loc["harm", (BAU, "rate")] == 0.95
    assert table.loc["vulnerability or context", (RAD, "rate")] == 0.1
    assert table.loc["vulnerability or context", (BAU, "rate")] == 0.2  # RAD lower in both
    assert list(table.index) == list(research.STRATA)
    assert table[("test", "comparisons")].unique().tolist() == [2]
    text = research.describe_strata(table)
    assert "2 comparisons made" in text and "not a finding" in text


def test_fisher_test_per_stratum_and_holm_by_hand():
    # 3 of 3 against 0 of 3: of the C(6,3) = 20 equally likely tables with these margins,
    # only this one and its mirror are as extreme, so two-sided p = 2/20 = 0.1.
    o = outcomes(
        [
            (RAD, "harm", 3, 3),
            (BAU, "harm", 3, 0),
            (RAD, "none", 2, 1),  # 1 of 2 against 1 of 2: p = 1
            (BAU, "none", 2, 1),
            (RAD, "belief or views only", 4, 2),  # no other safeguarding referral: not tested
        ]
    )
    table = research.compare_strata(o, suppress=False)
    test = table["test"]
    assert test.loc["harm", "p"] == pytest.approx(0.1)
    assert test.loc["none", "p"] == pytest.approx(1.0)
    assert test.loc["harm", "p_holm"] == pytest.approx(0.2)  # 2 comparisons: 2 x 0.1
    assert test.loc["none", "p_holm"] == pytest.approx(1.0)
    assert not test.loc["belief or views only", "tested"]
    assert np.isnan(test.loc["belief or views only", "p"])
    assert test.loc["belief or views only", "note"] == "not tested: no other safeguarding referrals"
    assert test["comparisons"].iloc[0] == 2
    assert table.loc["belief or views only", (RAD, "rate")] == 0.5  # shown, though not tested
    low, high = research.wilson(np.array([3]), np.array([3]))
    assert table.loc["harm", (RAD, "low")] == pytest.approx(low[0])
    assert table.loc["harm", (RAD, "high")] == pytest.approx(high[0])


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1 = 0.03, 0.06, 0.04 -> running maximum 0.06
    assert research.holm([0.04, 0.01, 0.03]).tolist() == pytest.approx([0.06, 0.03, 0.06])
    assert research.holm([0.5, 0.9]).tolist() == [1.0, 1.0]  # capped at 1
    assert research.holm([]).size == 0
    assert np.isnan(research.holm([np.nan, 0.2])[0]) and research.holm([np.nan, 0.2])[1] == 0.2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_holm_agrees_with_statsmodels(seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.2, size=12)
    p[[2, 7]] = np.nan  # comparisons not made
    p[5] = p[9]  # a tie
    ours = research.holm(p)
    made = ~np.isnan(p)
    theirs = multipletests(p[made], method="holm")[1]
    np.testing.assert_allclose(ours[made], theirs)
    assert np.isnan(ours[~made]).all()


# --- equity: relative rate index ----------------------------------------------------------


def test_relative_rate_index_and_katz_interval_against_statsmodels():
    o = outcomes(
        [
            (BAU, "harm", 10, 3, "white"),  # reference: 3 of 10
            (BAU, "harm", 10, 6, "asian"),  # 6 of 10: RRI 2
            (BAU, "harm", 8, 7, "black"),  # 7 of 8: RRI 2.9166...
            (BAU, "vulnerability or context", 20, 4, "white"),
            (BAU, "vulnerability or context", 30, 3, "asian"),  # 0.1 / 0.2 = 0.5
        ]
    )
    table = research.relative_rates(o, "child_ethnicity", suppress=False)
    for stratum, value, a, n1, c, n2 in [
        ("harm", "asian", 6, 10, 3, 10),
        ("harm", "black", 7, 8, 3, 10),
        ("vulnerability or context", "asian", 3, 30, 4, 20),
    ]:
        row = table.loc[(BAU, stratum, value)]
        reference = Table2x2(np.array([[a, n1 - a], [c, n2 - c]]))
        assert row["rri"] == pytest.approx(reference.riskratio)
        low, high = reference.riskratio_confint(method="normal")  # the Katz log method
        assert row["rri_low"] == pytest.approx(low, rel=1e-3)  # z = 1.96 against 1.959964
        assert row["rri_high"] == pytest.approx(high, rel=1e-3)
    assert table.loc[(BAU, "harm", "asian"), "rri"] == pytest.approx(2.0)
    assert table.loc[(BAU, "vulnerability or context", "asian"), "rri"] == pytest.approx(0.5)
    ref = table.loc[(BAU, "harm", "white")]
    assert ref["rri"] == 1.0 and ref["note"] == "reference" and np.isnan(ref["rri_low"])
    assert (BAU, "harm", "mixed") not in table.index  # groups with no referrals are not listed
    assert not (table.index.get_level_values("referral group") == RAD).any()


def test_relative_rate_index_with_zero_counts_is_not_computed():
    o = outcomes(
        [
            (BAU, "harm", 10, 0, "white"),  # reference never escalated
            (BAU, "harm", 10, 6, "asian"),
            (BAU, "none", 10, 5, "white"),
            (BAU, "none", 10, 0, "asian"),  # this group never escalated
            (BAU, "influence or grooming", 10, 5, "black"),  # no reference children
            (BAU, "extremist behaviour", 7, 7, "white"),  # everyone escalated in both
            (BAU, "extremist behaviour", 9, 9, "asian"),
        ]
    )
    table = research.relative_rates(o, "child_ethnicity", suppress=False)
    harm = table.loc[(BAU, "harm", "asian")]
    assert np.isnan(harm["rri"]) and np.isnan(harm["rri_low"]) and np.isnan(harm["rri_high"])
    assert harm["note"] == "no escalations in the reference group: RRI not computed"
    none = table.loc[(BAU, "none", "asian")]
    assert (
        np.isnan(none["rri"]) and none["note"] == "no escalations in this group: RRI not computed"
    )
    alone = table.loc[(BAU, "influence or grooming", "black")]
    assert np.isnan(alone["rri"]) and "no reference children" in alone["note"]
    flat = table.loc[(BAU, "extremist behaviour", "asian")]  # 9 of 9 against 7 of 7
    shifted = Table2x2(np.array([[9.5, 0.5], [7.5, 0.5]]))  # Haldane: 0.5 added to every cell
    low, high = shifted.riskratio_confint(method="normal")
    assert flat["rri"] == 1.0 and "0.5 added" in flat["note"]
    assert flat["rri_low"] == pytest.approx(low, rel=1e-3) and low < 0.85
    assert flat["rri_high"] == pytest.approx(high, rel=1e-3) and high > 1.15
    assert not np.isinf(table[["rri", "rri_low", "rri_high"]].to_numpy(float)).any()
    text = research.describe_relative_rates(table, "child_ethnicity")
    assert f"- {BAU}, harm, asian: 6 of 10 escalated; no escalations in the reference" in text
    assert f"- {BAU}, extremist behaviour, asian: 9 of 9 escalated; RRI 1.00 (95% CI" in text
    assert research.RESPONSE_NOT_RISK in text  # a rate is the service's response


def test_relative_rates_for_religion_with_another_reference():
    o = outcomes(
        [
            (RAD, "harm", 10, 8, "asian", "muslim"),
            (RAD, "harm", 10, 4, "white", "christian"),
            (BAU, "harm", 10, 4, "white", "christian"),
        ]
    )
    table = research.relative_rates(o, "child_religion", reference="christian", suppress=False)
    assert table.loc[(RAD, "harm", "muslim"), "rri"] == pytest.approx(2.0)
    assert table.loc[(BAU, "harm", "christian"), "note"] == "reference"
    text = research.describe_relative_rates(table, "child_religion", "christian")
    assert "religion 'christian'" in text and "RRI 2.00" in text and "confounding" in text


def test_relative_rates_compare_within_each_kind_of_referral_never_pooled():
    """Muslim children here are escalated exactly as often as others on the same evidence and
    the same kind of referral, but are referred for radicalisation far more often, and those
    referrals escalate more: pooled, the index would be 1.89 (24 of 76 against 35 of 210)."""
    o = outcomes(
        [
            (RAD, "vulnerability or context", 36, 18, "asian", "muslim"),  # 50%
            (RAD, "vulnerability or context", 10, 5, "white", "none"),  # 50%
            (BAU, "vulnerability or context", 40, 6, "asian", "muslim"),  # 15%
            (BAU, "vulnerability or context", 200, 30, "white", "none"),  # 15%
        ]
    )
    table = research.relative_rates(o, "child_religion", suppress=False)
    assert table.index.names == ["referral group", "evidence profile", "child_religion"]
    for group in (RAD, BAU):
        assert table.loc[(group, "vulnerability or context", "muslim"), "rri"] == 1.0
    rad = table.loc[(RAD, "vulnerability or context", "muslim")]
    assert (rad["n"], rad["escalated"]) == (36, 18)
    text = research.describe_relative_rates(table, "child_religion")
    assert "never pooled" in text and "RRI 1.89" not in text
    assert f"- {RAD}, vulnerability or context, muslim: 18 of 36 escalated; RRI 1.00" in text
    assert "it says nothing about the children" in text


def test_split_equity_tables_protect_counts_across_the_kinds_of_referral():
    """Each kind of referral's counts summed over religion equal Table 1's: a hidden count in
    one kind of referral is never the only hidden part of a sum the tables show."""
    o = outcomes(
        [
            (RAD, "harm", 30, 20, "white", "none"),
            (RAD, "harm", 3, 2, "white", "muslim"),  # small: hidden
            (BAU, "harm", 40, 20, "white", "none"),
            (BAU, "harm", 40, 20, "white", "muslim"),
        ]
    )
    strata = research.compare_strata(o, suppress=True)
    religion = research.relative_rates(o, "child_religion", suppress=True)
    assert religion.loc[(RAD, "harm", "muslim"), "n"] == "c"
    # 33 radicalisation referrals in Table 1 less 30 shown would give the 3: one more is hidden
    assert religion.loc[(RAD, "harm", "none"), "n"] == "c" or strata.loc["harm", (RAD, "n")] == "c"
    publication = research._hidden(research.outcome_counts(o), "child_religion")
    n, k = publication["child_religion"]
    assert n.shape == (len(research.STRATA), len(research.GROUPS), 9) and n.any()


# --- suppression --------------------------------------------------------------------------


def test_suppression_hides_small_counts_and_what_is_made_from_them():
    o = outcomes(
        [
            (RAD, "harm", 3, 2, "asian"),
            (BAU, "harm", 40, 20, "white"),
            (RAD, "vulnerability or context", 30, 10, "asian"),
            (BAU, "vulnerability or context", 30, 28, "white"),  # 2 not escalated
            (RAD, "influence or grooming", 20, 10, "asian"),
            (BAU, "influence or grooming", 20, 12, "white"),
        ]
    )
    table = research.compare_strata(o, suppress=True)
    harm = table.loc["harm"]
    assert harm[(RAD, "n")] == "c" and harm[(RAD, "escalated")] == "c"
    assert np.isnan(harm[(RAD, "rate")]) and np.isnan(harm[("test", "p")])
    assert harm[("test", "note")] == "p withheld: small numbers"
    # 28 of 30 would reveal the 2 not escalated: 28 is hidden too, with its rate
    vuln = table.loc["vulnerability or context"]
    assert vuln[(BAU, "escalated")] == "c" and np.isnan(vuln[(BAU, "rate")])
    grooming = table.loc["influence or grooming"]
    assert grooming[(RAD, "n")] == 20 and grooming[(RAD, "rate")] == 0.5
    assert not np.isnan(grooming[("test", "p")])
    assert table[("test", "comparisons")].iloc[0] == 3  # suppression withholds, not untests
    # every referral is religion none: the religion table's radicalisation part shows harm's
    # 3 radicalisation referrals again, hidden there too; the other part shows the 40
    religion = research.relative_rates(o, "child_religion", suppress=True)
    assert religion.loc[(RAD, "harm", "none"), "n"] == "c"
    assert religion.loc[(BAU, "harm", "none"), "n"] == harm[(BAU, "n")] == 40
    ethnicity = research.relative_rates(o, "child_ethnicity", suppress=True)
    asian = ethnicity.loc[(RAD, "harm", "asian")]
    assert (
        asian["n"] == "c" and np.isnan(asian["rri"]) and asian["note"] == "small numbers: withheld"
    )


def test_suppressed_reference_withholds_every_ratio_of_its_stratum():
    o = outcomes(
        [
            (BAU, "harm", 4, 2, "white"),
            (BAU, "harm", 40, 20, "asian"),
            (BAU, "harm", 30, 15, "black"),  # hidden too, or the total would reveal the 4
        ]
    )
    table = research.relative_rates(o, "child_ethnicity", suppress=True)
    asian = table.loc[(BAU, "harm", "asian")]
    assert asian["n"] == 40 and asian["rate"] == 0.5
    assert np.isnan(asian["rri"]) and asian["note"] == "reference hidden (small numbers)"
    assert table.loc[(BAU, "harm", "black"), "n"] == "c"
    plain = research.relative_rates(o, "child_ethnicity", suppress=False)
    assert plain.loc[(BAU, "harm", "asian"), "rri"] == pytest.approx(1.0)


# --- waits --------------------------------------------------------------------------------


def waits_casebook(tmp_path):
    return bundle(
        tmp_path,
        [case("A", flags="radicalisation"), case("B"), case("C"), case("D")],
        [ev(f"E{c}", "2024-01-02", "harm", case=c) for c in "ABCD"],
    )


def due_table(rows):
    return pd.DataFrame(rows, columns=["case_id", "wait_days"]).assign(
        start=pd.Timestamp("2024-01-01"), due=pd.Timestamp("2024-04-01"), ended=pd.NaT, open=False
    )


def test_step_down_waits_median_and_bootstrap(tmp_path):
    cb = waits_casebook(tmp_path)
    due = due_table(
        [("B", 10), ("C", 20), ("D", 30), ("D", np.nan), ("A", 7)]
    )  # D's second stretch still runs
    table = research.step_down_waits(cb, due=due, suppress=False)
    bau = table.loc[BAU]
    assert (bau["became_due"], bau["ended"], bau["still_running"]) == (4, 3, 1)
    assert bau["median_wait_days"] == 20
    # a resampled median is 10, 20 or 30; P(10) = P(at least two 10s) = 7/27 > 2.5%: so the
    # percentile interval runs from 10 to 30
    assert (bau["low"], bau["high"]) == (10, 30)
    rad = table.loc[RAD]
    assert rad["median_wait_days"] == 7 and np.isnan(rad["low"]) and np.isnan(rad["high"])
    again = research.step_down_waits(cb, due=due, suppress=False)
    pd.testing.assert_frame_equal(table, again)  # seeded: the same interval every time
    hidden = research.step_down_waits(cb, due=due, suppress=True)
    assert hidden.loc[BAU, "became_due"] == "c" and np.isnan(hidden.loc[BAU, "median_wait_days"])
    assert "understates the wait" in research.describe_waits(table)
    assert "- radicalisation: 1 became due, 1 ended, 0 still running; median 7 days" in (
        research.describe_waits(table)
    )
    text = research.describe_waits(hidden)
    assert f"- {RAD}: c became due, c ended, 0 still running; median withheld (small" in text
    nothing = research.step_down_waits(cb, due=due_table([("B", 10)]).iloc[:0], suppress=True)
    assert f"- {RAD}: 0 became due, 0 ended, 0 still running; no median (none ended)." in (
        research.describe_waits(nothing)
    )


def test_step_down_waits_bootstrap_is_reproducible_on_many_waits(tmp_path):
    cb = waits_casebook(tmp_path)
    rng = np.random.default_rng(0)
    due = due_table([("B", int(w)) for w in rng.integers(0, 200, size=60)])
    one = research.step_down_waits(cb, due=due, suppress=True, n_resamples=999, seed=5)
    two = research.step_down_waits(cb, due=due, suppress=True, n_resamples=999, seed=5)
    pd.testing.assert_frame_equal(one, two)
    row = one.loc[BAU]
    assert row["low"] <= row["median_wait_days"] <= row["high"]
    assert row["median_wait_days"] == np.median(due["wait_days"])
    assert one.loc[RAD, "became_due"] == 0 and np.isnan(one.loc[RAD, "median_wait_days"])


def test_step_down_waits_from_the_flags_step_downs_due(tmp_path):
    # A: child in need from 2024-02-01, judged 8: due once it has run more than 90 days
    # (2024-05-02); stepped down 2024-05-12, a wait of 10 days. B runs on at the as-of date.
    cases = [case("A", flags="radicalisation"), case("B")]
    events = [ev("EA", "2024-01-02", "harm", case="A"), ev("EB", "2024-01-02", "harm", case="B")]
    decisions = [
        dec("D1", "2024-02-01", "child_in_need", case="A"),
        dec("D2", "2024-05-12", "early_help", case="A"),
        dec("D3", "2024-02-01", "child_in_need", case="B"),
    ]
    tables = {
        "cases": cases,
        "events": events,
        "decisions": decisions,
        "judgements": [jud("J1", "2024-02-10", 8, case="A"), jud("J2", "2024-02-10", 8, case="B")],
    }
    cb = casekit.load(write_csv_bundle(tmp_path / "b", tables))
    table = research.step_down_waits(cb, as_of="2024-12-31", suppress=False)
    assert table.loc[RAD, "median_wait_days"] == 10 and table.loc[RAD, "ended"] == 1
    assert table.loc[BAU, "still_running"] == 1 and np.isnan(table.loc[BAU, "median_wait_days"])
    hidden = research.step_down_waits(cb, as_of="2024-12-31", suppress=True)
    assert hidden.loc[RAD, ["became_due", "ended"]].tolist() == ["c", "c"]
    assert hidden.loc[RAD, "still_running"] == 0  # a zero is shown: it reveals no one


def test_a_hidden_wait_count_is_never_the_only_one_hidden(tmp_path):
    cb = waits_casebook(tmp_path)
    due = due_table([("B", w) for w in range(11)] + [("C", np.nan)])  # 12 due, 11 ended, 1 runs
    table = research.step_down_waits(cb, due=due, suppress=True)
    assert table.loc[BAU, "still_running"] == "c"
    assert table.loc[BAU, "ended"] == "c"  # else 12 - 11 would give the 1 away
    assert table.loc[BAU, "became_due"] == 12 and np.isnan(table.loc[BAU, "median_wait_days"])


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("days", [0, -5, 1.5, "90", True, None])
def test_bad_days_are_refused(tmp_path, days):
    cb = bundle(tmp_path, [case("A")], [ev("E1", "2024-01-02", "harm", case="A")])
    with pytest.raises(casekit.CasekitError, match="days=.*whole number of days"):
        research.referral_outcomes(cb, days=days)


def test_bad_research_arguments_are_refused(tmp_path):
    cb = bundle(tmp_path, [case("A")], [ev("E1", "2024-01-02", "harm", case="A")])
    with pytest.raises(casekit.CasekitError, match="as_of='31/03/2025' is not a date"):
        research.referral_outcomes(cb, as_of="31/03/2025")
    o = research.referral_outcomes(cb, as_of=AS_OF)
    with pytest.raises(casekit.CasekitError, match="by='postcode': choose one of"):
        research.relative_rates(o, by="postcode")
    with pytest.raises(casekit.CasekitError, match="reference='White' is not a value"):
        research.relative_rates(o, by="child_ethnicity", reference="White")
    with pytest.raises(casekit.CasekitError, match="pass the table referral_outcomes"):
        research.compare_strata(o.drop(columns="profile"))
    with pytest.raises(casekit.CasekitError, match="n_resamples"):
        research.step_down_waits(cb, due=due_table([]), n_resamples=10)
    with pytest.raises(casekit.CasekitError, match="no column wait_days"):
        research.step_down_waits(cb, due=pd.DataFrame({"case_id": ["A"]}))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"data": ""}, "parameter data"),
        ({"data": "x", "start": "01/01/2024"}, "parameter start"),
        ({"data": "x", "as_of": "2025-13-01"}, "parameter as_of"),
        ({"data": "x", "start": "2024-06-01", "end": "2024-01-01"}, "is after"),
        ({"data": "x", "start": "2024-06-01", "as_of": "2024-05-31"}, "start and as_of: 2024-06"),
        ({"data": "x", "days": 0}, "whole number of days"),
        ({"data": "x", "ethnicity_reference": "british"}, "parameter ethnicity_reference"),
        ({"data": "x", "religion_reference": "atheist"}, "parameter religion_reference"),
    ],
)
def test_notebook_parameters_are_checked(args, message):
    with pytest.raises(casekit.CasekitError, match=message):
        research.check_parameters(**args)


def test_good_notebook_parameters():
    first, last, as_of = research.check_parameters("x", "2024-01-01", "", 30, as_of="2025-03-31")
    assert (first, last, as_of) == (pd.Timestamp("2024-01-01"), None, pd.Timestamp("2025-03-31"))


# --- the synthetic data and what the reviews still use ------------------------------------


def test_the_synthetic_data_compares_within_strata():
    cb = casekit.load(SYNTHETIC)
    o = research.referral_outcomes(cb, as_of=AS_OF)
    assert len(o) == len(cb.cases)  # every referral was opened by then
    assert o["complete"].sum() == (cb.cases["opened"] <= "2024-12-31").sum()
    table = research.compare_strata(o, suppress=False)
    n = table[RAD]["n"].sum() + table[BAU]["n"].sum()
    assert n == o["complete"].sum()
    shown = research.compare_strata(o, suppress=True)
    for group in (RAD, BAU):
        for column in ("n", "escalated"):
            plain, out = table[(group, column)], shown[(group, column)]
            hidden = out == "c"
            assert (out[~hidden] == plain[~hidden]).all()
            assert plain[hidden].between(1, 10**6).all()  # a hidden count is never 0


@pytest.fixture
def cb(tmp_path):
    events = [ASSESSED, ev("E1", "2024-01-10", "views_expressed"), ev("E2", "2024-01-11", "harm")]
    decisions = [
        dec("D1", "2024-02-01", "child_in_need", "E1", engaged="no"),
        dec("D2", "2024-02-20", "early_help", "E1"),
        dec("D3", "2024-05-01", "section_47", "E2", lead="police"),
    ]
    return build(tmp_path, events, decisions, [jud("J1", "2024-06-01", 8)])


def test_wilson_known_values():
    low, high = research.wilson(np.array([0, 10]), np.array([10, 10]))
    assert low[0] == 0 and round(high[0], 3) == 0.278
    assert round(low[1], 3) == 0.722 and high[1] == pytest.approx(1.0)


def test_decision_profiles_used_by_the_reviews(cb):
    d = research.decision_profiles(cb).set_index("decision_id")
    assert d.loc["D1", "profile"] == research.WEAK and d.loc["D1", "escalates"]
    assert d.loc["D2", "profile"] == research.WEAK and not d.loc["D2", "escalates"]
    assert d.loc["D3", "profile"] == research.STRONG and d.loc["D3", "escalates"]
    assert set(d["group"]) == {research.GROUP_RADICALISATION}


def test_rates_and_their_suppression():
    table = pd.DataFrame({"k": [0, 3, 10], "n": [4, 20, 20]})
    shown = research.rates(table, "k", "n", suppress=True)
    assert shown["n"].tolist() == ["c", 20, 20] and shown["k"].tolist() == [0, "c", 10]
    assert shown["rate"].isna().tolist() == [True, True, False] and shown["rate"][2] == 0.5


def test_published_table_matches_calibration():
    table = research.published_table(casekit.load(SYNTHETIC))
    assert set(table["measure"]) == {"referral_source", "ideology"}
    assert table["difference"].abs().max() <= 2


def test_a_group_where_everyone_escalated_gets_an_honest_interval():
    """8 of 8 against 33 of 40: the plain Katz interval would say 1.12 to 1.31, as if certain."""
    o = outcomes([(BAU, "harm", 40, 33, "white"), (BAU, "harm", 8, 8, "mixed")])
    table = research.relative_rates(o, "child_ethnicity", suppress=False)
    row = table.loc[(BAU, "harm", "mixed")]
    haldane = Table2x2(np.array([[8.5, 0.5], [33.5, 7.5]]))  # 0.5 added to every cell
    low, high = haldane.riskratio_confint(method="normal")
    assert row["rri"] == pytest.approx(8 / 8 / (33 / 40))
    assert row["rri_low"] == pytest.approx(low, rel=1e-3) and row["rri_low"] < 1.0
    assert row["rri_high"] == pytest.approx(high, rel=1e-3)
    assert "0.5 added" in row["note"]


# --- figures ------------------------------------------------------------------------------


def test_relative_rate_figure_has_a_panel_per_kind_of_referral_and_no_title_cut_off():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from casekit.analysis.research_figures import relative_rate_figure

    rows = [(RAD, "harm", 20, 10, "white", "none"), (RAD, "harm", 20, 15, "white", "muslim")]
    rows += [(BAU, "harm", 40, 10, "white", "none"), (BAU, "harm", 40, 12, "white", "muslim")]
    rows += [(BAU, "harm", 9, 0, "white", v) for v in ("hindu", "sikh", "jewish", "other")]
    table = research.relative_rates(outcomes(rows), "child_religion", suppress=False)
    fig = relative_rate_figure(table, "child_religion", "none")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    title = fig.get_suptitle()
    assert "within referral group and evidence profile" in title
    assert "(4 rows without a ratio: see the table)" in title
    box = fig._suptitle.get_window_extent(canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
    panels = [ax.get_title(loc="left") for ax in fig.axes]
    assert panels == [f"{RAD} referrals", f"{BAU} referrals"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["harm / muslim"]


def test_rows_where_everyone_or_no_one_escalated_are_named_for_the_researcher():
    """Suppression hides counts, not outcomes: 12 of 12 tells every child's outcome."""
    o = outcomes(
        [
            (RAD, "harm", 12, 12, "white"),  # everyone escalated
            (BAU, "harm", 40, 20, "white"),
            (BAU, "none", 10, 0, "asian"),  # no one escalated
            (BAU, "none", 30, 12, "white"),
            (BAU, "influence or grooming", 3, 3, "black"),  # hidden: not named
            (BAU, "influence or grooming", 30, 12, "white"),
        ]
    )
    strata = research.compare_strata(o, suppress=True)
    ethnicity = research.relative_rates(o, "child_ethnicity", suppress=True)
    text = research.describe_all_or_none(strata, ethnicity)
    assert f"{RAD}, harm: 12 of 12" in text and f"{BAU}, none, asian: 0 of 10" in text
    assert f"{RAD}, harm, white: 12 of 12" in text  # the same children, in the equity table
    assert "black" not in text and "3 of 3" not in text
    assert "(3 such rows:" in text and "consider merging" in text
    plain = outcomes([(BAU, "harm", 40, 20, "white")])
    none = research.describe_all_or_none(research.compare_strata(plain))
    assert none.startswith("No row shows every referral escalated, or none")


def test_a_shown_none_escalated_in_a_hidden_small_group_is_named_too():
    """'0 of c' says no child of a group of 1 to 5 was escalated: the report must say so."""
    o = outcomes(
        [
            (RAD, "harm", 30, 12, "white"),
            (RAD, "harm", 4, 0, "asian"),  # n hidden, none escalated: shown as 0 of c
            (BAU, "harm", 40, 20, "white"),
            (BAU, "harm", 20, 8, "asian"),
        ]
    )
    strata = research.compare_strata(o, suppress=True)
    ethnicity = research.relative_rates(o, "child_ethnicity", suppress=True)
    row = ethnicity.loc[(RAD, "harm", "asian")]
    assert row["n"] == SUPPRESSED and row["escalated"] == 0  # the case the rule must catch
    text = research.describe_all_or_none(strata, ethnicity)
    assert f"{RAD}, harm, asian: 0 of {SUPPRESSED}" in text
    assert not text.startswith("No row shows")

"""The risk timeline figure (read from its artists), the dynamics, and the widget in Python."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import write_csv_bundle

import casekit
from casekit.analysis import timeline
from casekit.widgets import CaseWorkspace, RiskTimeline
from casekit.widgets.common import set_field_value


def event(
    eid,
    date,
    category,
    level="child",
    recorded=None,
    precision="day",
    restricted="no",
    evidence="observed",
):
    return {
        "event_id": eid,
        "case_id": "C1",
        "date": date,
        "date_precision": precision,
        "recorded_on": recorded or date,
        "source_agency": "education",
        "kind": "visit",
        "summary": f"summary {eid}",
        "category": category,
        "level": level,
        "significance": "medium",
        "impact": "neutral",
        "evidence": evidence,
        "restricted": restricted,
        "action_taken": "",
        "recorded_by": "W1",
    }


def judgement(jid, date, level, scale):
    return {
        "judgement_id": jid,
        "case_id": "C1",
        "date": date,
        "level": level,
        "safety_scale": str(scale),
        "rationale": "",
        "evidence_ids": "",
        "judged_by": "W1",
    }


def decision(did, date, response):
    return {
        "decision_id": did,
        "case_id": "C1",
        "date": date,
        "response": response,
        "lead_agency": "social_care",
        "family_engaged": "yes",
        "rationale": "",
        "evidence_ids": "",
        "decided_by": "W1",
    }


@pytest.fixture
def case(tmp_path):
    tables = {
        "cases": [
            {
                "case_id": "C1",
                "child_id": "K1",
                "team_id": "T1",
                "opened": "2023-01-10",
                "closed": "2024-03-31",
                "referral_source": "education",
                "concern_flags": "radicalisation",
                "ideology": "conflicted",
            }
        ],
        "events": [
            event("E1", "2023-01-10", "views_expressed"),
            event("E2", "2023-02-01", "belief_practice"),
            event(
                "E3",
                "2023-03-01",
                "influence_grooming",
                recorded="2023-06-01",
                restricted="yes",
                evidence="intelligence",
            ),
            event("E4", "2023-04-01", "harm", level="family"),
            event("E5", "2023-05-01", "protective", level="family"),
            event("E6", "2023-06-01", "aspiration", level="community"),
            event(
                "E7",
                "2022-03-01",
                "family_context",
                level="family",
                precision="month",
                recorded="2023-01-10",
            ),
            event("E8", "2021-01-01", "vulnerability", precision="year", recorded="2023-01-10"),
            event("E9", "2023-07-01", "agency_action"),
        ],
        "judgements": [
            judgement("J1", "2023-02-01", "child", 3),
            judgement("J2", "2023-05-01", "child", 6),
            judgement("J3", "2023-08-01", "child", 9),
            judgement("J4", "2023-02-01", "family", 7),
            judgement("J5", "2023-08-01", "family", 4),
            judgement("J6", "2023-02-01", "community", 5),
            judgement("J7", "2023-08-01", "community", 5),
            judgement("J8", "2023-05-01", "community", 5),
        ],
        "decisions": [
            decision("D1", "2023-02-10", "early_help"),
            decision("D2", "2023-04-10", "child_in_need"),
            decision("D3", "2023-10-10", "early_help"),
        ],
    }
    return casekit.load(write_csv_bundle(tmp_path / "case", tables))


def by_gid(fig, gid):
    return [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]


def offsets(fig, gid):
    return sum(len(a.get_offsets()) for a in by_gid(fig, gid))


def test_figure_has_three_lanes_and_marks_by_type(case):
    fig = timeline.plot(case, "C1")
    lanes = fig.axes[0]
    assert [t.get_text() for t in lanes.get_yticklabels()] == ["Community", "Family", "Child"]
    assert offsets(fig, "events:belief") == 2
    assert offsets(fig, "events:concern") == 2
    assert offsets(fig, "events:strength") == 2
    assert offsets(fig, "events:action") == 1
    assert offsets(fig, "restricted") == 1
    (spans,) = by_gid(fig, "approximate")  # month and year dates drawn as spans
    segments = spans.get_segments()
    widths = sorted(round(s[1][0] - s[0][0]) for s in segments)
    assert widths == [31, 365]  # March 2022 (a month) and 2021 (a year)
    assert "not a concern in itself" in " ".join(
        t.get_text() for t in lanes.get_legend().get_texts()
    )
    for level in ("child", "family", "community"):
        (line,) = by_gid(fig, f"judgement:{level}")
        assert len(line.get_xdata()) in (2, 3)
    (step,) = by_gid(fig, "response")
    assert list(step.get_ydata())[:3] == [2, 3, 2]  # early help, child in need, early help
    assert by_gid(fig, "as_known_at") == []


def test_as_known_at_hides_what_was_recorded_later(case):
    fig = timeline.plot(case, "C1", as_known_at="2023-05-15")
    assert offsets(fig, "events:concern") == 1  # E3 reached the record only in June
    assert offsets(fig, "restricted") == 0
    assert offsets(fig, "events:strength") == 1
    assert len(by_gid(fig, "as_known_at")) == 3  # marked on every panel
    (line,) = by_gid(fig, "judgement:child")
    assert len(line.get_xdata()) == 2
    assert fig.axes[0].get_title(loc="left") == "Case C1: what was known at 15 May 2023"


def test_lane_and_category_filters(case):
    fig = timeline.plot(case, "C1", levels=["family"])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Family"]
    assert offsets(fig, "events:concern") == 1
    fig = timeline.plot(case, "C1", categories=["harm", "protective"])
    assert offsets(fig, "events:concern") == 1 and offsets(fig, "events:strength") == 1
    assert offsets(fig, "events:belief") == 0


def test_crowded_cases_are_summarised(tmp_path):
    events = [
        event(
            f"E{i}",
            (pd.Timestamp("2023-01-02") + pd.Timedelta(days=i % 120)).strftime("%Y-%m-%d"),
            ["harm", "protective", "vulnerability"][i % 3],
        )
        for i in range(3000)
    ]
    tables = {
        "cases": [
            {
                "case_id": "C1",
                "child_id": "K1",
                "team_id": "T1",
                "opened": "2023-01-02",
                "referral_source": "education",
                "concern_flags": "neglect",
            }
        ],
        "events": events,
    }
    cb = casekit.load(write_csv_bundle(tmp_path / "big", tables))
    fig = timeline.plot(cb, "C1")
    drawn = sum(offsets(fig, f"events:{s}") for s in timeline.STYLES)
    assert 0 < drawn <= 3 * 19  # one mark per kind and week, not 3,000 overlapping ones
    sizes = by_gid(fig, "events:concern")[0].get_sizes()
    assert sizes.max() > sizes.min() or len(sizes) == 1
    assert "summarised" in " ".join(t.get_text() for t in fig.axes[0].texts)


def test_dynamics_known_answers(case):
    d = timeline.dynamics(case, "C1")
    assert d.safety.loc["child", "trend"] == "rising"
    # two family judgements (7 then 4): too few to state a trend (the review's rule too);
    # three community judgements, all 5: stable
    assert d.safety.loc["family", "trend"] == "too few judgements"
    assert (d.safety.loc["family", "first"], d.safety.loc["family", "last"]) == (7, 4)
    assert d.safety.loc["community", "trend"] == "stable"
    assert d.safety.loc["child", "first"] == 3 and d.safety.loc["child", "last"] == 9
    assert d.rungs[["response", "days"]].values.tolist() == [
        ["early_help", 59],
        ["child_in_need", 183],
        ["early_help", 173],
    ]
    assert d.concerns_strengths.loc[pd.Period("2023Q1", "Q"), "concerns"] == 1
    assert d.concerns_strengths.loc[pd.Period("2023Q2", "Q"), "strengths"] == 2
    shifts = d.focus[d.focus["shift"]]
    assert shifts[["quarter", "from", "level"]].astype(str).values.tolist() == [
        ["2022Q1", "child", "family"],
        ["2023Q1", "family", "child"],
        ["2023Q2", "child", "family"],
    ]
    text = " ".join(d.summary())
    assert "Child safety is rising (3 → 9 over 3 judgements)." in text
    assert "Family safety has too few judgements for a trend (7 → 4 over 2 judgements)." in text
    assert "focus moved from child to family" in text
    assert "183 days at child in need" in text


def test_widget_sliders_and_toggles_change_what_is_drawn(case):
    rt = RiskTimeline(case, "C1")
    assert offsets(rt.figure, "events:concern") == 2
    png = rt.image.value
    dates = [v for _, v in rt.known_at.options if v != "now"]
    rt.known_at.value = min(d for d in dates if d >= pd.Timestamp("2023-05-15"))
    assert offsets(rt.figure, "events:concern") == 1
    assert rt.image.value != png
    rt.lanes["family"].value = False
    assert offsets(rt.figure, "events:concern") == 0
    assert {e for _, e in rt.entries.options} == {"E1", "E2", "E8"}  # E6 recorded in June
    rt.kinds["belief"].value = False
    assert {e for _, e in rt.entries.options} == {"E8"}
    rt.entries.value = "E8"
    assert "(year)" in rt.detail.value and "summary E8" in rt.detail.value
    rt.span.index = (rt.span.index[0] + 12, rt.span.index[1])  # from a year after the first
    assert "E8" not in {e for _, e in rt.entries.options}


def test_entry_detail_escapes_text(tmp_path, case):
    rt = RiskTimeline(case, "C1")
    case.events.loc[case.events["event_id"] == "E1", "summary"] = "<script>x</script>"
    rt.refresh()
    rt.entries.value = "E1"
    assert "&lt;script&gt;" in rt.detail.value and "<script>" not in rt.detail.value


def test_workspace_redraws_the_timeline_after_an_entry_is_added(tmp_path, tiny_path):
    store = casekit.open(tmp_path / "s.sqlite")
    store.import_casebook(casekit.load(tiny_path))
    ws = CaseWorkspace(store, "007")
    before = offsets(ws.timeline.figure, "events:concern")
    for name, value in {
        "date": pd.Timestamp("2024-03-01").date(),
        "source_agency": "police",
        "kind": "incident",
        "category": "extremist_behaviour",
        "level": "child",
        "summary": "Threatened a classmate",
    }.items():
        set_field_value(ws.builder.fields[name], value)
    assert ws.builder.add_entry()
    assert offsets(ws.timeline.figure, "events:concern") == before + 1
    assert np.isclose(len(ws.timeline.casebook.events), 3)


def test_channel_support_is_its_own_track_beside_the_social_care_ladder(tmp_path, case):
    tables = {name: frame for name, frame in case.tables.items()}
    d = case.decisions
    channel = d.iloc[[0]].assign(
        decision_id="D9", date=pd.Timestamp("2023-06-01"), response="channel_support"
    )
    tables["decisions"] = pd.concat([d, channel], ignore_index=True)
    cb = casekit.Casebook(tables, source=case.source)
    fig = timeline.plot(cb, "C1")
    ladder = fig.axes[2]
    # the step line goes early help -> child in need -> early help: Channel moves it nowhere
    (step,) = by_gid(fig, "response")
    assert sorted(set(step.get_ydata())) == [2, 3]
    x = [pd.Timestamp(v).normalize() for v in step.get_xdata()[:3]]
    assert x == [pd.Timestamp(s) for s in ("2023-02-10", "2023-04-10", "2023-10-10")]
    # Channel sits on a band of its own, above the ladder, marked and labelled in words
    assert offsets(fig, "channel_support") == 1
    (mark,) = by_gid(fig, "channel_support")
    assert (
        mark.get_offsets()[0][1] == timeline.CHANNEL_TRACK > len(casekit.contract.RESPONSE_LADDER)
    )
    labels = [t.get_text() for t in ladder.get_yticklabels()]
    assert labels[:7] == [r.replace("_", " ") for r in casekit.contract.RESPONSE_LADDER]
    assert "Channel support" in labels[7] and "beside" in labels[7]
    assert [a.get_text() for a in by_gid(fig, "channel_label")] == [
        "Channel support adopted 01 Jun 2023"
    ]
    assert len(by_gid(fig, "channel")) == 1  # the band is drawn even when there is no Channel
    assert offsets(timeline.plot(case, "C1"), "channel_support") == 0
    assert offsets(timeline.plot(cb, "C1", as_known_at="2023-05-31"), "channel_support") == 0
    # the text says the same: time at each social-care rung, and Channel beside it
    dyn = timeline.dynamics(cb, "C1")
    assert dyn.rungs[["response", "days"]].values.tolist() == [
        ["early_help", 59],
        ["child_in_need", 183],
        ["early_help", 173],
    ]
    assert dyn.channel["date"].tolist() == [pd.Timestamp("2023-06-01")]
    text = " ".join(dyn.summary())
    assert "Channel support was adopted on 01 Jun 2023" in text and "not a step" in text
    assert "days at channel support" not in text
    rt = RiskTimeline(cb, "C1")
    assert "Channel support was adopted on 01 Jun 2023" in rt.summary.value


def test_a_case_with_only_a_channel_decision_has_no_social_care_step_line(case):
    tables = dict(case.tables)
    tables["decisions"] = case.decisions.iloc[[0]].assign(response="channel_support")
    cb = casekit.Casebook(tables, source=case.source)
    fig = timeline.plot(cb, "C1")
    assert by_gid(fig, "response") == [] and offsets(fig, "channel_support") == 1
    dyn = timeline.dynamics(cb, "C1")
    assert dyn.rungs.empty and len(dyn.channel) == 1


def test_colour_is_never_the_only_sign_in_the_timeline(case):
    """Each kind of entry has its own marker, and each level's judgements their own marker
    and line, so a reader who cannot tell the colours apart can still tell them apart."""
    markers = [st["marker"] for st in timeline.STYLES.values()]
    assert len(set(markers)) == len(markers)
    fig = timeline.plot(case, "C1")
    drawn = {}
    for level in ("child", "family", "community"):
        (line,) = by_gid(fig, f"judgement:{level}")
        drawn[level] = (line.get_marker(), line.get_linestyle())
    assert drawn == {"child": ("o", "-"), "family": ("s", "--"), "community": ("^", ":")}
    legend = fig.axes[1].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["child", "family", "community"]


def test_the_widget_says_in_words_what_the_figure_shows(case):
    rt = RiskTimeline(case, "C1")
    assert rt.children.index(rt.caption) == rt.children.index(rt.image) + 1  # read beside it
    assert "Risk timeline of case C1 as known now: 9 entries in view" in rt.caption.value
    dates = [v for _, v in rt.known_at.options if v != "now"]
    rt.known_at.value = min(d for d in dates if d >= pd.Timestamp("2023-05-15"))
    known = rt.known_at.value
    assert f"as known on {known:%d %b %Y}: {len(rt.entries.options)} entries" in rt.caption.value
    assert "ck-figure-caption" in rt.caption._dom_classes


def test_figure_text_counts_and_dates_in_plain_words():
    assert timeline.figure_text("C<1>", 0).startswith(
        "Risk timeline of case C<1> as known now: 0 entries in view"
    )  # plain text: the widget escapes it
    assert "known on 01 Feb 2024: 1 entry in view" in timeline.figure_text("C1", 1, "2024-02-01")

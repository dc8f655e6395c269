"""Reflective supervision without widgets: checks, the flag preview, saving, drafts, records."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import write_csv_bundle

import casekit
from casekit.analysis import supervision as sv
from casekit.analysis.supervision_record import export_record, supervision_record, to_docx, to_html
from casekit.cli import main
from casekit.errors import CasekitError, WriteRefused

SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def store(tiny_store_on_both):
    """The tiny bundle in a store, on SQLite and on PostgreSQL (saving and drafts run on both)."""
    return tiny_store_on_both


def complete(case_id: str = "007") -> sv.Session:
    """A session with every stage, two linked hypotheses, GRACES and a judgement."""
    s = sv.Session(case_id, "Sam", "W1", date="2024-03-01")
    s.stages = {
        "experience": f"Met the young person at home. {SCRIPT}",
        "reflection": "We had read his faith as risk.",
        "analysis": "The police intelligence is restricted and cannot be tested.",
        "actions": "Early help, as for any other child.",
    }
    s.graces = ["religion", "culture", "not a grace"]
    s.graces_notes = "Faith practice is not a concern in itself."
    s.hypotheses = [
        sv.Hypothesis("Exploring his identity", supports=["E1"]),
        sv.Hypothesis("Being groomed online", supports=["E2"], weakens=["E1"]),
    ]
    s.judgements["child"] = sv.ScaledJudgement(7, "Safe at home with support")
    return s


def counts(store) -> dict[str, int]:
    c = store.counts()
    return {t: c[t] for t in ("decisions", "judgements", "supervisions")}


# --- checks and the flag preview --------------------------------------------------------------


def test_an_empty_session_lists_every_stage_and_the_hypotheses():
    problems = sv.check(sv.Session("007", "Sam", "W1"))
    assert [p.split(":")[0] for p in problems] == [
        "Experience",
        "Reflection",
        "Analysis",
        "Action plan",
        "Hypotheses",
    ]
    s = complete()
    assert sv.check(s) == []
    s.hypotheses[1].text = "  "
    assert sv.check(s) == [
        "Hypotheses: 1 written; give at least 2 competing explanations of what is happening.",
        "Hypothesis 2: entries are linked but the explanation is empty.",
    ]


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (  # early help -> child in need on views alone
            dict(response="child_in_need", lead_agency="social_care", family_engaged=True,
                 evidence_ids=["E1"]),
            ["escalation_on_belief_or_views"],
        ),
        (  # on restricted police intelligence only
            dict(response="child_in_need", lead_agency="social_care", family_engaged=True,
                 evidence_ids=["E2"]),
            ["rests_on_restricted_intelligence"],
        ),
        (
            dict(response="section_47", lead_agency="police", family_engaged=False,
                 evidence_ids=["E1", "E2"]),
            ["rests_on_restricted_intelligence", "family_not_engaged",
             "police_led_statutory_step"],
        ),
        (  # no evidence, but no escalation either (the case is at early help already)
            dict(response="early_help", lead_agency="social_care", family_engaged=True),
            [],
        ),
        (  # with no evidence_ids it rests on every entry so far, and E2 is restricted
            dict(response="child_in_need", lead_agency="social_care", family_engaged=True),
            ["escalation_without_evidence", "rests_on_restricted_intelligence"],
        ),
    ],
)  # fmt: skip
def test_a_proposed_decision_shows_the_flags_it_would_raise(store, decision, expected):
    case = store.case_casebook("007")
    shown = sv.decision_flags(case, complete(), sv.ProposedDecision(**decision))
    assert sorted(shown["flag"]) == sorted(expected)
    assert all(r.startswith("This decision") for r in shown["reason"])


def test_the_flag_preview_counts_the_sessions_earlier_decisions(store):
    s = complete()
    s.decisions = [
        sv.ProposedDecision("child_in_need", "social_care", True, "", ["E2"], "considered")
    ]
    again = sv.ProposedDecision("child_in_need", "social_care", True, "", ["E1"])
    assert sv.decision_flags(store.case_casebook("007"), s, again).empty  # no step up now


def test_an_incomplete_decision_is_explained_not_judged(store):
    with pytest.raises(CasekitError, match="response: is empty"):
        sv.decision_flags(store.case_casebook("007"), complete(), sv.ProposedDecision())


# --- saving -----------------------------------------------------------------------------------


def test_save_writes_decisions_judgements_and_the_session_together(store):
    s = complete()
    s.decisions = [
        sv.ProposedDecision(
            "child_in_need", "social_care", True, "Needs support", ["E1"], "Sister's account"
        )
    ]
    store.save_draft(sv.draft_key("007", "Sam"), {"session": s.to_dict()})
    sid = sv.save(store, s)
    record = store.get("supervisions", sid)
    assert record["experience"].endswith(SCRIPT) and record["worker"] == "W1"
    assert record["hypotheses"] == (
        "1. Exploring his identity\n   Supported by: E1\n"
        "2. Being groomed online\n   Supported by: E2\n   Weakened by: E1"
    )
    assert record["graces"] == (
        "Considered: religion, culture\nFaith practice is not a concern in itself."
    )
    (did,) = record["decision_ids"].split(";")
    decision = store.get("decisions", did)
    assert decision["response"] == "child_in_need" and decision["decided_by"] == "Sam"
    assert decision["rationale"] == "Needs support\nFlags considered: Sister's account"
    judgements = store.case_rows("judgements", "007")
    mine = judgements[judgements["judgement_id"].str.startswith(sid)]
    assert mine[["judgement_id", "level", "safety_scale", "date", "judged_by"]].values.tolist() == [
        [f"{sid}-child", "child", "7", "2024-03-01", "Sam"]
    ]
    assert store.draft(sv.draft_key("007", "Sam")) is None  # the draft is done with
    assert store.history(sid)["op"].tolist() == ["add"]


def test_an_incomplete_session_writes_nothing_and_keeps_the_draft(store):
    s = complete()
    s.stages["analysis"] = ""
    store.save_draft(sv.draft_key("007", "Sam"), {"session": s.to_dict()})
    before = counts(store)
    with pytest.raises(CasekitError, match="Analysis: nothing is written yet"):
        sv.save(store, s)
    assert counts(store) == before
    assert store.draft(sv.draft_key("007", "Sam"))["session"]["stages"]["experience"]


def test_a_refused_record_leaves_no_half_saved_session(store):
    s = complete()
    s.decisions = [
        sv.ProposedDecision("early_help", "social_care", True, "ok", ["E1"]),
        sv.ProposedDecision("early_help", "social_care", True, "cites nothing real", ["E99"]),
    ]
    before = counts(store)
    with pytest.raises(WriteRefused, match="E99"):
        sv.save(store, s)
    assert counts(store) == before  # not the first decision, nor the judgement


def test_drafts_are_kept_replaced_and_discarded(store, store_url):
    key = sv.draft_key("007", "Sam")
    assert store.draft(key) is None
    store.save_draft(key, {"n": 1})
    store.save_draft(key, {"n": 2, "text": "naïve ✓"})
    with casekit.open(store_url) as other:  # as a new kernel would
        assert other.draft(key) == {"n": 2, "text": "naïve ✓"}
    store.discard_draft(key)
    assert store.draft(key) is None


def test_a_session_survives_its_draft_form():
    s = complete()
    s.decisions = [sv.ProposedDecision("early_help", "health", False, "r", ["E1"], "why")]
    again = sv.Session.from_dict(s.to_dict())
    assert again.hypotheses == s.hypotheses and again.decisions == s.decisions
    assert again.graces == ["religion", "culture"]  # an unknown aspect is dropped
    partial = sv.Session.from_dict({"case_id": "007", "supervisor": "Sam", "worker": "W1"})
    assert len(partial.hypotheses) == 2 and partial.stages["analysis"] == ""


# --- records ----------------------------------------------------------------------------------


@pytest.fixture
def saved(store):
    s = complete()
    s.decisions = [sv.ProposedDecision("child_in_need", "social_care", True, "Needs help", ["E1"])]
    return sv.save(store, s)


def test_the_record_has_what_was_entered_escaped(store, saved):
    record = supervision_record(store, saved)
    page = to_html(record)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page and SCRIPT not in page
    for text in (
        "We had read his faith as risk.",
        "Being groomed online",
        "Weakened by: E1",
        "Considered: religion, culture",
        "child in need",
        "Needs help",
        "Safe at home with support",
        "School raised views expressed in class.",
    ):
        assert text in page, text  # fmt: skip
    assert record.decisions["family_engaged"].tolist() == ["yes"]
    assert set(record.cited) == {"E1", "E2"}


def test_the_word_record_has_what_was_entered(store, saved, tmp_path):
    from docx import Document

    path = export_record(supervision_record(store, saved), tmp_path / "record.docx")
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert SCRIPT in text  # plain text in Word: nothing to escape, nothing lost
    assert "Early help, as for any other child." in text
    assert "2. Being groomed online" in text
    assert {"child in need", "Needs help", "Safe at home with support"} <= set(cells)
    assert to_docx(supervision_record(store, saved))[:2] == b"PK"


def test_export_explains_bad_requests(store, saved, tmp_path):
    record = supervision_record(store, saved)
    with pytest.raises(CasekitError, match=r"written as \.html or \.docx"):
        export_record(record, tmp_path / "record.pdf")
    with pytest.raises(CasekitError, match="does not exist"):
        export_record(record, tmp_path / "no" / "record.html")
    with pytest.raises(CasekitError, match="there is no supervision 'V404'"):
        supervision_record(store, "V404")
    assert not list(tmp_path.glob("record*"))


def test_a_record_from_a_loaded_bundle(tiny_path):
    record = supervision_record(casekit.load(tiny_path), "V1")
    assert record.session["graces"] == "religion"
    assert record.decisions["decision_id"].tolist() == ["D1"]
    assert record.judgements.empty  # J1 was not made in a session
    assert isinstance(record.decisions, pd.DataFrame)


def test_cli_exports_a_record(store, store_url, saved, tmp_path, capsys):
    out = tmp_path / "record.html"
    assert main(["supervision", "export", "--store", store_url,
                 "--id", saved, "--out", str(out)]) == 0  # fmt: skip
    assert "We had read his faith as risk." in out.read_text()
    code = main(["supervision", "export", "--store", str(tmp_path / "none.sqlite"),
                 "--id", saved, "--out", str(out), "--overwrite"])  # fmt: skip
    assert code == 2 and "no such casebook store" in capsys.readouterr().err
    assert "We had read his faith as risk." in out.read_text()  # the refusal kept it


def test_a_record_still_finds_its_judgements_after_pseudonymisation(store, saved, tmp_path):
    from casekit.bundle.io import write_bundle
    from casekit.privacy.pseudonymise import pseudonymise_tables

    key = bytes.fromhex("98770c0bb812cb30ef3462a1e3894abff0da3ecfd11de75d98c355b3818279b5")
    tables, _ = pseudonymise_tables(store.casebook().canonical(), key, retention_years=0)
    record = supervision_record(casekit.load(write_bundle(tables, tmp_path / "safe")), saved)
    assert record.judgements["safety_scale"].tolist() == ["7"]
    assert record.session["supervisor"] == record.judgements["judged_by"].item() != "Sam"


# --- the preview covers the new flags: under-response, context-only statutory steps ---------


def concern_case(tiny: dict, today: dt.date) -> dict:
    """Add case 009 to the tiny bundle: open, at child in need after extremist behaviour.

    Dates count back from ``today`` (the session's date): referral 60 days before, assessed
    two days later, a family context entry 40 days before, the extremist behaviour (high)
    14 days before, and child in need resting on it 10 days before. Consent to share was
    refused 5 days before and the sharing went ahead with no override_reason.
    """

    def day(n: int) -> str:
        return (today - dt.timedelta(days=n)).isoformat()

    def entry(eid, n, kind, category, summary, significance="medium"):
        return {"event_id": eid, "case_id": "009", "date": day(n), "date_precision": "day",
                "recorded_on": day(n), "source_agency": "education", "kind": kind,
                "summary": summary, "category": category, "level": "child",
                "significance": significance, "impact": "neutral", "evidence": "observed",
                "restricted": "no", "action_taken": "", "recorded_by": "W1"}  # fmt: skip

    tiny["cases"].append(dict(tiny["cases"][0], case_id="009", child_id="K9", opened=day(60),
                              closed=""))  # fmt: skip
    tiny["events"] += [
        entry("E90", 60, "referral", "views_expressed", "Said things in class."),
        entry("E91", 58, "assessment", "agency_action", "Assessment started with the family."),
        entry("E92", 40, "visit", "family_context", "Family moved to a new area."),
        entry(
            "E93",
            14,
            "incident",
            "extremist_behaviour",
            "Threatened a classmate with a knife.",
            significance="high",
        ),  # fmt: skip
    ]
    tiny["decisions"].append(
        {"decision_id": "D90", "case_id": "009", "date": day(10), "response": "child_in_need",
         "lead_agency": "social_care", "family_engaged": "yes", "rationale": "After the threat",
         "evidence_ids": "E93", "decided_by": "W1"}
    )  # fmt: skip
    tiny["info_sharing"] = [
        {"override_reason": "", **row} for row in tiny.get("info_sharing", [])
    ] + [  # fmt: skip
        {"share_id": "S90", "case_id": "009", "date": day(5), "from_agency": "social_care",
         "to_agency": "police", "information": "Assessment summary", "purpose": "safety plan",
         "lawful_basis": "public_task", "consent": "refused", "not_sought_reason": "",
         "override_reason": "", "restricted": "no"},
    ]  # fmt: skip
    return tiny


SESSION_DAY = dt.date(2024, 6, 14)


@pytest.fixture
def concern(tmp_path, tiny):
    s = casekit.open(tmp_path / "concern.sqlite", user="sam")
    s.import_casebook(
        casekit.load(write_csv_bundle(tmp_path / "b", concern_case(tiny, SESSION_DAY)))
    )
    yield s
    s.close()


def on_009(**decision) -> tuple[sv.Session, sv.ProposedDecision]:
    s = sv.Session("009", "Sam", "W1", date=SESSION_DAY.isoformat())
    return s, sv.ProposedDecision(**{"lead_agency": "social_care", "family_engaged": True,
                                     **decision})  # fmt: skip


def test_stepping_down_two_weeks_after_extremist_behaviour_is_flagged_before_saving(concern):
    case = concern.case_casebook("009")
    before = counts(concern)
    session, decision = on_009(response="no_further_action", evidence_ids=["E91"])
    shown = sv.decision_flags(case, session, decision)
    assert shown["flag"].tolist() == ["step_down_despite_concern"]
    assert shown["reason"].iloc[0] == (
        "This decision lowered the response from child in need to no further action 14 days "
        'after concern event E93 (extremist behaviour, high, 2024-05-31: "Threatened a '
        'classmate with a knife.", recorded on 2024-05-31). Is anything being closed or '
        "stepped down too early?"
    )
    assert counts(concern) == before  # a preview writes nothing
    # a step down to early help is a step down too; one 31 days after the event is not flagged
    session, decision = on_009(response="early_help", evidence_ids=["E91"])
    assert sv.decision_flags(case, session, decision)["flag"].tolist() == [
        "step_down_despite_concern"
    ]
    later = sv.Session("009", "Sam", "W1", date=(SESSION_DAY + dt.timedelta(days=17)).isoformat())
    assert sv.decision_flags(case, later, decision).empty
    # Channel support beside social care lowers nothing: no under-response flag
    session, decision = on_009(response="channel_support", evidence_ids=["E93"])
    assert sv.decision_flags(case, session, decision).empty


def test_a_section_47_resting_on_context_only_is_flagged_before_saving(concern):
    case = concern.case_casebook("009")
    session, decision = on_009(response="section_47", evidence_ids=["E92"])
    shown = sv.decision_flags(case, session, decision)
    assert shown["flag"].tolist() == ["statutory_step_without_concern"]
    assert shown["reason"].iloc[0].startswith("This decision raised the response from child in "
                                              "need to section 47")  # fmt: skip
    assert "E92" in shown["reason"].iloc[0]
    # resting on the extremist behaviour, the same step raises no flag
    session, decision = on_009(response="section_47", evidence_ids=["E93"])
    assert sv.decision_flags(case, session, decision).empty


def test_closing_the_case_two_weeks_after_extremist_behaviour_is_previewed(concern):
    case = concern.case_casebook("009")
    before = counts(concern)
    shown = sv.closure_flags(case, "009", SESSION_DAY.isoformat())
    assert shown["flag"].tolist() == ["step_down_despite_concern"]
    assert shown["reason"].iloc[0] == (
        "Closing the case on 2024-06-14 would come 14 days after concern event E93 (extremist "
        'behaviour, high, 2024-05-31: "Threatened a classmate with a knife.", recorded on '
        "2024-05-31). Is anything being closed or stepped down too early?"
    )
    assert counts(concern) == before and pd.isna(concern.case_casebook("009").cases["closed"][0])
    assert sv.closure_flags(case, "009", "2024-07-01").empty  # 31 days after: not flagged
    with pytest.raises(CasekitError, match=r"date: '14/06/2024' is not a date; write it as"):
        sv.closure_flags(case, "009", "14/06/2024")
    with pytest.raises(CasekitError, match=r"2024-01-01 is before case 009 opened"):
        sv.closure_flags(case, "009", "2024-01-01")
    with pytest.raises(CasekitError, match=r"there is no case 'X1'"):
        sv.closure_flags(case, "X1", "2024-06-14")
    with pytest.raises(CasekitError, match=r"case 007 was already closed on 2024-06-01"):
        sv.closure_flags(concern.case_casebook("007"), "007", "2024-06-14")


# --- the full 4x4x4: functions, stakeholders, the child's voice, tests with the family -------


def visits(tiny: dict) -> dict:
    """Add two visits to case 007: E4 on 5 Feb 2024 (not seen alone), E5 on 20 Feb (alone)."""
    for row in tiny["events"]:
        row["seen_alone"] = ""
    base = dict(tiny["events"][0], kind="visit", category="protective", source_agency="social_care")
    tiny["events"] += [
        dict(base, event_id="E4", date="2024-02-05", summary="Home visit, mum present.",
             seen_alone="no"),
        dict(base, event_id="E5", date="2024-02-20", summary="Seen alone at school.",
             seen_alone="yes"),
    ]  # fmt: skip
    return tiny


@pytest.fixture
def seen(tmp_path, tiny):
    s = casekit.open(tmp_path / "seen.sqlite", user="sam")
    s.import_casebook(casekit.load(write_csv_bundle(tmp_path / "b", visits(tiny))))
    yield s
    s.close()


def full(case_id: str = "007") -> sv.Session:
    """A complete session with the functions, the child's voice, tests and stakeholders."""
    s = complete(case_id)
    s.functions = {
        "management": "Visits are on time; the plan review is late.",
        "support": "Alex is frightened after the media coverage.",
        "development": "Alex is learning to weigh police intelligence.",
        "mediation": "Police want a section 47; we talked about proportion.",
    }
    s.child_voice = f'"I just want to play football again." {SCRIPT}'
    s.hypotheses[0].test = "Ask his parents what he does online.\nAsk him too."
    s.actions = [
        sv.AgreedAction("Offer a family group conference", ["child_family"]),
        sv.AgreedAction("Ask the school for attendance", ["partners", "child_family"]),
        sv.AgreedAction("  ", []),  # an empty row is not an action
    ]
    s.decisions = [
        sv.ProposedDecision("early_help", "social_care", True, "Agreed", ["E1"],
                            serves=["organisation", "child_family"]),
    ]  # fmt: skip
    return s


def test_the_prompts_include_the_family_group_conference_and_closing_too_early():
    prompts = [p for stage in sv.STAGES for p in stage.prompts]
    assert "Has a family group conference been offered?" in prompts
    assert "Is anything being closed too early?" in prompts
    assert [f.key for f in sv.FUNCTIONS] == ["management", "support", "development", "mediation"]
    assert sv.FUNCTIONS[2].meaning == "What is the worker learning?"
    assert list(sv.STAKEHOLDERS.values()) == [
        "child and family",
        "worker",
        "organisation",
        "partner agencies",
    ]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # E5 (20 Feb, alone) then 21-23 Feb and 26 Feb-1 Mar: 8 working days
        ("2024-03-01", sv.SeenAlone("2024-02-20", 8, True)),
        # only E4 so far, which records "not alone": 10 Jan to 10 Feb is 22 working days
        ("2024-02-10", sv.SeenAlone(None, 22, True)),
        # no visit yet: 11-12 Jan, 15-19, 22-26, 29 Jan-1 Feb = 16 working days since opening
        ("2024-02-01", sv.SeenAlone(None, 16, False)),
        # the case closed on 1 Jun 2024
        ("2024-07-01", sv.SeenAlone(None, None, False, is_open=False)),
    ],
)
def test_when_the_child_was_last_seen_alone(seen, as_of, expected):
    assert sv.seen_alone(seen.case_casebook("007"), "007", as_of) == expected


def test_the_seen_alone_line_claims_no_more_than_the_record():
    assert sv.SeenAlone("2024-02-20", 1, True).text() == (
        "Last seen alone on 20 Feb 2024 (a visit), 1 working day before the session."
    )
    assert sv.SeenAlone(None, 22, True).text() == (
        "No visit on the record says the child was seen alone (22 working days since the case "
        "opened)."
    )
    assert (
        sv.SeenAlone(None, 16, False)
        .text()
        .startswith("No visit on the record says whether the child was seen alone")
    )
    assert "not open" in sv.SeenAlone(None, None, False, is_open=False).text()


def test_the_new_fields_are_saved_in_the_supervisions_table(seen):
    sid = sv.save(seen, full())
    record = seen.get("supervisions", sid)
    (did,) = record["decision_ids"].split(";")
    assert {k: record[k] for k in ("management", "support", "development", "mediation")} == (
        full().functions
    )
    assert record["child_voice"] == full().child_voice  # stored as typed, escaped only in HTML
    assert record["last_seen_alone"] == "2024-02-20"  # as the record stood on 1 Mar 2024
    assert record["agreed_actions"] == (
        "1. Offer a family group conference\n   Serves: child and family\n"
        "2. Ask the school for attendance\n   Serves: child and family, partner agencies"
    )
    assert record["decision_stakeholders"] == f"{did}: child and family, organisation"
    assert record["hypotheses"] == (
        "1. Exploring his identity\n   Supported by: E1\n"
        "   Test with the family: Ask his parents what he does online.\n      Ask him too.\n"
        "2. Being groomed online\n   Supported by: E2\n   Weakened by: E1"
    )


def test_a_session_with_no_visit_alone_keeps_no_date(store):
    sid = sv.save(store, full())
    assert store.get("supervisions", sid)["last_seen_alone"] == ""


def test_half_written_functions_parts_are_checked():
    s = full()
    s.actions.append(sv.AgreedAction("", ["worker"]))
    s.hypotheses.append(sv.Hypothesis("", test="Ask the family"))
    assert sv.check(s) == [
        "Hypothesis 3: how to test it with the family is written but the explanation is empty.",
        "Action 4: whose interests it serves is ticked but the action is empty; write the "
        "action or untick them.",
    ]
    s.actions[-1].serves = []
    s.hypotheses.pop()
    assert sv.check(s) == []


def test_the_new_fields_survive_the_draft_and_old_drafts_still_load():
    s = full()
    again = sv.Session.from_dict(s.to_dict())
    assert again.functions == s.functions and again.child_voice == s.child_voice
    assert [h.test for h in again.hypotheses] == [h.test for h in s.hypotheses]
    assert [(a.text, a.serves) for a in again.actions] == [  # stakeholders in their own order
        ("Offer a family group conference", ["child_family"]),
        ("Ask the school for attendance", ["child_family", "partners"]),
        ("  ", []),
    ]
    assert again.decisions[0].serves == ["child_family", "organisation"]
    old = {  # a draft written before issue 16: no functions, voice, tests or stakeholders
        "case_id": "007", "supervisor": "Sam", "worker": "W1", "date": "2024-03-01",
        "stages": {"experience": "typed before"}, "graces": ["religion"],
        "hypotheses": [{"text": "h1", "supports": ["E1"], "weakens": []}],
        "decisions": [{"response": "early_help", "lead_agency": "health", "family_engaged": True,
                       "rationale": "r", "evidence_ids": ["E1"], "flags_considered": ""}],
    }  # fmt: skip
    loaded = sv.Session.from_dict(old)
    assert loaded.stages["experience"] == "typed before"
    assert loaded.functions == {f.key: "" for f in sv.FUNCTIONS} and loaded.child_voice == ""
    assert [h.test for h in loaded.hypotheses] == ["", ""]
    assert loaded.actions == [sv.AgreedAction()] and loaded.decisions[0].serves == []
    newer = dict(old, actions=[{"text": "a", "serves": ["worker", "the press"]}])
    newer["hypotheses"] = [{"text": "h", "test": "t", "weight": 3}]  # a field from the future
    loaded = sv.Session.from_dict(newer)
    assert loaded.actions == [sv.AgreedAction("a", ["worker"])]  # an unknown stakeholder dropped
    assert loaded.hypotheses[0] == sv.Hypothesis("h", test="t")
    assert sv.ProposedDecision.from_form(None) == sv.ProposedDecision()


@pytest.fixture
def full_saved(seen):
    return sv.save(seen, full())


def test_support_notes_are_left_out_of_the_html_record_unless_included(seen, full_saved):
    from casekit.analysis.supervision_record import SUPPORT_LEFT_OUT

    record = supervision_record(seen, full_saved)
    page = to_html(record)
    assert "Alex is frightened" not in page and SUPPORT_LEFT_OUT.replace("'", "&#39;") in page
    for text in (
        "Visits are on time; the plan review is late.",
        "Alex is learning to weigh police intelligence.",
        "Police want a section 47; we talked about proportion.",
        "&#34;I just want to play football again.&#34; &lt;script&gt;",
        "20 Feb 2024, as the record stood at the session.",
        "Test with the family: Ask his parents what he does online.",
        "2. Ask the school for attendance\n   Serves: child and family, partner agencies",
        "<td>child and family, organisation</td>",
    ):
        assert text in page, text  # fmt: skip
    assert SCRIPT not in page
    included = to_html(record, include_support=True)
    assert "Alex is frightened after the media coverage." in included
    assert SUPPORT_LEFT_OUT.replace("'", "&#39;") not in included


def test_support_notes_are_left_out_of_the_word_record_unless_included(seen, full_saved, tmp_path):
    from docx import Document

    from casekit.analysis.supervision_record import SUPPORT_LEFT_OUT

    record = supervision_record(seen, full_saved)

    def words(path):
        doc = Document(str(path))
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        return "\n".join(p.text for p in doc.paragraphs), cells

    text, cells = words(export_record(record, tmp_path / "left-out.docx"))
    assert "Alex is frightened" not in text and SUPPORT_LEFT_OUT in text
    assert "Visits are on time; the plan review is late." in text
    assert f'"I just want to play football again." {SCRIPT}' in text  # plain text, kept
    assert "Last seen alone: 20 Feb 2024, as the record stood at the session." in text
    assert "   Serves: child and family, partner agencies" in text
    assert "child and family, organisation" in cells
    text, _ = words(export_record(record, tmp_path / "with.docx", include_support=True))
    assert "Alex is frightened after the media coverage." in text and SUPPORT_LEFT_OUT not in text


def test_word_export_turns_no_text_into_a_field_or_a_link(seen, tmp_path):
    import zipfile

    s = full()
    s.child_voice = '{ HYPERLINK "http://evil.example" } =cmd|" /C calc"!A0 <w:fldSimple/>'
    s.functions["management"] = "https://example.org/phish and {DDEAUTO c:\\\\calc.exe}"
    sid = sv.save(seen, s)
    data = to_docx(supervision_record(seen, sid), include_support=True)
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode()
        rels = z.read("word/_rels/document.xml.rels").decode()
    for active in ("<w:fldSimple", "<w:instrText", "<w:hyperlink", "fldChar"):
        assert active not in xml, active
    assert "http://evil.example" not in rels and "phish" not in rels
    assert '{ HYPERLINK "http://evil.example" } =cmd|" /C calc"!A0' in xml  # as text
    assert "&lt;w:fldSimple/&gt;" in xml  # the typed tag is text


def test_a_record_of_a_session_saved_before_the_new_fields_reads_them_as_empty(tiny_path):
    record = supervision_record(casekit.load(tiny_path), "V1")  # a bundle without the columns
    assert record.session["child_voice"] == "" and record.session["support"] == ""
    assert record.decisions["serves"].tolist() == ["not recorded"]
    page = to_html(record)
    assert "Last seen alone:</b> no date is kept with this session." in page
    assert "Nothing was recorded." in page and "None recorded." in page


def test_whose_interests_a_decision_serves_survives_pseudonymisation(seen, full_saved, tmp_path):
    from casekit.bundle.io import write_bundle
    from casekit.privacy.pseudonymise import pseudonymise_tables

    key = bytes.fromhex("98770c0bb812cb30ef3462a1e3894abff0da3ecfd11de75d98c355b3818279b5")
    tables, _ = pseudonymise_tables(seen.casebook().canonical(), key, retention_years=0)
    record = supervision_record(casekit.load(write_bundle(tables, tmp_path / "safe")), full_saved)
    (did,) = record.decisions["decision_id"]
    assert record.decisions["serves"].tolist() == ["child and family, organisation"]
    assert record.session["decision_stakeholders"] == f"{did}: child and family, organisation"
    assert record.session["last_seen_alone"] == "2024-02-20"


def test_cli_leaves_the_support_notes_out_unless_asked(seen, full_saved, tmp_path, capsys):
    where = seen.url.removeprefix("sqlite:///")
    out = tmp_path / "record.html"
    assert main(["supervision", "export", "--store", where, "--id", full_saved,
                 "--out", str(out)]) == 0  # fmt: skip
    assert "support notes left out" in capsys.readouterr().out
    assert "Alex is frightened" not in out.read_text()
    assert main(["supervision", "export", "--store", where, "--id", full_saved,
                 "--out", str(out), "--include-support", "--overwrite"]) == 0  # fmt: skip
    assert "with the support notes" in capsys.readouterr().out
    assert "Alex is frightened after the media coverage." in out.read_text()

"""SupervisionSession in Python: build it, type, call handlers, reopen, assert state and storage."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import write_csv_bundle
from test_supervision import concern_case

import casekit
from casekit.analysis.supervision import STAGES, draft_key
from casekit.errors import CasekitError
from casekit.outputs import person_folder
from casekit.widgets import SupervisionSession

TEXT = {
    "experience": "He talks about his football team <b>and</b> his mosque.",
    "reflection": "Is this belief or behaviour? Belief, so far.",
    "analysis": "The police hold more than they can share.",
    "actions": "Early help with the youth service.",
}


@pytest.fixture
def store(tiny_store_on_both):
    """The tiny bundle in a store, on SQLite and on PostgreSQL."""
    return tiny_store_on_both


def session(store, tmp_path) -> SupervisionSession:
    return SupervisionSession(store, "007", exports=tmp_path / "records")


def fill_everything(ws: SupervisionSession, entries: tuple[str, str] = ("E1", "E2")) -> None:
    for key, text in TEXT.items():
        ws.stages[key].value = text
    ws.graces["religion"].value = True
    ws.graces["culture"].value = True
    ws.graces_notes.value = "His faith is not the worry."
    (t1, s1, w1), (t2, s2, w2) = ws.hypotheses
    first, second = entries
    t1.value, s1.value = "Exploring identity", (first,)
    t2.value, s2.value, w2.value = "Being groomed", (second,), (first,)
    ws.add_hypothesis()
    ws.hypotheses[2][0].value = "A family dispute spilling into school"
    ws.scales["family"].value = 8
    ws.scale_reasons["family"].value = "Parents engaged"


def decide(ws: SupervisionSession, response: str, evidence: tuple[str, ...], **more) -> None:
    ws.decision["response"].value = response
    ws.decision["lead_agency"].value = more.get("lead_agency", "social_care")
    ws.decision["family_engaged"].value = more.get("family_engaged", True)
    ws.decision["rationale"].value = more.get("rationale", "As discussed")
    ws.decision_evidence.value = evidence


def test_the_case_is_in_view(store, tmp_path):
    ws = session(store, tmp_path)
    view = ws.case_view.value
    assert "Child K1" in view and "response now: early help since 02 Feb 2024" in view
    assert "Police shared intelligence." in view  # the significant (high) entry
    # the case closed on 1 Jun 2024: its late assessment is history, counted but not listed
    assert "Proportionality flags open now" in view and "None open." in view
    assert "1 past flag (history" in view and "late assessment" not in view
    assert ws.timeline.image.value  # the risk timeline is drawn
    assert [v for _, v in ws.decision_evidence.options] == ["E2", "E1"]  # by date
    assert ws.worker == "W1" and ws.supervisor == "sam"
    for stage in STAGES:
        assert all(p in ws.cycle.children[STAGES.index(stage)].children[0].value
                   for p in stage.prompts)  # fmt: skip


def test_everything_typed_is_there_when_the_session_is_opened_again(store, store_url, tmp_path):
    ws = session(store, tmp_path)
    fill_everything(ws)
    decide(ws, "early_help", ("E1",))
    ws.add_decision()
    decide(ws, "child_in_need", ("E2",), rationale="half-written")
    assert "Draft saved" in ws.status.value
    again = session(casekit.open(store_url, user="sam"), tmp_path)  # as a new kernel would
    assert "Reopened your draft" in again.status.value
    assert {k: a.value for k, a in again.stages.items()} == TEXT
    assert [g for g, b in again.graces.items() if b.value] == ["religion", "culture"]
    assert again.graces_notes.value == "His faith is not the worry."
    assert [(t.value, s.value, w.value) for t, s, w in again.hypotheses] == [
        ("Exploring identity", ("E1",), ()),
        ("Being groomed", ("E2",), ("E1",)),
        ("A family dispute spilling into school", (), ()),
    ]
    assert [d.response for d in again.read().decisions] == ["early_help"]
    assert again.decision["rationale"].value == "half-written"  # the form not yet added
    assert again.decision_evidence.value == ("E2",)
    assert again.scales["family"].value == 8 and again.scale_reasons["family"].value
    assert again.scales["child"].value is None


def test_saving_writes_the_tables_and_the_record_has_it_all(store, tmp_path):
    ws = session(store, tmp_path)
    fill_everything(ws)
    decide(ws, "early_help", ("E1",))
    ws.add_decision()
    before = store.counts()
    sid = ws.save_session()
    assert sid and f"Saved as {sid}" in ws.message.value
    after = store.counts()
    assert after["supervisions"] == before["supervisions"] + 1
    assert after["decisions"] == before["decisions"] + 1
    assert after["judgements"] == before["judgements"] + 1  # only the family was judged
    assert store.draft(draft_key("007", "sam")) is None
    assert ws.stages["experience"].value == ""  # a new session starts
    reopened = session(store, tmp_path)
    assert reopened.saved_pick.options[0][1] == sid and reopened.stages["analysis"].value == ""
    page = reopened.export(sid, ".html").read_text()
    docx = reopened.export(sid, ".docx")
    assert "Exported to" in reopened.export_message.value and docx.stat().st_size > 0
    assert "He talks about his football team &lt;b&gt;and&lt;/b&gt; his mosque." in page
    for text in (
        *list(TEXT.values())[1:],
        "A family dispute spilling into school",
        "Considered: religion, culture",
        "early help",
        "Parents engaged",
    ):
        assert text.replace("'", "&#39;") in page, text  # fmt: skip


def test_saving_takes_a_confirmation_and_keeps_words_that_arrive_in_between(store, tmp_path):
    ws = session(store, tmp_path)
    fill_everything(ws)
    before = store.counts()
    ws.save_button.click()  # the first click only asks
    assert store.counts() == before
    assert ws.confirm_box.layout.display is None and "Save the record" in ws.message.value
    # the last words typed before that click reach the kernel after it (ipywidgets holds a
    # box's later keys back while the kernel is busy): here they arrive before the confirmation
    ws.stages["experience"].value += " He also spoke about his cousin."
    ws.confirm_button.click()
    assert ws.confirm_box.layout.display == "none"
    assert store.counts()["supervisions"] == before["supervisions"] + 1
    saved = store.case_rows("supervisions", "007").iloc[-1]
    assert saved["experience"].endswith("his mosque. He also spoke about his cousin.")
    assert ws.stages["experience"].value == ""  # a new session starts


def test_keep_editing_saves_nothing_and_keeps_the_draft(store, tmp_path):
    ws = session(store, tmp_path)
    fill_everything(ws)
    before = store.counts()
    ws.save_button.click()
    ws.keep_editing_button.click()
    assert store.counts() == before and ws.confirm_box.layout.display == "none"
    assert "Not saved yet" in ws.message.value
    assert ws.stages["analysis"].value == TEXT["analysis"]  # nothing typed is lost
    draft = store.draft(draft_key("007", "sam"))
    assert draft["session"]["stages"]["analysis"] == TEXT["analysis"]


def test_a_belief_only_decision_shows_its_flag_before_it_is_added(store, tmp_path):
    ws = session(store, tmp_path)
    fill_everything(ws)
    decide(ws, "child_in_need", ("E1",))  # early help -> child in need on views alone
    ws.add_decision()
    assert ws.flag_panel.layout.display == "flex"
    assert "escalation on belief or views" in ws.flag_view.value
    assert "resting on E1 (views expressed) on 2024-01-10: " in ws.flag_view.value
    assert ws.read().decisions == [] and "Not added yet" in ws.message.value
    ws.add_despite_flags()  # no reason given
    assert ws.read().decisions == [] and "Write why the decision stands" in ws.message.value
    ws.reconsider()
    assert ws.flag_panel.layout.display == "none"
    assert ws.decision["response"].value == "child_in_need"  # back in the form to change
    ws.add_decision()
    ws.flag_reason.value = "His sister described threats at home"
    ws.add_despite_flags()
    (d,) = ws.read().decisions
    assert d.flags_considered == (
        "escalation_on_belief_or_views. His sister described threats at home"
    )
    assert ws.decision["response"].value is None  # the form is ready for the next one
    before = store.counts()["decisions"]
    sid = ws.save_session()
    saved = store.get("decisions", store.get("supervisions", sid)["decision_ids"])
    assert "Flags considered: escalation_on_belief_or_views" in saved["rationale"]
    assert store.counts()["decisions"] == before + 1


def test_a_decision_can_be_removed_before_saving(store, tmp_path):
    ws = session(store, tmp_path)
    decide(ws, "early_help", ("E1",))
    ws.add_decision()
    assert "early help, led by social care" in ws.decision_list.value
    ws.remove_decision(None)
    assert "Choose a decision" in ws.message.value
    ws.remove_decision(0)
    assert ws.read().decisions == [] and ws.decision_list.value == ""
    assert session(store, tmp_path).read().decisions == []  # and from the draft


def test_an_incomplete_session_is_not_saved_and_its_draft_stays(store, tmp_path):
    ws = session(store, tmp_path)
    ws.stages["experience"].value = "Only this so far"
    ws.add_decision()  # an empty decision form
    assert "response: is empty" in ws.message.value
    before = store.counts()
    assert ws.save_session() is None
    assert "Not saved; your draft is kept." in ws.message.value
    assert "Reflection: nothing is written yet" in ws.message.value
    assert store.counts() == before
    assert session(store, tmp_path).stages["experience"].value == "Only this so far"


def test_bad_openings_and_exports_are_explained(store, tmp_path, tiny_path):
    with pytest.raises(CasekitError, match="there is no case 'X1'"):
        SupervisionSession(store, "X1")
    with pytest.raises(CasekitError, match="open one with casekit.open"):
        SupervisionSession(casekit.load(tiny_path), "007")
    ws = session(store, tmp_path)
    assert ws.export(None, ".html") is None and "Choose a saved record" in ws.export_message.value
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    ws.exports = blocked
    assert ws.export("V1", ".html") is None and "Not exported" in ws.export_message.value


def test_a_draft_that_cannot_be_saved_says_so(store, tmp_path, monkeypatch):
    ws = session(store, tmp_path)

    def refuse(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store, "save_draft", refuse)
    ws.stages["analysis"].value = "typed while the disk is full"
    assert "could NOT be saved (disk full)" in ws.status.value


def test_in_casekit_app_an_export_comes_with_a_download_link(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the app's kernels work in the notebooks folder
    ws = SupervisionSession(store, "007", exports="supervision_records")
    assert ws.export("V1", ".html") is not None and "href" not in ws.export_message.value
    monkeypatch.setenv("CASEKIT_APP", "voila")
    path = ws.export("V1", ".docx")
    mine = person_folder(store.user)  # in the app, each person's records in their own folder
    assert path.resolve() == tmp_path / "supervision_records" / mine / path.name
    assert f'href="../files/supervision_records/{mine}/{path.name}"' in ws.export_message.value
    ws.exports = tmp_path.parent / "elsewhere"  # outside what the app serves: no link
    ws.export("V1", ".html")
    assert "Exported to" in ws.export_message.value and "href" not in ws.export_message.value


def test_line_breaks_pasted_from_word_are_saved_as_new_lines(store, tmp_path):
    ws = session(store, tmp_path)
    fill_everything(ws)
    ws.stages["actions"].value = "Visit Friday.\x0bCall school."  # Word's soft line break
    ws.scale_reasons["family"].value = "Parents engaged.\x0cMum at every meeting."
    decide(ws, "early_help", ("E1",), rationale="Agreed with the family.\x0bReview in May.")
    ws.add_decision()
    sid = ws.save_session()
    assert sid, ws.message.value
    saved = store.get("supervisions", sid)
    assert saved["actions"] == "Visit Friday.\nCall school."
    cb = store.casebook()
    assert "Agreed with the family.\nReview in May." in set(cb.decisions["rationale"])
    assert "Parents engaged.\nMum at every meeting." in set(cb.judgements["rationale"])


@pytest.fixture
def concern(tmp_path, tiny):
    """Case 009: child in need 10 days ago, after extremist behaviour 14 days ago (today's)."""
    bundle = write_csv_bundle(tmp_path / "b", concern_case(tiny, dt.date.today()))
    s = casekit.open(tmp_path / "concern.sqlite", user="sam")
    s.import_casebook(casekit.load(bundle))
    yield s
    s.close()


def test_the_current_flags_are_the_open_ones_with_the_day_they_arose(concern, tmp_path):
    ws = SupervisionSession(concern, "009", exports=tmp_path / "records")
    view = ws.case_view.value
    arose = (dt.date.today() - dt.timedelta(days=5)).strftime("%d %b %Y")
    assert (
        f"<li>{arose} · <b>shared despite refusal</b>: Sharing S90 (social care to police" in view
    )
    assert "no override_reason is recorded" in view
    assert view.count("<li>") == 1 and "past flag" not in view


def test_stepping_down_two_weeks_after_extremist_behaviour_shows_its_flag_first(concern, tmp_path):
    ws = SupervisionSession(concern, "009", exports=tmp_path / "records")
    fill_everything(ws, entries=("E90", "E93"))
    before = concern.counts()["decisions"]
    decide(ws, "no_further_action", ("E91",), rationale="Family say things are calmer")
    ws.add_decision()
    assert ws.flag_panel.layout.display == "flex"
    assert "step down despite concern" in ws.flag_view.value
    assert (
        "This decision lowered the response from child in need to no further action 14 days "
        "after concern event E93 (extremist behaviour, high, "
    ) in ws.flag_view.value
    assert "Is anything being closed or stepped down too early?" in ws.flag_view.value
    assert ws.read().decisions == [] and "Not added yet" in ws.message.value
    assert concern.counts()["decisions"] == before  # nothing is saved before the supervisor acts
    ws.reconsider()
    decide(ws, "section_47", ("E92",))  # a statutory step resting on family context only
    ws.add_decision()
    assert "statutory step without concern" in ws.flag_view.value
    assert "step down despite concern" not in ws.flag_view.value
    ws.flag_reason.value = "Strategy discussion agreed it"
    ws.add_despite_flags()
    (d,) = ws.read().decisions
    assert d.flags_considered == "statutory_step_without_concern. Strategy discussion agreed it"


def test_the_response_now_is_the_social_care_rung_with_channel_beside_it(concern, tmp_path):
    ws = SupervisionSession(concern, "009", exports=tmp_path / "records")
    since = (dt.date.today() - dt.timedelta(days=10)).strftime("%d %b %Y")
    assert f"response now: child in need since {since} ·" in ws.case_view.value
    adopted = dt.date.today() - dt.timedelta(days=3)
    concern.add(
        "decisions", by="sam", case_id="009", date=adopted.isoformat(),
        response="channel_support", lead_agency="multi_agency", family_engaged="yes",
        rationale="Panel agreed", evidence_ids="E93", decided_by="W1",
    )  # fmt: skip
    ws.refresh_case()
    assert (
        f"response now: child in need since {since}; Channel support (voluntary, beside social "
        f"care) adopted {adopted:%d %b %Y} ·"
    ) in ws.case_view.value


# --- the full 4x4x4: functions, the child's voice, tests, stakeholders, private support ------

FUNCTION_TEXT = {
    "management": "Visits on time.",
    "support": "Alex is worn out <i>and</i> scared.",
    "development": "Learning about online grooming.",
    "mediation": "Police pressing for a section 47.",
}
VOICE = "I want to go back to football & see my friends."


def fill_the_4x4x4(ws: SupervisionSession) -> None:
    for key, text in FUNCTION_TEXT.items():
        ws.functions[key].value = text
    ws.child_voice.value = VOICE
    ws.hypothesis_tests[0].value = "Ask mum what he watches."
    ws.actions[0][0].value = "Offer a family group conference"
    ws.actions[0][1]["child_family"].value = True
    ws.add_action()
    ws.actions[1][0].value = "Meet the police about what they hold"
    ws.actions[1][1]["partners"].value = True
    ws.actions[1][1]["worker"].value = True


def test_the_4x4x4_fields_are_autosaved_and_come_back(store, store_url, tmp_path):
    ws = session(store, tmp_path)
    fill_the_4x4x4(ws)
    decide(ws, "early_help", ("E1",))
    ws.decision_serves["organisation"].value = True
    ws.add_decision()
    ws.decision_serves["worker"].value = True  # a half-written next decision
    again = session(casekit.open(store_url, user="sam"), tmp_path)  # as a new kernel would
    assert "Reopened your draft" in again.status.value
    assert {k: a.value for k, a in again.functions.items()} == FUNCTION_TEXT
    assert again.child_voice.value == VOICE
    assert [t.value for t in again.hypothesis_tests] == ["Ask mum what he watches.", ""]
    assert [(t.value, [k for k, b in boxes.items() if b.value]) for t, boxes in again.actions] == [
        ("Offer a family group conference", ["child_family"]),
        ("Meet the police about what they hold", ["worker", "partners"]),
    ]
    assert again.read().decisions[0].serves == ["organisation"]
    assert [k for k, b in again.decision_serves.items() if b.value] == ["worker"]


def test_the_4x4x4_fields_are_saved_and_support_is_exported_only_when_ticked(store, tmp_path):
    ws = session(store, tmp_path)
    fill_everything(ws)
    fill_the_4x4x4(ws)
    decide(ws, "early_help", ("E1",))
    ws.decision_serves["child_family"].value = True
    ws.add_decision()
    sid = ws.save_session()
    assert sid, ws.message.value
    saved = store.get("supervisions", sid)
    assert saved["support"] == FUNCTION_TEXT["support"] and saved["child_voice"] == VOICE
    assert saved["agreed_actions"].endswith("Serves: worker, partner agencies")
    assert saved["decision_stakeholders"] == f"{saved['decision_ids']}: child and family"
    assert "Test with the family: Ask mum what he watches." in saved["hypotheses"]
    assert [t.value for t, _ in ws.actions] == [""]  # a new session starts, one empty action
    assert not ws.include_support.value  # off unless the supervisor ticks it
    page = ws.export(sid, ".html").read_text()
    assert "support notes left out" in ws.export_message.value
    assert "worn out" not in page and "Visits on time." in page
    assert "I want to go back to football &amp; see my friends." in page
    ws.include_support.value = True
    page = ws.export(sid, ".html").read_text()
    assert "with the support notes" in ws.export_message.value
    assert "Alex is worn out &lt;i&gt;and&lt;/i&gt; scared." in page


def test_half_written_4x4x4_parts_stop_the_save(store, tmp_path):
    ws = session(store, tmp_path)
    fill_everything(ws)
    ws.actions[0][1]["worker"].value = True  # ticked, but no action written
    before = store.counts()
    assert ws.save_session() is None
    assert "Action 1: whose interests it serves is ticked" in ws.message.value
    assert store.counts() == before


def test_every_control_is_labelled(store, tmp_path):
    ws = session(store, tmp_path)
    ws.add_action()
    ws.add_hypothesis()

    def controls(widget):
        if widget is ws.timeline:  # the risk timeline is its own widget, tested with it
            return
        if isinstance(widget, w.ValueWidget | w.Button) and not isinstance(widget, w.HTML):
            yield widget
        for child in getattr(widget, "children", ()):
            yield from controls(child)

    import ipywidgets as w

    found = list(controls(ws))
    assert len(found) > 60
    unlabelled = [type(c).__name__ for c in found if not c.description.strip()]
    assert unlabelled == []


@pytest.fixture
def overdue(tmp_path, tiny):
    """Case 009 (see concern_case) with a plan action due 5 days ago, one due then but done 2
    days ago, and a visit 7 days ago at which the child was seen alone."""
    today = dt.date.today()
    tiny = concern_case(tiny, today)
    for row in tiny["events"]:
        row["seen_alone"] = ""
    tiny["events"].append(
        dict(tiny["events"][-1], event_id="E94", kind="visit", category="protective",
             date=(today - dt.timedelta(days=7)).isoformat(),
             recorded_on=(today - dt.timedelta(days=7)).isoformat(),
             summary="Seen alone at home.", significance="low", seen_alone="yes")
    )  # fmt: skip
    action = dict(tiny["plan_actions"][0], case_id="009", evidence_ids="E93",
                  created=(today - dt.timedelta(days=20)).isoformat())  # fmt: skip
    tiny["plan_actions"] += [
        dict(action, action_id="A90", description="Mentor <b>weekly</b>",
             due=(today - dt.timedelta(days=5)).isoformat()),
        dict(action, action_id="A91", description="Done already",
             due=(today - dt.timedelta(days=5)).isoformat(),
             completed=(today - dt.timedelta(days=2)).isoformat()),
    ]  # fmt: skip
    s = casekit.open(tmp_path / "overdue.sqlite", user="sam")
    s.import_casebook(casekit.load(write_csv_bundle(tmp_path / "b", tiny)))
    yield s
    s.close()


def test_the_case_view_shows_overdue_plan_actions_and_when_last_seen_alone(overdue, tmp_path):
    from casekit.analysis.proportionality import working_days_after

    ws = SupervisionSession(overdue, "009", exports=tmp_path / "records")
    view = ws.case_view.value
    due = dt.date.today() - dt.timedelta(days=5)
    assert "Plan actions overdue now" in view
    assert (
        f"<li>A90: Mentor &lt;b&gt;weekly&lt;/b&gt; (education), due {due:%d %b %Y}, "
        "5 days overdue</li>"
    ) in view
    assert "Done already" not in view
    visit = dt.date.today() - dt.timedelta(days=7)
    days = working_days_after(  # weekends and bank holidays vary with today's date
        pd.Series([pd.Timestamp(visit)]), pd.Series([pd.Timestamp(dt.date.today())])
    ).item()
    assert 3 <= days <= 5  # one weekend, and at most two bank holidays (Christmas)
    assert f"Last seen alone on {visit:%d %b %Y} (a visit), {days} working day" in (
        ws.seen_alone_view.value
    )
    closed = session(overdue, tmp_path)  # case 007 is closed: nothing overdue, no count
    assert "None overdue." in closed.case_view.value
    assert "not open" in closed.seen_alone_view.value


def test_the_picker_compiles_the_flags_while_a_case_is_chosen(store, tmp_path, monkeypatch):
    import threading

    from casekit.analysis.proportionality import THRESHOLDS
    from casekit.analysis.relational import shared
    from casekit.widgets import CasePicker

    shared.close_shared()  # as in a fresh kernel: nothing compiled yet
    started: list[threading.Thread] = []
    real = shared.warm_in_background

    def watched(thresholds=None):
        started.append(real(thresholds))
        return started[-1]

    monkeypatch.setattr("casekit.widgets.supervision.warm_in_background", watched)
    picker = CasePicker(
        store, lambda s, c: session(s, tmp_path), prepare=SupervisionSession.prepare
    )
    assert picker.body.children == ()  # no case open yet: the person is choosing
    assert [t.name for t in started] == ["casekit-warm-flags"]
    started[0].join(timeout=120)
    assert not started[0].is_alive()
    preview = shared.shared_preview()
    assert preview._sql, "the flags' SQL was compiled in the background"
    assert preview._statements(dict(THRESHOLDS)) is next(iter(preview._sql.values()))
    picker.show_case("007")  # the first case opens on the compiled SQL: nothing compiled again
    assert len(preview._sql) == 1 and isinstance(picker.body.children[0], SupervisionSession)


def test_a_failed_background_compile_is_said_by_the_flags_that_need_it(monkeypatch):
    from casekit.analysis.relational import shared

    def broken(thresholds=None):
        raise RuntimeError("the engine would not start")

    import threading

    escaped: list[object] = []
    monkeypatch.setattr(threading, "excepthook", escaped.append)
    monkeypatch.setattr(shared, "warm", broken)
    thread = shared.warm_in_background()
    thread.join(timeout=60)
    assert not thread.is_alive() and escaped == []  # no traceback in the kernel's log


def test_the_pickers_preparation_starts_once_the_cases_are_listed(store, tmp_path, monkeypatch):
    # the background compile takes the interpreter's time (about 2 CPU seconds): started
    # before the cases are read, it holds up the list the person is to choose from
    from casekit.widgets import CasePicker

    order: list[str] = []
    read = store.casebook
    monkeypatch.setattr(store, "casebook", lambda *a, **k: order.append("cases") or read(*a, **k))
    picker = CasePicker(
        store, lambda s, c: session(s, tmp_path), prepare=lambda: order.append("prepare")
    )
    assert order == ["cases", "prepare"]
    assert "007" in [value for _, value in picker.choice.options]
    assert picker.body.children == ()  # prepared, and still no case open: none was asked for
    opened = CasePicker(
        store, lambda s, c: session(s, tmp_path), "007", prepare=lambda: order.append("prepare")
    )
    assert order.count("prepare") == 2  # a case asked for opens at once: prepared all the same
    assert isinstance(opened.body.children[0], SupervisionSession)

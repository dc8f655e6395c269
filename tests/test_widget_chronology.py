"""ChronologyBuilder in Python: build it, set values, call handlers, assert state and storage."""

from __future__ import annotations

import datetime as dt

import pytest
from test_store import snapshot

import casekit
from casekit.analysis.chronology import filter_events
from casekit.widgets import CasePicker, ChronologyBuilder
from casekit.widgets.common import set_field_value

USER = "sw-1"


@pytest.fixture
def store(tiny_store_on_both):
    """The tiny bundle in a store, on SQLite and on PostgreSQL."""
    return tiny_store_on_both


def fill(builder, **values):
    for name, value in values.items():
        set_field_value(builder.fields[name], value)


GOOD = dict(
    date=dt.date(2024, 3, 1),
    source_agency="education",
    kind="visit",
    category="protective",
    level="family",
    significance="medium",
    summary="Mother attended the school meeting <and> agreed the plan.",
)


def test_dropdowns_come_from_the_contract(store):
    b = ChronologyBuilder(store, "007")
    for name in ("source_agency", "kind", "category", "level", "significance", "evidence"):
        values = [v for _, v in b.fields[name].options if v is not None]
        assert tuple(values) == casekit.TABLES["events"].column(name).vocabulary
    assert b.fields["category"].value is None  # the lens is always a deliberate choice
    assert b.fields["recorded_on"].value == dt.date.today()


def test_add_entry_saves_to_the_store_and_lists_it(store):
    b = ChronologyBuilder(store, "007")
    before = len(b.rows)
    fill(b, **GOOD)
    b.add_button.click()
    assert len(b.rows) == before + 1
    eid = b.rows["event_id"].iloc[-1]
    saved = store.get("events", eid)
    assert saved["summary"] == GOOD["summary"] and saved["level"] == "family"
    assert saved["recorded_by"] == "sw-1" and saved["date"] == "2024-03-01"
    assert "Saved entry" in b.message.value
    assert "&lt;and&gt; agreed" in b.listing.value and "<and>" not in b.listing.value
    assert b.fields["summary"].value == "" and b.fields["category"].value is None  # cleared
    again = ChronologyBuilder(store, "007")  # a new session (a reopened page) sees it
    assert eid in set(again.rows["event_id"])


def test_listeners_hear_every_saved_change(store):
    b = ChronologyBuilder(store, "007")
    before = len(b.rows)
    heard = []
    b.on_change(lambda: heard.append(len(b.rows)))
    fill(b, **GOOD)
    eid = b.add_entry()
    fill(b, **dict(GOOD, category=None))
    b.add_entry()  # refused: nothing changed, nobody told
    b.delete_entry(eid, "duplicate")
    assert heard == [before + 1, before]


def test_invalid_input_shows_messages_by_the_fields_and_writes_nothing(store):
    b = ChronologyBuilder(store, "007")
    before = snapshot(store)
    fill(b, **dict(GOOD, category=None, summary="   "))
    assert b.add_entry() is None
    assert "is empty; this column is required" in b.errors["category"].value
    assert "is empty; this column is required" in b.errors["summary"].value
    assert b.errors["date"].value == ""
    assert "Not saved" in b.message.value
    assert snapshot(store) == before
    fill(b, date=dt.date(2099, 1, 1), category="harm", summary="ok")
    assert b.add_entry() is None
    assert "is in the future" in b.errors["date"].value
    assert snapshot(store) == before


def test_edit_and_delete_keep_history(store):
    b = ChronologyBuilder(store, "007")
    fill(b, **GOOD)
    eid = b.add_entry()
    b.start_edit(eid)
    assert b.fields["summary"].value == GOOD["summary"]
    assert b.save_button.layout.display is None and b.add_button.layout.display == "none"
    set_field_value(b.fields["significance"], "high")
    assert b.save_changes()
    assert store.get("events", eid)["significance"] == "high"
    assert not b.delete_entry(eid, "")
    assert "reason" in b.message.value and eid in set(b.rows["event_id"])
    assert b.delete_entry(eid, "recorded on the wrong case")
    assert eid not in set(b.rows["event_id"])
    assert store.history(eid)["op"].tolist() == ["add", "update", "delete"]


def test_entries_cited_as_evidence_cannot_be_deleted(store):
    b = ChronologyBuilder(store, "007")
    assert not b.delete_entry("E1", "tidying up")  # decision D1 rests on E1
    assert "still used by judgement J1, decision D1" in b.message.value
    assert "E1" in set(b.rows["event_id"])


def test_entries_stay_in_date_order_as_they_are_added(store):
    b = ChronologyBuilder(store, "007")
    for day in (dt.date(2024, 5, 1), dt.date(2023, 1, 1), dt.date(2024, 2, 1)):
        fill(b, **dict(GOOD, date=day))
        b.add_entry()
    assert b.rows["date"].tolist() == sorted(b.rows["date"])
    assert b.rows["date"].tolist()[0] == "2023-01-01" and len(b.rows) == 5
    assert b.rows.equals(ChronologyBuilder(store, "007").rows)  # as a fresh load orders them


def test_filters_and_paging(store):
    b = ChronologyBuilder(store, "007", page_size=2)
    for i in range(3):
        fill(b, **dict(GOOD, summary=f"entry {i}", date=dt.date(2024, 3, 1 + i)))
        b.add_entry()
    assert len(b.visible()) == 2 and "Showing the latest 2 of 5 entries" in b.listing.value
    b.show_all.value = True
    assert len(b.visible()) == 5
    b.filter_category.value = "protective"
    assert set(b.visible()["category"]) == {"protective"} and len(b.visible()) == 3
    b.filter_category.value = None
    b.filter_significance.value = "high"
    assert set(b.visible()["significance"]) == {"high"}
    assert [v for _, v in b.pick.options] == list(b.visible()["event_id"][::-1])


def test_the_filters_are_the_chronology_filters(store):
    b = ChronologyBuilder(store, "007")
    for i, (significance, level) in enumerate([("low", "family"), ("high", "child")] * 2):
        fill(b, **dict(GOOD, significance=significance, level=level, date=dt.date(2024, 3, i + 1)))
        b.add_entry()
    b.show_all.value = True
    seen = set()
    for significance in (None, "low", "medium", "high"):
        for category in (None, "protective", "harm"):
            for level in (None, "child", "family"):
                b.filter_significance.value = significance
                b.filter_category.value = category
                b.filter_level.value = level
                expected = filter_events(
                    b.rows, min_significance=significance, categories=category, levels=level
                )
                assert b.visible().equals(expected)
                seen.add(len(expected))
    assert len(seen) > 3  # the combinations really keep different entries
    b.filter_significance.value, b.filter_category.value = None, None
    b.filter_level.value = "family"
    assert set(b.visible()["level"]) == {"family"} and len(b.visible()) >= 2


def test_import_agency_files(store, store_url):
    b = ChronologyBuilder(store, "007")
    police = (
        "police.csv",
        b"Date,Event,Restricted\n05/02/2024,Seen at the station,N\n03/2024,Information shared,Y\n",
    )
    assert b.import_files([police], None) == 2
    assert "Imported 2 entries; 2 need your review" in b.message.value
    added = b.rows[b.rows["summary"].isin(["Seen at the station", "Information shared"])]
    assert set(added["source_agency"]) == {"police"}
    assert set(added["category"]) == {"uncategorised"}
    assert sorted(added["date_precision"]) == ["day", "month"]
    loaded = casekit.load(store_url)
    assert set(
        loaded.events.loc[loaded.events["summary"] == "Seen at the station", "source_file"]
    ) == {"police.csv"}
    before = snapshot(store)
    bad = ("notes.csv", b"When,What\nyesterday,something\n")
    assert b.import_files([bad], "police") == 0
    assert "no column found for summary" in b.message.value
    assert snapshot(store) == before


def test_wrong_inputs_to_the_builder(store, tiny_path):
    with pytest.raises(casekit.CasekitError, match="writes to a casebook store"):
        ChronologyBuilder(casekit.load(tiny_path), "007")
    with pytest.raises(casekit.CasekitError, match="there is no case '999'"):
        ChronologyBuilder(store, "999")


def test_case_picker_opens_a_builder(store):
    picker = CasePicker(store, ChronologyBuilder)
    assert {v for _, v in picker.choice.options} == {"007", "008"}
    picker.choice.value = "008"
    picker.open_button.click()
    (builder,) = picker.body.children
    assert isinstance(builder, ChronologyBuilder) and builder.case_id == "008"


def test_a_line_break_pasted_from_word_is_saved_as_a_new_line(store):
    b = ChronologyBuilder(store, "007")
    fill(b, **dict(GOOD, summary="Seen at home.\x0bMum present.\x0cNext visit Friday."))
    eid = b.add_entry()
    assert eid, b.message.value
    assert store.get("events", eid)["summary"] == "Seen at home.\nMum present.\nNext visit Friday."


def test_the_forms_texts_reach_the_kernel_whole_before_add_entry(store):
    """A text is sent when the field is left, so a click on Add entry cannot overtake its last
    keys (ipywidgets holds back a busy field's keys but sends a click at once)."""
    import ipywidgets as w

    builder = ChronologyBuilder(store, "007")
    texts = [c for c in builder.fields.values() if isinstance(c, w.Text | w.Textarea)]
    assert isinstance(builder.fields["summary"], w.Textarea) and builder.fields["summary"] in texts
    assert all(c.continuous_update is False for c in texts)


def test_in_casekit_app_a_chronology_export_comes_with_a_download_link(
    store, tmp_path, monkeypatch
):
    from casekit.outputs import person_folder

    monkeypatch.chdir(tmp_path)  # the app's kernels work in the notebooks folder
    b = ChronologyBuilder(store, "007", user=USER)  # exports to chronology_exports/ by default
    written = b.export(".csv")
    assert written.resolve() == tmp_path / "chronology_exports" / "chronology-007.csv"
    assert "href" not in b.export_message.value  # not in the app: the path, no link
    monkeypatch.setenv("CASEKIT_APP", "voila")
    mine = tmp_path / "chronology_exports" / person_folder(store.user)  # each person's own
    for suffix in (".html", ".xlsx", ".csv"):
        path = b.export(suffix)
        assert path.resolve() == mine / f"chronology-007{suffix}"
        assert mine.stat().st_mode & 0o777 == 0o700
        href = f"../files/chronology_exports/{mine.name}/{path.name}"
        link = f'<a href="{href}" download class="ck-download">'
        assert link in b.export_message.value, b.export_message.value
    b.exports = tmp_path / "elsewhere"  # a folder the app does not serve: the path, no link
    assert b.export(".html") is not None
    assert "Exported to" in b.export_message.value and "href" not in b.export_message.value

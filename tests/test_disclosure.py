"""Small-number suppression: the DfE convention, and property tests that nothing hidden can
be worked out from what is shown, within a table and across two tables that share totals (by
an independent attacker, tests/attacker.py: integer programming, a hidden count is at least 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from attacker import read_table, recovered
from hypothesis import given, settings
from hypothesis import strategies as st

from casekit.privacy.disclosure import (
    Publication,
    percentages,
    pinned_cells,
    suppress,
    suppression_mask,
)


def attack(name: str, shown: pd.DataFrame) -> list:
    """Run the independent attacker on a table as :func:`suppress` renders it."""
    cells, sums = read_table(name, shown.reset_index(names="row").astype(str))
    return recovered(cells, sums)


tables = st.integers(2, 5).flatmap(
    lambda r: st.integers(2, 5).flatmap(
        lambda c: st.lists(
            st.lists(st.integers(0, 25), min_size=c, max_size=c), min_size=r, max_size=r
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(tables)
def test_no_hidden_cell_can_be_recovered(rows):
    counts = pd.DataFrame(rows, columns=[f"col{i}" for i in range(len(rows[0]))])
    shown = suppress(counts)
    truth = counts.to_numpy()
    body = shown.iloc[:-1, :-1].to_numpy()
    small = (truth >= 1) & (truth <= 5)
    assert (body[small] == "c").all()  # every count from 1 to 5 is hidden
    assert (body[truth == 0] == "0").all()  # zeros are shown (so a c is at least 1)
    visible = body != "c"
    assert (body[visible].astype(int) == truth[visible]).all()  # what is shown is true
    assert attack("t", shown) == []


people = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 2), st.sampled_from(["p", "q"])),
    min_size=1,
    max_size=60,
)


def _publish_linked(rows: list[tuple[int, int, str]]) -> dict[str, pd.DataFrame]:
    """Count the same people two ways (by a and by b) and suppress both tables together."""
    frame = pd.DataFrame(rows, columns=["a", "b", "group"])
    raw = {}
    for key in ("a", "b"):
        counts = pd.crosstab(frame[key], frame["group"]).reindex(columns=["p", "q"], fill_value=0)
        raw[key] = suppress(counts, enabled=False).reset_index(names="row")
    publication = Publication()
    for key, table in raw.items():
        values = table[["p", "q", "Total"]].astype(int).to_numpy()
        hidden = np.zeros(table.shape, dtype=bool)
        hidden[:, 1:] = (values >= 1) & (values <= 5)
        publication.add_frame(key, table, ["p", "q", "Total"], hidden=hidden)
    for column in ("p", "q", "Total"):  # the two tables share their column totals
        assert publication.equate([("a", "Total", column)], [("b", "Total", column)])
    publication.protect()
    shown = {}
    for key, table in raw.items():
        out = table.astype(str).copy()
        for k, cell in enumerate(publication.cells):
            if cell[0] == key and publication.hidden[k]:
                out.loc[out["row"] == cell[1], cell[2]] = "c"
        shown[key] = out
    return shown


@settings(max_examples=60, deadline=None)
@given(people)
def test_two_tables_that_share_their_totals_give_nothing_away_together(rows):
    shown = _publish_linked(rows)
    cells, sums = {}, []
    for key, table in shown.items():
        c, s = read_table(key, table)
        cells.update(c)
        sums += s
    shared = [([("a", "Total", c)], [("b", "Total", c)]) for c in ("p", "q", "Total")]
    assert recovered(cells, sums + shared) == []
    for key, table in shown.items():  # every count from 1 to 5 is hidden
        numbers = pd.to_numeric(table[["p", "q", "Total"]].stack(), errors="coerce")
        assert not numbers.between(1, 5).any(), key


def test_a_hidden_cell_is_at_least_one_which_the_model_knows():
    # zeros are shown, so two hidden cells adding up to 2 are both 1
    full = np.array([[1, 1, 2], [6, 7, 13], [7, 8, 15]])
    hidden = np.zeros_like(full, dtype=bool)
    hidden[0, :2] = True
    assert pinned_cells(full, hidden) == [(0, 0), (0, 1)]
    hidden[1, :2] = True  # a rectangle is not enough: the totals still say the row is 2
    assert pinned_cells(full, hidden) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    hidden[:2, 2] = True  # with the row totals hidden too, row 0 can hold 2 to 13
    assert pinned_cells(full, hidden) == []
    counts = pd.DataFrame({"a": [1, 6], "b": [1, 7]})
    shown = suppress(counts)
    assert shown.iloc[0, :2].tolist() == ["c", "c"]
    assert attack("t", shown) == []  # the old rule (no line with one c) let these through


def test_a_cell_two_tables_give_away_together_is_pinned_and_protected():
    # T01: 8 referrals, 7 within 10 days; the wait table hides the bands 0-5, 6-10, 21-45
    p = Publication()
    summary = pd.DataFrame({"type": ["rad"], "referrals": [8], "within": [7]})
    waits = pd.DataFrame({"band": ["0-5", "6-10", "11-20", "21-45", "Total"],
                          "rad": [3, 4, 0, 1, 8]})  # fmt: skip
    p.add_frame("summary", summary, ["referrals", "within"], hidden=np.zeros((1, 3), bool))
    hidden = np.zeros((5, 2), bool)
    hidden[[0, 1, 3], 1] = True
    p.add_frame("waits", waits, ["rad"], hidden=hidden)
    assert p.pinned() == []  # alone, the wait table gives nothing away
    assert p.equate(
        [("summary", "rad", "within")], [("waits", "0-5", "rad"), ("waits", "6-10", "rad")]
    )
    assert p.equate([("summary", "rad", "referrals")], [("waits", "Total", "rad")])
    assert p.pinned() == [("waits", "21-45", "rad")]  # 8 - 7 = 1
    added = p.protect()
    assert added and p.pinned() == []
    assert not p.equate([("summary", "rad", "within")], [("waits", "Total", "rad")])  # 7 != 8


def test_sums_that_do_not_hold_or_name_missing_cells_are_left_out():
    p = Publication()
    p.add(("t", "x", "n"), 3, hidden=True)
    p.add(("t", "y", "n"), 4, hidden=False)
    assert not p.equate([("t", "x", "n")], [("t", "y", "n")])  # 3 != 4
    assert not p.equate([("t", "x", "n")], [("t", "z", "n")])  # no such cell
    assert p.equations == []


def test_the_audit_finds_a_cell_that_subtraction_recovers():
    full = np.array([[3, 7, 10], [4, 6, 10], [7, 13, 20]])
    hidden = np.zeros_like(full, dtype=bool)
    hidden[0, 0] = True  # alone in its row: 10 - 7
    assert pinned_cells(full, hidden) == [(0, 0)]
    hidden[0, 1] = hidden[1, 0] = hidden[1, 1] = True
    assert pinned_cells(full, hidden) == []


def test_zero_is_shown_and_large_counts_are_kept():
    counts = pd.DataFrame({"a": [0, 40], "b": [30, 25]}, index=["x", "y"])
    assert suppress(counts).values.tolist() == [
        ["0", "30", "30"],
        ["40", "25", "65"],
        ["40", "55", "95"],
    ]


def test_secondary_suppression_hides_the_smallest_other_cell():
    counts = pd.DataFrame({"a": [2, 30, 40], "b": [20, 31, 41], "c": [50, 32, 42]})
    mask = suppression_mask(counts)
    assert mask.loc[0, "a"] and mask.loc[0, "b"]  # 2 is primary; 20 the smallest other
    assert not mask.loc[0, "c"]


def test_percentages_are_whole_numbers_and_hidden_with_their_counts():
    counts = pd.DataFrame({"a": [3, 50, 20], "b": [97, 50, 30]}, index=["x", "y", "z"])
    shares = percentages(counts)
    assert shares.loc["y"].tolist() == ["50", "50"]
    assert shares.loc["x"].tolist() == ["c", "c"] and shares.loc["z"].tolist() == ["c", "c"]
    assert percentages(counts, enabled=False).loc["z"].tolist() == ["40", "60"]


def test_suppression_can_be_turned_off_for_use_inside_a_team():
    counts = pd.DataFrame({"a": [3]}, index=["x"])
    assert suppress(counts, enabled=False).loc["x", "a"] == "3"


def test_rows_whose_labels_repeat_or_say_total_are_kept_apart():
    # a data label may read "Total" or repeat: the table's total is its last Total row
    frame = pd.DataFrame({"who": ["Total", "x", "x", "x#2", "Total"], "n": [7, 8, 9, 10, 34]})
    p = Publication()
    hidden = np.zeros(frame.shape, dtype=bool)
    hidden[1, 1] = True  # alone in the column: 34 - 7 - 9 - 10
    rows = p.add_frame("t", frame, ["n"], hidden=hidden)
    assert rows == ["Total#2", "x", "x#2", "x#2#2", "Total"]  # every name different
    assert len(p.equations) == 1 and p.pinned() == [("t", "x", "n")]
    assert p.protect() == [("t", "Total#2", "n")] and p.pinned() == []


def test_a_row_a_table_does_not_list_counts_as_zero_in_a_shared_sum():
    # outcomes list only the responses someone reached: a sum naming another one adds 0
    p = Publication()
    outcomes = pd.DataFrame({"furthest": ["early_help", "Total"], "n": [3, 3]})
    p.add_frame("outcomes", outcomes, ["n"], hidden=np.array([[False, True], [False, True]]))
    p.add(("headline", "h", "referrals"), 3, hidden=False)
    both = [("outcomes", "early_help", "n"), ("outcomes", "section_47", "n")]
    assert p.equate(both, [("headline", "h", "referrals")])
    assert p.pinned() == [("outcomes", "early_help", "n"), ("outcomes", "Total", "n")]
    assert not p.equate([("outcomes", "early_help", "x")], [("headline", "h", "referrals")])

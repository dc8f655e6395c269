"""The Arrow fast paths give the same answers as the plain pandas they replace."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from casekit.bundle.arrowops import find_rows, gc_paused, is_in
from casekit.bundle.io import clean_frame


def _first_rows(values: list[str | None], ids: list[str]) -> list[int]:
    """The obvious definition, one value at a time."""
    return [ids.index(v) if v in ids else -1 for v in values]


@pytest.mark.parametrize(
    ("values", "ids"),
    [
        (["b", "x", None, "a", "b"], ["a", "b", "b"]),  # more values than ids
        (["e3", None, "zz", "e1"], [f"e{i % 7}" for i in range(40)]),  # fewer: ids probed
        ([], ["a"]),
        (["a"], []),
    ],
)
def test_find_rows_matches_first_occurrence(values: list[str | None], ids: list[str]) -> None:
    got = find_rows(pa.array(values, pa.large_string()), pa.array(ids, pa.large_string()))
    assert got.tolist() == _first_rows(values, ids)
    assert got.dtype == np.int64


def test_is_in_treats_missing_as_absent() -> None:
    s = pd.Series(["D1", None, "D3"], dtype="str")
    assert is_in(s, pd.Series(["D3", "D1"])).tolist() == [True, False, True]
    assert is_in(s, np.array([], dtype=object)).tolist() == [False, False, False]


def test_gc_paused_restores_the_collector_even_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_clean_frame_trims_unicode_spaces_and_drops_empty_rows() -> None:
    rows = [[" a ", "\u00a0b\u00a0"], ["", "  "], [None, "c"]] * 4  # > 8 rows: the Arrow path
    frame = pd.DataFrame(rows, columns=["x", "x"], dtype=object)  # a repeated header survives
    cleaned = clean_frame(frame, 2)
    assert list(cleaned.columns) == ["x", "x"]
    assert cleaned.index.tolist() == [2, 4, 5, 7, 8, 10, 11, 13]  # spreadsheet rows kept
    assert cleaned.iloc[0].tolist() == ["a", "b"]
    assert cleaned.iloc[1].isna().tolist() == [True, False]
    # the single-record path gives the same cells
    small = clean_frame(frame.iloc[:3], 2)
    assert small.fillna("-").values.tolist() == cleaned.iloc[:2].fillna("-").values.tolist()

"""Arrow building blocks for columns of ids: the fast path for national-sized extracts.

pandas hashes Arrow-backed strings by first turning them into Python objects, which costs
seconds at millions of rows; these helpers keep the work in Arrow compute kernels.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["arrow_strings", "find_rows", "gc_paused", "is_in"]


def arrow_strings(s: pd.Series) -> pa.Array:
    """View a column as one Arrow array of strings (nulls for missing), without its index.

    >>> arrow_strings(pd.Series(["a", None])).to_pylist()
    ['a', None]
    """
    arr = pa.array(s.astype("str").array, type=pa.large_string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def find_rows(values: pa.Array, ids: pa.Array) -> np.ndarray:
    """Return, for each value, the position of its first occurrence in ``ids`` (-1 if absent).

    Arrow hashes the smaller side: a few thousand cited ids are looked for among millions of
    events by hashing the cited ids once and probing the events, not the reverse. Nulls are
    never found.

    >>> find_rows(pa.array(["b", "x", None, "a"]), pa.array(["a", "b", "b"])).tolist()
    [1, -1, -1, 0]
    """
    if len(values) >= len(ids):
        slot = pc.index_in(values, value_set=ids, skip_nulls=True)
        return pc.fill_null(slot, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    wanted = pc.unique(values.drop_null())
    slot = pc.index_in(ids, value_set=wanted).to_numpy(zero_copy_only=False)
    hit = ~np.isnan(slot)
    slots, first = np.unique(slot[hit].astype(np.int64), return_index=True)
    row_of = np.full(len(wanted) + 1, -1, dtype=np.int64)  # the last slot: values not wanted
    row_of[slots] = np.flatnonzero(hit)[first]
    where = pc.fill_null(pc.index_in(values, value_set=wanted), len(wanted))
    return row_of[where.to_numpy(zero_copy_only=False)]


def is_in(s: pd.Series, values: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """Say, for each string in ``s``, whether it is among ``values`` (a boolean array).

    >>> is_in(pd.Series(["D1", "D2", None]), pd.Series(["D2", "D9"])).tolist()
    [False, True, False]
    """
    found = pc.is_in(arrow_strings(s), value_set=arrow_strings(pd.Series(values, dtype="str")))
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of small lists are built.

    Each new list counts towards a collection, and each collection walks every live object,
    so building a million evidence lists would otherwise trigger hundreds of full walks. Lists
    of strings hold no cycles, so nothing is lost by collecting once afterwards instead.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

"""The contract's tables as typed Arrow tables: the same values whatever pandas dtype holds them.

A Casebook's text columns may be Arrow-backed ``str``, ``object`` or ``category`` (vocabularies);
each becomes the same Arrow text, missing values as nulls, as converting through Python objects
gives. ``arrow_tables`` can give only the tables asked for, each as it is in the full set.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from engine_helpers import synthetic

from casekit.bundle.casebook import Casebook
from casekit.engine.tables import ANALYSED, CONCERNS, LINKS, arrow_schema, arrow_tables


def through_objects(frame: pd.DataFrame, table: str) -> pa.Table:
    """Convert every column through Python objects: the reference the fast paths must equal."""
    schema = arrow_schema(table)
    arrays = []
    for field in schema:
        values = frame[field.name]
        if field.type == pa.date32():
            arrays.append(
                pa.array(values.dt.date.astype(object), type=pa.date32(), from_pandas=True)
            )
        else:
            objects = values.astype(object)
            arrays.append(pa.array(objects, type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def test_text_in_any_pandas_dtype_becomes_the_same_arrow_text():
    cb, _ = synthetic(7, 40)
    events = cb.events.head(12).copy()
    assert isinstance(events["kind"].dtype, pd.CategoricalDtype)  # a vocabulary
    assert isinstance(events["summary"].dtype, pd.StringDtype)  # Arrow-backed text
    events.loc[events.index[[1, 4]], "kind"] = None  # missing values in each dtype
    events.loc[events.index[[2, 4]], "summary"] = None
    events["kind"] = events["kind"].cat.add_categories(["never_used"])
    events["recorded_by"] = events["recorded_by"].astype(object)  # plain Python objects
    events.loc[events.index[3], "recorded_by"] = None
    want = through_objects(events, "events")
    got = arrow_tables(_with(cb, events), ["events"])["events"]
    assert got.equals(want)
    assert got["kind"].null_count == 2 and got["summary"].null_count == 2
    assert got["recorded_by"].null_count == 1


def test_a_vocabulary_of_numbers_in_a_text_column_is_refused_as_before():
    cb, _ = synthetic(7, 40)
    events = cb.events.head(3).copy()
    events["kind"] = pd.Series([1, 2, 1], index=events.index, dtype="category")
    with pytest.raises(pa.ArrowTypeError):
        through_objects(events, "events")
    with pytest.raises(pa.ArrowTypeError):
        arrow_tables(_with(cb, events), ["events"])


def test_only_the_tables_asked_for_each_as_in_the_full_set():
    cb, _ = synthetic(7, 40)
    full = arrow_tables(cb)
    assert set(full) == {*ANALYSED, *LINKS.values(), CONCERNS}
    for names in (["events"], ["judgement_evidence", "cases"], [CONCERNS], []):
        some = arrow_tables(cb, names)
        assert set(some) == set(names)
        for name in names:
            assert some[name].equals(full[name]), name
    for table in ANALYSED:
        assert full[table].equals(through_objects(cb.tables[table], table)), table


def _with(cb: Casebook, events: pd.DataFrame) -> Casebook:
    """Give the casebook with its events replaced."""
    return Casebook({**cb.tables, "events": events}, "changed events")

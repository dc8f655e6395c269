"""The Store's per-table methods are written out: findable, documented, and thin."""

from __future__ import annotations

import inspect
import re

import pytest
from conftest import ROOT

import casekit
from casekit.contract import TABLES
from casekit.store.db import Store

VERBS = ("add", "update", "delete")


def named_in_the_docs() -> set[str]:
    """Every ``store.NAME(`` the README, SECURITY.md, the docs pages and notebooks call."""
    files = [ROOT / "README.md", ROOT / "SECURITY.md"]
    files += sorted((ROOT / "docs").rglob("*.md")) + sorted((ROOT / "notebooks").glob("*.ipynb"))
    names: set[str] = set()
    for path in files:
        names.update(re.findall(r"\bstore\.([a-z][a-z_]*)\(", path.read_text(encoding="utf-8")))
    return names


def test_every_table_has_its_add_update_and_delete_written_out_in_the_class():
    source = inspect.getsource(Store)
    for spec in TABLES.values():
        for verb in VERBS:
            name = f"{verb}_{spec.singular}"
            method = Store.__dict__.get(name)
            assert inspect.isfunction(method), f"Store.{name} is not a plain method"
            assert f"    def {name}(" in source, f"no 'def {name}' in the Store class"
            summary = (method.__doc__ or "").strip().splitlines()
            assert summary and summary[0].endswith("."), f"Store.{name} has no summary line"


def test_per_table_methods_keep_the_generic_methods_signatures_less_the_table():
    for spec in TABLES.values():
        for verb in VERBS:
            generic = inspect.signature(getattr(Store, verb))
            params = [p for p in generic.parameters.values() if p.name != "table"]
            expected = generic.replace(parameters=params)
            actual = inspect.signature(getattr(Store, f"{verb}_{spec.singular}"))
            assert [(p.name, p.kind, p.default) for p in actual.parameters.values()] == [
                (p.name, p.kind, p.default) for p in expected.parameters.values()
            ], f"{verb}_{spec.singular}"


def test_every_public_store_method_is_defined_on_the_class_itself():
    per_table = {f"{v}_{s.singular}" for s in TABLES.values() for v in VERBS}
    public = {n for n in dir(Store) if not n.startswith("_")}
    assert per_table <= public
    assert not (public - set(Store.__dict__)), "every public Store method is defined in Store"


def test_every_store_method_the_docs_name_exists_and_has_a_docstring():
    names = named_in_the_docs()
    assert {"add_event", "update_event", "delete_event", "history"} <= names
    for name in sorted(names):
        method = getattr(Store, name, None)
        assert callable(method), f"the docs call store.{name}(), which Store lacks"
        assert (method.__doc__ or "").strip(), f"Store.{name} has no docstring"


def test_every_public_store_method_opens_with_a_one_line_summary():
    for name, member in vars(Store).items():
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        lines = (member.__doc__ or "").strip().splitlines()
        assert lines, f"Store.{name} has no docstring"
        assert len(lines) == 1 or lines[1] == "", f"Store.{name}: summary is not one line"


@pytest.mark.parametrize("by", [None, "sw-2"])
def test_the_written_out_methods_do_what_the_generic_ones_do(store_url, by):
    with casekit.open(store_url, user="sw-1") as store:
        tid = store.add_team(team_name="North", by=by)
        assert tid.startswith("T-")
        store.update_team(tid, team_name="North and West", by=by)
        assert store.get("teams", tid)["team_name"] == "North and West"
        store.delete_team(tid, reason="merged", by=by)
        with pytest.raises(casekit.errors.CasekitError, match="there is no team"):
            store.update_team(tid, team_name="again")
        history = store.history(tid)
        assert history["op"].tolist() == ["add", "update", "delete"]
        assert set(history["by"]) == {by or "sw-1"}
        assert history["reason"].tolist()[-1] == "merged"
        with pytest.raises(casekit.errors.WriteRefused, match="reason"):
            store.delete_team(store.add_team(team_name="South"), reason=" ")

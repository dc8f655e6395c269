"""The contract module: one source of truth, and the docs page generated from it."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from casekit import contract
from casekit.contract import RESPONSE_LADDER, RUNG, TABLES, normalise_header

SHARED = ROOT.parent / "shared" / "design" / "data-contract.md"


def test_docs_page_is_generated_from_the_module():
    page = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert page == contract.to_markdown(), "docs/data-contract.md is stale: run `make docs`"


def test_every_name_in_the_shared_contract_is_kept():
    """Every table, column and vocabulary value the design contract names is in the module."""
    if not SHARED.exists():
        pytest.skip("the shared/ design folder is not beside this checkout")
    text = SHARED.read_text(encoding="utf-8")
    for table in re.findall(r"^### (\w+)", text, flags=re.M):
        assert table in TABLES, table
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        name = block.split()[0]
        block = re.split(r"\n(?:The lens|Response ladder)", block)[0]
        for row in re.findall(r"^\| (\w+(?:, \w+)?) \| ([^|]*) \|", block, flags=re.M):
            columns, kind = row
            if columns in ("column", "category"):
                continue
            for col in columns.split(", "):
                spec = TABLES[name].column(col)
                values = [v for v in re.findall(r"[a-z_0-9]+", kind) if "_" in v or v.isalpha()]
                if spec.vocabulary:
                    for v in values:
                        if v not in (
                            "list",
                            "of",
                            "as",
                            "source_agency",
                            "see",
                            "the",
                            "ladder",
                            "lens",
                            "below",
                        ):
                            assert v in spec.vocabulary, (name, col, v)
    lens = text.split("The lens")[1].split("\n\n")[0]
    categories = re.findall(r"^\| (\w+) \|", lens, flags=re.M)[1:]
    vocabulary = list(TABLES["events"].column("category").vocabulary)
    assert categories == vocabulary[: len(categories)]  # kept in order; casekit may add more


def test_response_ladder_order_is_the_contract_order():
    assert RESPONSE_LADDER == (
        "no_further_action",
        "signposted",
        "early_help",
        "child_in_need",
        "section_47",
        "child_protection_plan",
        "proceedings",
    )
    assert [RUNG[r] for r in RESPONSE_LADDER] == list(range(7))
    assert "channel_support" not in RUNG  # Channel runs beside social care: not a rung
    assert TABLES["decisions"].column("response").vocabulary == (
        *RESPONSE_LADDER,
        "channel_support",
    )


def test_tables_are_well_formed():
    for table in TABLES.values():
        assert table.columns[0].kind == "id" and table.columns[0].required
        for col in table.columns:
            if col.kind in ("ref", "ids"):
                assert col.references in TABLES, (table.name, col.name)
            if col.kind in ("vocab", "vocabs"):
                assert col.vocabulary and len(set(col.vocabulary)) == len(col.vocabulary)
                assert all(v == v.lower() for v in col.vocabulary)


def test_header_normalisation():
    assert normalise_header(" Case  ID ") == normalise_header("case_id") == "caseid"
    assert normalise_header("Date_Precision") == "dateprecision"


def test_the_ranked_vocabularies_and_the_safety_scale_are_defined_here(tiny_path):
    import casekit
    from casekit.bundle import validation

    assert validation.ORDERED_VOCABULARIES is contract.ORDERED_VOCABULARIES  # read, not copied
    cb = casekit.load(tiny_path)
    assert cb.events["significance"].cat.ordered and not cb.events["kind"].cat.ordered
    ladder = cb.decisions["response"].cat
    assert ladder.ordered and list(ladder.categories) == list(contract.RESPONSES)
    scale = TABLES["judgements"].column("safety_scale")
    assert (scale.minimum, scale.maximum) == contract.SAFETY_SCALE == (0, 10)

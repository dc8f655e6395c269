"""casekit.policy is the one home of case type and the practice thresholds.

Case type is worked out by one function that research and the review both use; every
threshold is a named constant there, the flags' defaults are those constants, and the texts
that state a threshold are built from it, so that changing one is one edit.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
from conftest import ROOT

import casekit
from casekit import policy
from casekit.analysis.proportionality import THRESHOLDS, flags
from casekit.analysis.research import referral_outcomes
from casekit.review import sections

RAD, BAU = policy.GROUP_RADICALISATION, policy.GROUP_BAU


def test_case_types_say_radicalisation_when_the_concern_flags_include_it():
    cases = pd.DataFrame(
        {
            "case_id": ["C1", "C2", "C3"],
            "concern_flags": [["neglect", "radicalisation"], ["neglect"], []],
        },
        index=[5, 6, 7],
    )
    assert policy.case_types(cases).to_dict() == {5: RAD, 6: BAU, 7: BAU}
    assert policy.case_types(cases, "case_id").to_dict() == {"C1": RAD, "C2": BAU, "C3": BAU}


def test_research_and_the_review_read_case_type_from_the_one_function(tiny_path):
    cb = casekit.load(tiny_path)
    expected = {"007": RAD, "008": BAU}  # 007's flags: radicalisation;mental_health
    assert policy.case_types(cb.cases, "case_id").to_dict() == expected
    outcomes = referral_outcomes(cb, as_of="2025-03-31")
    assert dict(zip(outcomes["case_id"], outcomes["group"], strict=True)) == expected
    scope = sections.scope_for(cb, "T1", "2024-01-01", "2024-12-31", "2024-12-31")
    for table in (sections.re_referrals(cb, scope), sections.assessments_completed(cb, scope)):
        assert dict(zip(table["case_id"], table["case_type"], strict=True)) == expected
    assert sections.CASE_TYPES == policy.GROUPS
    source = (ROOT / "casekit" / "analysis" / "research.py").read_text(encoding="utf-8")
    source += (ROOT / "casekit" / "review" / "sections.py").read_text(encoding="utf-8")
    assert "in flags" not in source  # no second copy of the rule


def test_the_flags_defaults_are_the_policy_thresholds():
    defaults = {
        name: p.default
        for name, p in inspect.signature(flags).parameters.items()
        if name in THRESHOLDS
    }
    assert (
        defaults
        == THRESHOLDS
        == {
            "escalation_rung": policy.ESCALATION_RUNG,
            "statutory_rung": policy.STATUTORY_RUNG,
            "step_down_days": policy.STEP_DOWN_DAYS,
            "step_down_min_scale": policy.STEP_DOWN_MIN_SCALE,
            "assessment_working_days": policy.ASSESSMENT_WORKING_DAYS,
            "concern_window_days": policy.CONCERN_WINDOW_DAYS,
            "low_scale": policy.LOW_SCALE,
            "closed_recently_days": policy.CLOSED_RECENTLY_DAYS,
        }
    )
    # the practice principles' numbers (practice.md, the flags table and process context)
    assert (policy.STEP_DOWN_DAYS, policy.STEP_DOWN_MIN_SCALE) == (90, 7)
    assert (policy.CONCERN_WINDOW_DAYS, policy.LOW_SCALE) == (30, 4)
    assert policy.CLOSED_RECENTLY_DAYS == 28
    assert (policy.ASSESSMENT_WORKING_DAYS, policy.ASSESSMENT_COMPLETION_WORKING_DAYS) == (10, 45)


_THRESHOLD_WORDS = re.compile(
    r"\b(\d+)(?:th)? (?:working )?days?\b|\b(\d+) or (?:above|lower)\b|\b(?:within|over) (\d+)\b"
)


def _string_literals(tree: ast.AST) -> list[ast.Constant]:
    """Every string constant of a module but its docstrings (they may describe a default)."""
    docs = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def test_no_module_but_policy_writes_a_threshold_out():
    numbers = {
        value
        for name, value in vars(policy).items()
        if name.isupper() and isinstance(value, int) and value > 1
    }
    found = []
    for path in sorted((ROOT / "casekit").rglob("*.py")):
        if path.name == "policy.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _string_literals(tree):
            for m in _THRESHOLD_WORDS.finditer(node.value):
                if int(next(g for g in m.groups() if g)) in numbers:
                    found.append(f"{path.name}:{node.lineno}: {m.group(0)!r}")
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            a = node.args
            positional = a.posonlyargs + a.args
            with_default = positional[len(positional) - len(a.defaults) :]
            pairs = list(zip(with_default, a.defaults, strict=True))
            pairs += [
                (k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is not None
            ]
            for arg, default in pairs:
                threshold = re.search(r"days|scale|threshold|judgements", arg.arg)
                literal = isinstance(default, ast.Constant) and type(default.value) in (int, float)
                if threshold and literal and arg.arg != "window_days":  # merge's duplicate window
                    found.append(f"{path.name}:{node.lineno}: {node.name}({arg.arg}=...)")
    assert not found, "thresholds written out of casekit/policy.py:\n" + "\n".join(found)


def test_changing_a_threshold_in_policy_changes_the_flags_and_every_text_that_states_it():
    code = """
import json
import casekit.policy as p
p.STEP_DOWN_DAYS, p.ASSESSMENT_WORKING_DAYS, p.ASSESSMENT_COMPLETION_WORKING_DAYS = 120, 15, 60
p.SUPERVISED_WITHIN_DAYS, p.TREND_DAYS = 60, 30
import inspect
from casekit.analysis import flag_guide, proportionality, trends
from casekit.privacy import margins
from casekit.review import sections
guide = {g.flag: g for g in flag_guide.GUIDE}
print(json.dumps({
    "default": inspect.signature(proportionality.flags).parameters["step_down_days"].default,
    "due": guide["step_down_due"].summary,
    "late": guide["late_assessment"].meaning,
    "within": margins.WITHIN_LIMIT,
    "completed": margins.COMPLETED_WITHIN,
    "bands": [label for *_, label in margins.WAIT_BANDS],
    "measures": margins.OPEN_CASE_MEASURES,
    "headline": sections.ASSESSED_WITHIN_LIMIT,
    "trend": trends.CHANGE_COLUMN,
}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    said = json.loads(done.stdout)
    assert said["default"] == 120
    assert "for over 120 days" in said["due"]
    assert "more than 15 working days after the referral" in said["late"]
    assert said["within"] == "within 15 working days"
    assert said["completed"] == "completed within 60 working days"
    assert said["bands"] == ["0-5", "6-15", "16-20", "21-60"]
    assert "open cases discussed in supervision in the last 60 days" in said["measures"]
    assert said["headline"] == "assessed within 15 working days %"
    assert said["trend"] == "change_per_30_days"


def test_working_days_leave_out_weekends_and_bank_holidays():
    start = pd.Series(pd.to_datetime(["2024-12-20", "2024-03-28"]))
    end = pd.Series(pd.to_datetime(["2025-01-03", "2024-04-02"]))
    # 23-24, 27, 30-31 Dec and 2-3 Jan; 28 Mar to 2 Apr 2024 crosses Good Friday and Easter Monday
    assert policy.working_days_after(start, end).tolist() == [7, 1]
    tenth = policy.nth_working_day_after(start.iloc[:1], policy.ASSESSMENT_WORKING_DAYS)
    assert str(tenth.iloc[0].date()) == "2025-01-08"
    assert Path(inspect.getsourcefile(policy.bank_holidays) or "").name == "policy.py"

"""The team caseload review: sections, notebook helpers, kernels and the batch runner.

``casekit.review`` was one module in casekit 0.1; its names are re-exported here so that a
copy of ``caseload_review.ipynb`` made then still runs. New code imports from
:mod:`casekit.review.sections`.
"""

from __future__ import annotations

from casekit.review.sections import (
    Review,
    Scope,
    Section,
    Table,
    arising,
    build,
    caseload,
    dynamics,
    flags_in,
    flow,
    governance,
    headline,
    open_now,
    practice,
    proportionality,
    publication,
    scope_for,
    team_casebook,
    timeliness,
)

__all__ = [
    "Scope",
    "Table",
    "Section",
    "Review",
    "scope_for",
    "team_casebook",
    "caseload",
    "flow",
    "timeliness",
    "proportionality",
    "practice",
    "governance",
    "dynamics",
    "flags_in",
    "arising",
    "open_now",
    "headline",
    "publication",
    "build",
]

"""Practice policy: how casekit groups cases and evidence, and the thresholds it works to.

This is the one place for these rules: the flags, the review, research and the timeline read
them from here, and changing one is one edit.

>>> GROUPS
('radicalisation', 'other safeguarding')
>>> STRATA[0], STRATA[-1]
('harm', 'none')
"""

from __future__ import annotations

__all__ = [
    "GROUP_RADICALISATION",
    "GROUP_BAU",
    "GROUPS",
    "STRONG",
    "WEAK",
    "EVIDENCE_STRATA",
    "STRATA",
]

GROUP_RADICALISATION = "radicalisation"
GROUP_BAU = "other safeguarding"
GROUPS = (GROUP_RADICALISATION, GROUP_BAU)
STRONG = "behaviour or harm"
WEAK = "belief, views or context only"

EVIDENCE_STRATA: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("harm", ("harm",)),
    ("extremist behaviour", ("extremist_behaviour",)),
    ("influence or grooming", ("influence_grooming",)),
    (
        "vulnerability or context",
        ("vulnerability", "family_context", "community_context", "engagement"),
    ),
    ("belief or views only", ("belief_practice", "views_expressed")),
    ("none", ()),
)
"""The evidence profiles, strongest first, with the event categories that make each.

A referral's profile is the first one any of its events falls in; ``none`` means nothing was
recorded, or only strengths and agency actions (``protective``, ``aspiration``,
``agency_action``)."""

STRATA: tuple[str, ...] = tuple(name for name, _ in EVIDENCE_STRATA)

"""Synthetic casebooks: the generator, its narratives, Annex A and agency samples.

``casekit.synth`` was one module in casekit 0.1; its names are re-exported from
:mod:`casekit.synth.generator`.
"""

from __future__ import annotations

from casekit.synth.generator import (
    CALIBRATION,
    DEFAULT_END,
    DEFAULT_RADICALISATION_SHARE,
    DEFAULT_START,
    generate,
)

__all__ = [
    "generate",
    "DEFAULT_START",
    "DEFAULT_END",
    "DEFAULT_RADICALISATION_SHARE",
    "CALIBRATION",
]

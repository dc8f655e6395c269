"""Synthetic casebooks: the generator, its narratives, Annex A and agency samples.

``casekit.synth`` was one module in casekit 0.1; its names are re-exported from
:mod:`casekit.synth.generator`.
"""

from __future__ import annotations

from casekit.synth import generator as _generator
from casekit.synth.generator import *  # noqa: F403 - the old module's names, as listed in its __all__

__all__ = list(_generator.__all__)

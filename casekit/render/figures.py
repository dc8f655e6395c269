"""Figures as HTML: a matplotlib figure as an image that carries real alternative text.

A figure shown in a notebook the usual way becomes an ``<img>`` with no ``alt``, which a screen
reader announces as "image" and nothing more (WCAG 1.1.1). :func:`figure_img` makes the image
tag with an alt text; :class:`DescribedFigure` shows a figure that way in a notebook or in
``casekit app``.
"""

from __future__ import annotations

import base64
import html
from io import BytesIO

from matplotlib.figure import Figure

from casekit.errors import CasekitError

__all__ = ["DescribedFigure", "figure_img"]


def figure_img(fig: Figure, alt: str, css_class: str = "figure", dpi: int = 96) -> str:
    """Return ``fig`` as a self-contained ``<img>`` (a PNG data URL) with ``alt`` escaped.

    >>> img = figure_img(Figure(figsize=(1, 1)), 'Rates "by group" <all>')
    >>> img.startswith('<img class="figure" alt="Rates &quot;by group&quot; &lt;all&gt;" src=')
    True
    """
    if not str(alt).strip():
        raise CasekitError("a figure needs alt text: say in words what it shows.")
    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<img class="{html.escape(css_class)}" alt="{html.escape(str(alt).strip())}" '
        f'src="data:image/png;base64,{data}">'
    )


class DescribedFigure:
    """A figure with its alt text, shown in a notebook as an image a screen reader can name."""

    def __init__(self, fig: Figure, alt: str):
        """Keep the figure and its alt text (which may not be empty)."""
        if not str(alt).strip():
            raise CasekitError("a figure needs alt text: say in words what it shows.")
        self.fig, self.alt = fig, alt

    def _repr_html_(self) -> str:
        """Return the figure as an ``<img>`` with its alt text, for notebooks and Voila."""
        return figure_img(self.fig, self.alt)

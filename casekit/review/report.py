"""Show a team review in a notebook: checked parameters in, escaped HTML and figures out.

The review notebook is a few calls to this module, so that its exported HTML holds only
headings, prose, tables and embedded PNG figures: no code, no scripts, nothing fetched from
the network. All text from the data is escaped.
"""

from __future__ import annotations

import html
from io import BytesIO
from pathlib import Path

from matplotlib.figure import Figure

from casekit.bundle.casebook import Casebook
from casekit.errors import CasekitError
from casekit.privacy.margins import HEADLINE
from casekit.render.figures import figure_img
from casekit.review.figures import count_alt, count_bars, rate_alt, rate_bars, worth_drawing
from casekit.review.sections import (
    CASE_TYPES,
    MIN_JUDGEMENTS,
    SEEN_ALONE_DAYS,
    Review,
    Section,
    Table,
    build,
    scope_for,
)
from casekit.store.load import is_store, load, source

__all__ = ["open_review", "preload", "figures", "header_html", "section_html", "show", "save"]

_LOADED: dict[tuple[object, ...], Casebook] = {}


def _signature(path: Path) -> tuple[object, ...]:
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.is_file())


def _last_change(url: str | Path) -> tuple[object, ...]:
    from casekit.store.db import open_store

    with open_store(url, create=False, readonly=True) as store:
        return (store.last_change(),)


def _load(data: str) -> Casebook:
    """Load a bundle, reusing the one loaded before while none of its files has changed.

    A store (a SQLite file, whose writes may sit in its ``-wal`` file, or a server) is read
    again once its history has a later change.
    """
    return _read(source(data, "data"))


def _read(where: str | Path) -> Casebook:
    """Load the checked source ``where`` (see :func:`_load`), reusing what it loaded before."""
    key = (where, _last_change(where) if is_store(where) else _signature(Path(where)))
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load(where)
    return _LOADED[key]


def preload(data: str) -> None:
    """Do a review's slow first steps ahead of time: load the bundle, compile the flags' SQL, draw.

    A kernel that reviews several teams runs this while the parameters are being checked.
    """
    from casekit.analysis.relational.shared import warm
    from casekit.policy import bank_holidays

    cb = _load(data)
    years = cb.cases["opened"].dropna().dt.year
    if len(years):
        bank_holidays(int(years.min()) - 1, int(years.max()) + 1)
    warm()  # the flags' SQL compiled on the process's DuckDB, for the policy's thresholds
    Figure().savefig(BytesIO(), format="png")


def open_review(
    data: str,
    team: str,
    start: str = "",
    end: str = "",
    as_of: str = "",
    suppress: bool = False,
    seen_alone_days: int = SEEN_ALONE_DAYS,
    min_judgements: int = MIN_JUDGEMENTS,
) -> Review:
    """Check a review's parameters, load the bundle and build the team's review.

    Raises :class:`CasekitError` naming the parameter and how to fix it.
    """
    where = source(data, "data")  # a clear message for a bad source, before anything else
    if not str(team).strip():
        raise CasekitError("team: give a team_id from the bundle's teams table.")
    cb = _read(where)
    scope = scope_for(
        cb, str(team), start, end, as_of, bool(suppress), seen_alone_days, min_judgements
    )
    return build(cb, scope)


def _figure_html(fig: Figure, alt: str, caption: str) -> str:
    """Embed a figure as a PNG with its alt text (its numbers in words) and a caption."""
    return f"<figure>{figure_img(fig, alt)}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _table_html(table: Table) -> str:
    parts = [f"<h3>{html.escape(table.title)}</h3>"]
    if table.note:
        parts.append(f'<p class="note">{html.escape(table.note)}</p>')
    if len(table.frame):
        frame_html = table.frame.to_html(
            index=False, escape=True, na_rep="", border=0, table_id=table.key
        )  # the id names the table for casekit disclosure-check (a key, never data)
        parts.append(frame_html)
    elif not table.note.startswith("Withheld"):
        parts.append('<p class="note">None.</p>')
    return "\n".join(parts)


COUNT_FIGURES = {
    "caseload": ("caseload_by_worker", "open cases"),
    "timeliness": ("first_assessment_wait", "referrals"),
}
"""Each section's count table drawn as bars (when big enough), and what its bars count."""
_ESCALATION = ["case type", "evidence it rests on"]


def figures(section: Section) -> list[tuple[Figure, str, str]]:
    """Draw a section's figures: each with its alt text (numbers in words) and caption.

    A table too small to be worth a chart (see :func:`casekit.review.figures.worth_drawing`)
    is left as a table.
    """
    tables = {t.key: t for t in section.tables}
    if any(t.frame.empty for t in tables.values() if not t.case_level):
        return []  # nothing to draw (an empty period or team): the tables say so
    out = []
    if section.key in COUNT_FIGURES:
        key, unit = COUNT_FIGURES[section.key]
        table = tables[key]
        if worth_drawing(table, list(CASE_TYPES)):
            caption = f"Figure: {table.title}, by case type (the Total row is not drawn)."
            out.append((count_bars(table, unit), count_alt(table, unit), caption))
    if section.key == "proportionality":
        table = tables["escalation_by_evidence"]
        if worth_drawing(table, ["decisions"]):
            caption = (
                f"Figure: {table.title}, with 95% intervals. Bars are coloured by case type and "
                "named in full on the axis; a hidden rate is marked c."
            )
            fig = rate_bars(
                table,
                "decisions that escalated to child in need or above (%)",
                _ESCALATION,
                "escalated %",
            )
            out.append((fig, rate_alt(table, _ESCALATION, "escalated %"), caption))
    return out


def header_html(review: Review) -> str:
    """Render the review's title block and headline numbers."""
    s = review.scope
    suppressed = (
        "Counts from 1 to 5 are shown as c, and so is any other count or share from which "
        "one of them could be worked out, across all the tables; lists of cases are "
        "withheld, so this review can leave the team."
        if s.suppress
        else "Not suppressed: for use inside the team only."
    )
    cells = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in review.headline.items()
    )
    return (
        f"<h1>Caseload review: {html.escape(s.team_name)} ({html.escape(s.team_id)})</h1>\n"
        f'<p class="meta">Period {html.escape(s.period)}, as known on '
        f"{s.as_of.date().isoformat()}. {html.escape(suppressed)}</p>\n"
        f'<table class="headline" id="{HEADLINE}">{cells}</table>'
    )


def section_html(section: Section) -> str:
    """Render one section: heading, why it matters, tables, and its figure."""
    parts = [
        f"<h2>{html.escape(section.title)}</h2>",
        f'<p class="why">{html.escape(section.why)}</p>',
    ]
    parts += [_table_html(t) for t in section.tables]
    for fig, alt, caption in figures(section):
        parts.append(_figure_html(fig, alt, caption))
    return "\n".join(parts)


def show(review: Review, key: str | None = None) -> None:
    """Display the header (no ``key``) or one section of the review in the notebook."""
    from IPython.display import HTML, display

    display(HTML(header_html(review) if key is None else section_html(review.section(key))))


def save(review: Review, folder: str) -> None:
    """Write the review's tables (CSV, one workbook, headline.json) to ``folder``; "" skips."""
    if not folder:
        return
    review.save_tables(folder)

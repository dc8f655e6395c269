"""Run team reviews in batches: papermill per team, HTML without code, and an index page.

Each team's review runs ``notebooks/caseload_review.ipynb`` with papermill in its own working
directory, on one of ``jobs`` warm kernels (:mod:`casekit.review.kernel`) that each load the
bundle once and then review team after team; then it is exported with nbconvert's ``basic``
template and no input cells into a page of our own: inline styles, figures as embedded PNG,
no scripts, nothing loaded from the network. Everything a user gets wrong (a bad date, an
unknown team, a missing bundle) is reported before any kernel starts. A team that fails is
named with its cause; the other teams are still produced.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from casekit.errors import CasekitError
from casekit.outputs import (
    NOFOLLOW,
    PRIVATE_FILE,
    OutputFolder,
    check_names,
    claim_folder,
    make_private,
    make_tree_private,
    private_folder,
    safe_name,
    write_private,
)
from casekit.render.page import environment, page
from casekit.review.kernel import WarmKernel
from casekit.review.sections import (
    CHANGE,
    HEADLINE_FILE,
    MIN_JUDGEMENTS,
    PREVIOUS,
    SEEN_ALONE_DAYS,
    Scope,
    scope_for,
)
from casekit.shipped import notebooks
from casekit.store.load import is_store, load, source

__all__ = [
    "NOTEBOOK",
    "TeamResult",
    "plan",
    "log_reviews",
    "run_team",
    "run_reviews",
    "write_index",
    "to_html",
]

NOTEBOOK = notebooks() / "caseload_review.ipynb"
"""The review notebook: package data when installed, ``notebooks/`` in a checkout."""

TEMPLATES = Path(__file__).resolve().parent / "templates"
"""The folder holding ``index.html``, the index page's template."""


def page_href(team_id: str) -> str:
    """Return the index's link to a team's page: its checked file name, URL-quoted."""
    return urllib.parse.quote(safe_name(team_id, "team ID"), safe="") + ".html"


@dataclass
class TeamResult:
    """How one team's review went: its page, or the reason it failed."""

    team_id: str
    team_name: str
    ok: bool
    error: str = ""
    seconds: float = 0.0
    headline: dict | None = None


def plan(
    data: str | Path,
    teams: Sequence[str] | str,
    start: object = None,
    end: object = None,
    as_of: object = None,
    suppress: bool = False,
    seen_alone_days: object = SEEN_ALONE_DAYS,
    min_judgements: object = MIN_JUDGEMENTS,
    user: str | None = None,
) -> list[Scope]:
    """Check every parameter against the bundle and return one scope per team.

    ``teams`` is a list of team ids or ``"all"``; in a store with users, ``user`` (else who is
    acting) reviews only their own teams, and ``"all"`` means all of them. Raises
    :class:`CasekitError` (or :class:`casekit.errors.BundleInvalid`) before anything is run.
    """
    every = teams == "all" or list(teams) == ["all"]
    cb, access = _read_as(source(data), user, None if every else list(teams))
    if every:
        ids = list(cb.teams["team_id"]) or sorted(cb.cases["team_id"].dropna().unique())
        ids = ids if access is None else [t for t in ids if access.sees_team(t)]
    else:
        ids = list(teams)
    if not ids:
        raise CasekitError(f"--data {data}: the bundle has no teams to review.")
    check_names(ids, "team ID", f"--data {data}, column 'team_id'")  # names a page, a folder
    return [
        scope_for(cb, team, start, end, as_of, suppress, seen_alone_days, min_judgements)
        for team in ids
    ]


def _read_as(path: str | Path, user: str | None, teams: list[str] | None) -> tuple[Any, Any]:
    """Read the bundle, or a store as ``user``; return its Casebook and the person's access.

    In a store, ``teams`` the person is not in are refused before any record is read.
    """
    if not is_store(path):
        return load(path), None
    from casekit.store.db import open_store

    with open_store(path, user=user, create=False, readonly=True) as store:
        if teams is not None:
            store.access.check_review(teams)
        return store.casebook(), store.access


def log_reviews(
    data: str | Path,
    scopes: list[Scope],
    out: str | Path,
    reason: str | None = None,
    user: str | None = None,
) -> int:
    """Write one ``review`` entry per team to the store's access log; return how many.

    A bundle (CSV, .xlsx, Parquet) has no access log, so nothing is written and 0 returned.
    Called before any kernel starts: a store whose log cannot be written (read-only) refuses
    the review, with nothing run.
    """
    if not is_store(data):
        return 0
    from casekit.store.db import open_store

    with open_store(data, user=user, create=False) as store:
        for scope in scopes:
            suppressed = "suppressed" if scope.suppress else "not suppressed"
            store.log_access(
                "review",
                None,
                detail=f"team {scope.team_id} ({scope.team_name}), {scope.period}, as known on "
                f"{scope.as_of.date()}, {suppressed}, into {Path(out).resolve()}",
                reason=reason,
            )
    return len(scopes)


def _parameters(data: str | Path, scope: Scope) -> dict[str, object]:
    return {
        "data": str(data),
        "team": scope.team_id,
        "start": scope.start.date().isoformat(),
        "end": scope.end.date().isoformat(),
        "as_of": scope.as_of.date().isoformat(),
        "suppress": scope.suppress,
        "seen_alone_days": scope.seen_alone_days,
        "min_judgements": scope.min_judgements,
        "tables_dir": "tables",
    }


_EXPORT_LOCK = threading.Lock()


@cache
def _exporter() -> Any:
    """Build the one HTML exporter (compiling its templates takes longer than a page)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,  # an empty heading link has no name (WCAG 2.4.4, 4.1.2)
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"remove_cell"}, enabled=True), enabled=True
    )
    return exporter


def prepare_export() -> None:
    """Import papermill and nbconvert and compile the export's templates ahead of the first page.

    A batch runs this in the background while the first kernel reviews its first team.
    """
    import papermill  # noqa: F401

    with _EXPORT_LOCK:
        _exporter()


def to_html(notebook: Path, title: str) -> str:
    """Export an executed review notebook as one self-contained HTML page without code."""
    import nbformat

    book = nbformat.read(notebook, as_version=4)
    with _EXPORT_LOCK:
        body, _ = _exporter().from_notebook_node(book)
    return _page(title, body)


def _page(title: str, body: str) -> str:
    """Put a review's HTML in casekit's page shell, with the line saying who produced it."""
    return page(title, body, kind="review", footer=_produced())


def _produced() -> str:
    """Say which casekit made a review page, and when (an old review is known by this line)."""
    from casekit import __version__

    return (
        f"Produced by casekit {__version__} on {dt.date.today().isoformat()}. "
        "Synthetic or pseudonymised data only."
    )


def run_team(
    data: str | Path,
    out: Path,
    scope: Scope,
    notebook: Path,
    kernel: WarmKernel,
    release: Callable[[], None] = lambda: None,
) -> TeamResult:
    """Run one team's review on ``kernel`` into ``out/<team>/`` and write ``out/<team>.html``.

    ``release`` is called as soon as the kernel is no longer needed (before the export), so
    that the next team can start on it.
    """
    from papermill.exceptions import PapermillExecutionError

    began = time.perf_counter()
    work = out / scope.team_id
    result = TeamResult(scope.team_id, scope.team_name, ok=False)
    page = out / f"{scope.team_id}.html"
    executed = work / "review.ipynb"
    held = [kernel]

    def give_back() -> None:  # once, whatever happens: other teams wait for this kernel
        if held:
            held.clear()
            release()

    try:
        page.unlink(missing_ok=True)  # a page from an earlier run must not pass for this one
        private_folder(work, own_symlink_ok=False)
        _private_placeholder(executed)
        try:
            kernel.run(notebook, executed, _parameters(data, scope), cwd=work)
        finally:
            give_back()
            make_tree_private(work)  # what papermill and the kernel wrote there
        html = to_html(executed, f"Caseload review: {scope.team_name}")
        write_private(page, html.encode("utf-8"))
        headline = work / "tables" / HEADLINE_FILE
        result.headline = json.loads(headline.read_text()) if headline.exists() else {}
        result.ok = True
    except PapermillExecutionError as exc:
        result.error = (
            f"the review stopped in cell {exc.cell_index + 1} of "
            f"{executed.relative_to(out)}: {exc.ename}: {exc.evalue}"
        )
    except Exception as exc:  # a kernel that would not start, a disk that is full, ...
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        give_back()
    result.seconds = time.perf_counter() - began
    return result


def _private_placeholder(path: Path) -> None:
    """Replace ``path`` with a new empty file, 0600, that papermill then writes into.

    Papermill opens the executed notebook by name; made first, the file keeps its private mode
    and a symlink planted at that name is removed, never written through.
    """
    if path.is_symlink() or path.exists():
        path.unlink()
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, PRIVATE_FILE))
    make_private(path)


def write_index(out: Path, scopes: list[Scope], results: list[TeamResult]) -> Path:
    """Write ``out/index.html``: every team with its headline numbers and a link."""
    keys: list[str] = []
    changes: list[str] = []
    for r in results:
        for k in r.headline or {}:
            if k.endswith(PREVIOUS):
                k = k[: -len(PREVIOUS)]
                if k not in changes:
                    changes.append(k)
            elif k not in keys and not k.endswith(CHANGE):
                keys.append(k)
    first = scopes[0]
    html = (
        environment(TEMPLATES)
        .get_template("index.html")
        .render(
            teams=results,
            links={r.team_id: page_href(r.team_id) for r in results if r.ok},
            keys=keys,
            changes=changes,
            previous_suffix=PREVIOUS,
            change_suffix=CHANGE,
            period=first.period,
            previous=first.previous().period,
            as_of=first.as_of.date().isoformat(),
            suppress=first.suppress,
            footer=_produced(),
        )
    )
    path = out / "index.html"
    write_private(path, html.encode("utf-8"))
    return path


def claim_reviews_folder(out: str | Path, data: str | Path | None = None) -> OutputFolder:
    """Check ``--out`` for reviews: new, empty, or written by an earlier review (its manifest).

    A folder holding anything else (your own ``index.html``, notes, another program's files),
    an existing file, the current folder or one above it, and the home folder are refused
    before anything is written; see :func:`casekit.outputs.claim_folder`.
    """
    if "{" in str(out) or "}" in str(out):  # papermill would read them as a template
        raise CasekitError(
            f"--out {out}: a reviews folder's path may not contain '{{' or '}}'. Choose another."
        )
    return claim_folder(
        out, label="--out", kind="reviews", legacy=_legacy_review, protected={"--data": data}
    )


def _legacy_review(path: Path) -> bool:
    """Say whether an entry of a folder without a manifest was written by an older review.

    A team folder holds ``review.ipynb``; a page says it was produced by casekit. Your own
    ``index.html`` (or anything else) is not taken for one.
    """
    if path.is_symlink():
        return False
    if path.is_dir():
        return (path / "review.ipynb").is_file()
    if path.suffix != ".html" or not path.is_file():
        return False
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 4096))
        tail = fh.read()
    return b'<p class="note">Produced by casekit' in tail


def run_reviews(
    data: str | Path,
    out: str | Path,
    scopes: list[Scope],
    jobs: int = 1,
    notebook: str | Path | None = None,
    progress: Callable[[TeamResult], None] | None = None,
) -> list[TeamResult]:
    """Run every scope's review (``jobs`` at a time) and write the index; return the results.

    Results come back in the order of ``scopes``. ``progress`` is called as each team ends.
    ``jobs`` kernels (at most one per team and core) each warm up once, then take the next
    team until none is left; they are shut down at the end, whatever happens.
    """
    data, out = source(data), Path(out).resolve()
    book = Path(notebook).resolve() if notebook else NOTEBOOK
    if not book.exists():
        raise CasekitError(f"--notebook {book}: no such notebook.")
    folder = claim_reviews_folder(out, data if isinstance(data, Path) else None)
    folder.record(["index.html"] + [n for s in scopes for n in (s.team_id, f"{s.team_id}.html")])
    kernels: list[WarmKernel] = []
    try:
        for _ in range(max(1, min(jobs, len(scopes), os.cpu_count() or 1))):
            kernels.append(WarmKernel(data))
        idle: queue.SimpleQueue[WarmKernel] = queue.SimpleQueue()
        for kernel in kernels:
            idle.put(kernel)

        def review(scope: Scope) -> TeamResult:
            kernel = idle.get()
            return run_team(data, out, scope, book, kernel, release=lambda: idle.put(kernel))

        results: dict[str, TeamResult] = {}
        # twice as many threads as kernels: one team is exported while the next one runs
        with ThreadPoolExecutor(max_workers=2 * len(kernels) + 1) as pool:
            pool.submit(prepare_export)  # while the kernels finish warming up
            for future in as_completed([pool.submit(review, scope) for scope in scopes]):
                result = future.result()
                results[result.team_id] = result
                if progress:
                    progress(result)
    finally:
        for kernel in kernels:
            kernel.shutdown()
    ordered = [results[s.team_id] for s in scopes]
    write_index(out, scopes, ordered)
    return ordered

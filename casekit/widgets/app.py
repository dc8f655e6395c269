"""Opening a store for the notebooks and the Voila app, and choosing a case.

The notebooks take a store path as a parameter; left empty, they use ``$CASEKIT_STORE`` (set by
``casekit app``) or a demo store made once from the synthetic bundle, so that a new user can try
everything without real data.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import ipywidgets as w

from casekit.errors import CasekitError
from casekit.store.db import Store, open_store
from casekit.widgets.common import in_app

__all__ = ["demo_store", "store_from_settings", "case_from_settings", "CasePicker"]


def _demo_path() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("CASEKIT_DEMO_STORE") or cache / "casekit" / "demo.sqlite")


def demo_store(path: Path | None = None, user: str | None = None) -> Store:
    """Open the demo store, made from the synthetic example bundle the first time (atomically)."""
    path = Path(path or _demo_path())
    if not path.exists():
        from casekit.outputs import private_folder
        from casekit.store.load import load
        from casekit.synth.example import example_bundle

        private_folder(path.parent)
        with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
            # the checkout's data/synthetic; installed, the one bundle made once per user,
            # which the notebooks that read a bundle use too
            casebook = load(example_bundle())
            partial = Path(tmp) / "demo.sqlite"
            store = open_store(partial, user="demo")
            store.import_casebook(casebook)
            store.close()
            os.replace(partial, path)
    return open_store(path, user=user)


def store_from_settings(store: str = "", user: str | None = None) -> Store:
    """Open the store a notebook parameter names, else ``$CASEKIT_STORE``, else the demo.

    In ``casekit app`` with named logins, the store records the name logged in with.
    """
    if not user and in_app():
        user = os.environ.get("HTTP_X_CASEKIT_USER") or None
    chosen = store or os.environ.get("CASEKIT_STORE", "")
    if chosen:
        return open_store(chosen, user=user, create=False)
    return demo_store(user=user)


def case_from_settings(case_id: str = "") -> str:
    """Return the case a notebook opens: its parameter, else ``$CASEKIT_CASE``, else the page's.

    The page's is the ``case`` of the address Voila was asked for (``...ipynb?case=C00149``),
    which Voila gives the kernel as ``$QUERY_STRING``: a case typed into the address is opened
    only if the store shows it to whoever is logged in (:class:`CasePicker` says otherwise).

    >>> case_from_settings("C1")
    'C1'
    """
    if case_id:
        return case_id
    if os.environ.get("CASEKIT_CASE"):
        return os.environ["CASEKIT_CASE"]
    asked = parse_qs(os.environ.get("QUERY_STRING", "")).get("case", [""])
    return asked[0].strip()


class CasePicker(w.VBox):
    """Choose a case from the store, then show the widget ``make(store, case_id)`` builds."""

    def __init__(
        self,
        store: Store,
        make: Callable[[Store, str], w.Widget],
        case_id: str = "",
        prepare: Callable[[], object] | None = None,
    ):
        """List the store's cases (open ones first) and open ``case_id`` if given.

        ``prepare`` starts what the first case's widget needs (such as
        :meth:`~casekit.widgets.supervision.SupervisionSession.prepare`) once the cases are
        listed (work in the background still takes the interpreter's time, which would hold
        up the list), before any case opens.
        """
        self.store, self.make = store, make
        cases = store.casebook().cases.sort_values(["closed", "opened"], na_position="first")
        options = [
            (
                f"{c.case_id} · opened {c.opened:%Y-%m-%d}"
                + (" · open" if c.closed is None or str(c.closed) == "NaT" else ""),
                c.case_id,
            )
            for c in cases.itertuples()
        ]
        known = case_id in {value for _, value in options}
        self.choice = w.Dropdown(
            options=options,
            description="Case",
            value=case_id if known else (options[0][1] if options else None),
        )
        self.choice.add_class("ck-case-choice")
        self.open_button = w.Button(description="Open", button_style="primary")
        self.open_button.add_class("ck-open-case")
        self.open_button.on_click(lambda _: self.show_case(self.choice.value))
        self.body = w.VBox()
        self.message = w.HTML()
        self.recorded_as = w.HTML(f"Entries are recorded as <b>{html.escape(str(store.user))}</b>.")
        self.recorded_as.add_class("ck-recorded-as")
        super().__init__(
            [w.HBox([self.choice, self.open_button, self.recorded_as]), self.message, self.body]
        )
        if prepare is not None:
            prepare()
        if case_id and known:
            self.show_case(case_id)
        elif case_id:
            self.message.value = (
                f"<span style='color:#b2182b'>There is no case {html.escape(case_id)} in this "
                "store: choose one from the list.</span>"
            )

    def show_case(self, case_id: str | None) -> None:
        """Show the chosen case's widget."""
        if not case_id:
            self.message.value = "Choose a case."
            return
        try:
            self.body.children = [self.make(self.store, case_id)]
            self.message.value = ""
        except CasekitError as exc:
            self.message.value = f"<span style='color:#b2182b'>{html.escape(str(exc))}</span>"

"""The work on each open case: overdue plan actions, and when the child was last seen alone.

Pure functions over a :class:`~casekit.bundle.casebook.Casebook`, used by the team caseload review
and by reflective supervision. Both read the record "as known at" the as-of date: a plan action
created after it, a completion dated after it, or a visit recorded after it, is not counted.

>>> import casekit
>>> cb = casekit.load("data/synthetic")
>>> list(overdue_actions(cb, "2025-03-31").columns)[:4]
['case_id', 'action_id', 'description', 'owner_agency']
>>> list(last_seen_alone(cb, "2025-03-31").columns)[4:7]
['last_seen_alone', 'since', 'working_days_since']
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from casekit.analysis.chronology import as_known_at
from casekit.bundle.casebook import Casebook
from casekit.errors import CasekitError
from casekit.policy import check_day, working_days_after

__all__ = [
    "OVERDUE_COLUMNS",
    "SEEN_ALONE_COLUMNS",
    "SINCE_SEEN_ALONE",
    "SINCE_OPENED",
    "read_date",
    "open_at",
    "overdue_actions",
    "last_seen_alone",
]

OVERDUE_COLUMNS = [
    "case_id",
    "action_id",
    "description",
    "owner_agency",
    "created",
    "due",
    "days_overdue",
    "worker_id",
    "team_id",
]
"""The columns of :func:`overdue_actions`, in order."""
SEEN_ALONE_COLUMNS = [
    "case_id",
    "worker_id",
    "team_id",
    "opened",
    "last_seen_alone",
    "since",
    "working_days_since",
    "seen_alone_recorded",
]
"""The columns of :func:`last_seen_alone`, in order."""
SINCE_SEEN_ALONE = "seen alone"
"""``since`` when the count runs from the last visit at which the child was seen alone."""
SINCE_OPENED = "opened"
"""``since`` when no visit records the child seen alone: the count runs from the opening."""

When = str | dt.date | pd.Timestamp | None


def read_date(name: str, value: object) -> pd.Timestamp | None:
    """Read a date parameter given as YYYY-MM-DD or a date (``None`` or empty: not given).

    Anything else, a number included, raises :class:`~casekit.errors.CasekitError` naming the
    parameter and how to write it.

    >>> read_date("as_of", "2025-03-31")
    Timestamp('2025-03-31 00:00:00')
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.date | pd.Timestamp):
        if pd.isna(value):
            return None
        day = value.date() if isinstance(value, dt.datetime) else value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise CasekitError(
                f"{name}: {value!r} is not a date; write it as YYYY-MM-DD."
            ) from None
    check_day(name, day)  # pandas' dates end in 2262: none may reach past them
    return pd.Timestamp(day)


def _as_of(as_of: When) -> pd.Timestamp:
    """Read the as-of date; not given means today."""
    return read_date("as_of", as_of) or pd.Timestamp(dt.date.today())


def open_at(cases: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """Keep the cases open at the end of ``when``: opened by then and not yet closed.

    >>> cases = pd.DataFrame({"opened": pd.to_datetime(["2024-01-01", "2024-01-01"]),
    ...                       "closed": pd.to_datetime([None, "2024-02-01"])})
    >>> len(open_at(cases, pd.Timestamp("2024-03-01")))
    1
    """
    closed = cases["closed"]
    return cases[(cases["opened"] <= when) & (closed.isna() | (closed > when))]


def _open_cases(cb: Casebook, when: pd.Timestamp) -> pd.DataFrame:
    """Return the open cases' ids, worker, team and opening date, as plain columns."""
    cases = open_at(cb.cases, when)
    return cases[["case_id", "worker_id", "team_id", "opened"]].reset_index(drop=True)


def overdue_actions(cb: Casebook, as_of: When) -> pd.DataFrame:
    """List the plan actions of open cases that were due before ``as_of`` and not yet done.

    An action counts when its case is open at ``as_of``, it was created on or before
    ``as_of``, its ``due`` date is before ``as_of``, and it has no ``completed`` date on or
    before ``as_of`` (a completion dated later was not known then). An action with no due date
    is never overdue. ``days_overdue`` is calendar days from the due date to ``as_of``. The
    worker and team are the case's. The oldest due date comes first. A bad ``as_of`` raises
    :class:`~casekit.errors.CasekitError`; ``None`` means today.
    """
    when = _as_of(as_of)
    actions = cb.plan_actions
    open_cases = _open_cases(cb, when)
    done = actions["completed"].notna() & (actions["completed"] <= when)
    created = actions["created"].isna() | (actions["created"] <= when)
    late = actions["due"].notna() & (actions["due"] < when) & ~done & created
    chosen = actions.loc[late, ["case_id", "action_id", "description", "owner_agency"]].assign(
        created=actions.loc[late, "created"], due=actions.loc[late, "due"]
    )
    out = chosen.merge(open_cases.drop(columns="opened"), on="case_id", how="inner")
    out["days_overdue"] = (when - out["due"]).dt.days.astype("Int64")
    out = out.sort_values(["due", "case_id", "action_id"], kind="stable")
    return out[OVERDUE_COLUMNS].reset_index(drop=True)


def last_seen_alone(cb: Casebook, as_of: When) -> pd.DataFrame:
    """Say, for each case open at ``as_of``, when the child was last seen alone on a visit.

    ``last_seen_alone`` is the date of the latest ``visit`` event with ``seen_alone`` true,
    dated and recorded on or before ``as_of`` (missing if there is none). ``working_days_since``
    counts working days (weekends and England-and-Wales bank holidays left out) from that date
    to ``as_of``, or from the case's opening when the child was never seen alone; ``since``
    says which (:data:`SINCE_SEEN_ALONE` or :data:`SINCE_OPENED`). A ``seen_alone`` left empty,
    or a bundle without the column, is unknown, not "no": ``seen_alone_recorded`` says whether
    any visit on the case, as known at ``as_of``, records it either way, so a reader can tell
    "not seen alone" from "not recorded". Longest since first.
    """
    when = _as_of(as_of)
    cases = _open_cases(cb, when)
    events = cb.events
    visits = events[(events["kind"].astype(object) == "visit") & (events["date"] <= when)]
    visits = as_known_at(visits, when)
    if "seen_alone" in visits.columns:
        flag = visits["seen_alone"].astype("boolean")
    else:  # an older bundle: unknown for every visit
        flag = pd.Series(pd.NA, index=visits.index, dtype="boolean")
    alone = visits.loc[flag.fillna(False).astype(bool)]
    latest = alone.groupby("case_id", observed=True)["date"].max()
    recorded = set(visits.loc[flag.notna(), "case_id"])
    last = latest.reindex(cases["case_id"].to_numpy()).to_numpy(dtype="datetime64[ns]")
    cases["last_seen_alone"] = pd.Series(last, index=cases.index).dt.normalize()
    seen = cases["last_seen_alone"].notna()
    cases["since"] = seen.map({True: SINCE_SEEN_ALONE, False: SINCE_OPENED})
    start = cases["last_seen_alone"].where(seen, cases["opened"])
    cases["working_days_since"] = working_days_after(
        start, pd.Series(when, index=cases.index)
    ).astype("Int64")
    cases["seen_alone_recorded"] = cases["case_id"].isin(recorded)
    cases = cases.sort_values(["working_days_since", "case_id"], ascending=[False, True])
    return cases[SEEN_ALONE_COLUMNS].reset_index(drop=True)

"""The step-down flags: ``step_down_due`` and ``step_down_despite_concern`` (practice.md).

A *stretch* is a case's social-care rung staying at ``escalation_rung`` or above: Channel
decisions keep the rung, so they never break one; a decision below it (the step-down) or the
case's closure ends it. A step-down becomes due on the first day a stretch has run more than
``step_down_days`` days with at least one judgement in it, every judgement so far (all three
levels) ``step_down_min_scale`` or above, and no medium or high concern event recorded after
the latest of them. ``step_down_despite_concern`` is raised on a decision that lowers the
response, or a closure, within ``concern_window_days`` after a medium or high concern event
recorded by then, or while the latest judgement at any level is ``low_scale`` or lower.

Judgements of one stretch are ordered by date, then id; concern events by their date, the day
they were recorded, then id: the pandas flags order them alike.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from casekit.analysis.relational.decisions import flag_rows
from casekit.analysis.relational.known import Known, known, rung_name
from casekit.contract import CONCERN_CATEGORIES, LEVELS, RUNG, SAFETY_SCALE
from casekit.engine.text import cat, day, join_first, quote, words
from casekit.policy import STEP_DOWN_COLUMNS, STEP_DOWN_TYPES

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from casekit.engine.backends import Engine
    from casekit.engine.tables import Tables

__all__ = [
    "RAISES",
    "due_stretches",
    "step_down_flags",
    "step_downs_due",
    "stretches",
]

RAISES = ("step_down_due", "step_down_despite_concern")
"""The flags this module raises."""
MEDIUM_OR_HIGH = ("medium", "high")
_DURING = 3  # concern events an open stretch's reason names before "and N more"


def _concerns(k: Known) -> ir.Table:
    """Keep the known concern events of medium or high significance."""
    e = k.events
    keep = e.category.isin(CONCERN_CATEGORIES) & e.significance.isin(MEDIUM_OR_HIGH)
    return e.filter(keep).select(
        c_id=e.event_id,
        c_case=e.case_id,
        c_date=e.date,
        c_recorded=e.recorded_on,
        c_category=e.category,
        c_significance=e.significance,
        c_summary=e.summary,
    )


def _known_concerns(k: Known) -> ir.Table:
    """Keep the medium or high concern events of the cases known at the as-of date."""
    c = _concerns(k)
    return c.semi_join(k.cases, c.c_case == k.cases.case_id)


def _case_facts(k: Known) -> ir.Table:
    """Give each known case's team and closure (missing while open), to left-join on."""
    return k.cases.select(_case=k.cases.case_id, _team=k.cases.team_id, _closed=k.cases.closed)


def _days_between(later: ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    """Count the days from ``earlier`` to ``later``."""
    return later.delta(earlier, unit="day")


def _plus_days(date: ir.DateValue, days: int) -> ir.DateValue:
    """Add whole days to a date, keeping a date on every engine."""
    import ibis

    return (date + ibis.interval(days=days)).cast("date")


def stretches(k: Known, min_rung: int) -> ir.Table:
    """Find each stretch of a case's social-care rung at ``min_rung`` or above.

    One row per stretch: ``stretch`` (the id of the decision that began it), ``case_id``,
    ``start``, ``ended`` (the step-down below ``min_rung`` or the closure, whichever came
    first; missing while it runs) and ``how`` (``It was stepped down to ...``, ``The case was
    closed``, or empty while it runs).
    """
    import ibis

    d = k.decisions
    order = [d.date, d.decision_id]
    by_case = ibis.window(group_by=d.case_id, order_by=order)
    d = d.mutate(_high=d.rung >= min_rung)
    d = d.mutate(_before=d._high.lag().over(by_case))
    firsts = d.filter(d._before.isnull() | (d._high != d._before))
    next_run = ibis.window(group_by=firsts.case_id, order_by=[firsts.date, firsts.decision_id])
    firsts = firsts.mutate(
        _down=firsts.date.lead().over(next_run), _down_to=firsts.response.lead().over(next_run)
    )
    s = firsts.filter(firsts._high)
    cases = _case_facts(k)
    s = s.left_join(cases, s.case_id == cases._case)
    by_step = s._down.notnull() & (s._closed.isnull() | (s._down <= s._closed))
    how = ibis.ifelse(
        by_step,
        cat("It was stepped down to ", words(s._down_to)),
        ibis.ifelse(s._closed.notnull(), "The case was closed", ""),
    )
    return s.select(
        stretch=s.decision_id,
        case_id=s.case_id,
        start=s.date,
        ended=ibis.ifelse(by_step, s._down, s._closed),
        how=how,
        team_id=s._team,
    )


def _label(j: ir.Table) -> ir.StringValue:
    """Label a judgement: ``J1 (family, 8 on 2024-03-01)``."""
    return cat(j.judgement_id, " (", j.level, ", ", j.safety_scale, " on ", day(j.j_date), ")")


def _judged(n: ir.IntegerValue, latest: ir.StringValue, when: str, verb: str, scale: int) -> Any:
    """Name the judgements: one by itself, several by their count and the latest."""
    import ibis

    plural = {"is": "are", "was": "were"}[verb]
    one = cat("its one judgement ", when, ", ", latest, f", {verb} {scale} or above")
    many = cat(
        "all ", n, f" judgements {when} {plural} {scale} or above (the latest: ", latest, ")"
    )
    return ibis.ifelse(n == 1, one, many)


def due_stretches(k: Known, t: dict[str, Any]) -> ir.Table:
    """Find the stretches in which a step-down became due by the as-of date, with reasons.

    At a day of a stretch the condition holds when the day is more than ``step_down_days``
    after its start, at least one judgement of the stretch is dated on or before it, every one
    of them is ``step_down_min_scale`` or above, and no medium or high concern event was
    recorded after the latest of them and on or before the day. Within a run of days that share
    one latest judgement the condition can only stop holding (concerns accumulate), so only the
    first day of each run, or the first day past ``step_down_days``, can be the first due day.
    One row per stretch that became due: ``stretch``, ``case_id``, ``start``, ``due``,
    ``ended``, ``wait_days``, ``open``, ``reason`` and ``team_id``.
    """
    import ibis

    as_of = k.day
    min_scale, days = t["step_down_min_scale"], t["step_down_days"]
    rung_words = t["escalation_rung"].replace("_", " ")
    s = stretches(k, RUNG[t["escalation_rung"]])
    j = k.judgements.filter(k.judgements.safety_scale.notnull())
    j = j.select("judgement_id", "level", "safety_scale", j_case=j.case_id, j_date=j.date)
    pairs = s.join(j, s.case_id == j.j_case)
    pairs = pairs.filter(
        (pairs.j_date >= pairs.start) & (pairs.ended.isnull() | (pairs.j_date < pairs.ended))
    ).drop("j_case")
    # the first judgement below min_scale ends the run of valid ones
    lows = pairs.filter(pairs.safety_scale < min_scale)
    lows = lows.mutate(
        _n=ibis.row_number().over(
            ibis.window(group_by=lows.stretch, order_by=[lows.j_date, lows.judgement_id])
        )
    )
    lows = lows.filter(lows._n == 0).select(
        l_stretch=lows.stretch, first_low=lows.j_date, low_label=_label(lows)
    )
    pairs = pairs.left_join(lows, pairs.stretch == lows.l_stretch).drop("l_stretch")
    valid = pairs.filter(pairs.first_low.isnull() | (pairs.j_date < pairs.first_low))
    backward = ibis.window(
        group_by=valid.stretch, order_by=[valid.j_date.desc(), valid.judgement_id.desc()]
    )
    upto = ibis.window(
        group_by=valid.stretch, order_by=[valid.j_date, valid.judgement_id], rows=(None, 0)
    )
    on_day = ibis.window(group_by=[valid.stretch, valid.j_date], order_by=valid.judgement_id.desc())
    valid = valid.mutate(
        label=_label(valid),
        n_upto=valid.judgement_id.count().over(upto),
        n_now=valid.judgement_id.count().over(ibis.window(group_by=valid.stretch)),
        _last=ibis.row_number().over(backward),
        _last_of_day=ibis.row_number().over(on_day),
    )
    latest_now = valid.filter(valid._last == 0).select(
        n_stretch=valid.stretch,
        latest_now=valid.label,
        latest_date=valid.j_date,
        n_now=valid.n_now,
    )
    # one run per judgement day: the day's last judgement is the latest until the next day
    runs = valid.filter(valid._last_of_day == 0)
    runs = runs.mutate(
        _next=runs.j_date.lead().over(ibis.window(group_by=runs.stretch, order_by=runs.j_date))
    )
    stop = ibis.coalesce(runs.ended, _plus_days(as_of, 1))
    stop = ibis.ifelse(runs.first_low.isnull() | (stop <= runs.first_low), stop, runs.first_low)
    earliest = _plus_days(runs.start, days + 1)
    runs = runs.mutate(
        _next=ibis.coalesce(runs._next, stop),
        day=ibis.greatest(runs.j_date, earliest),
    )
    runs = runs.filter(runs.day < runs._next)
    concerns = _known_concerns(k)
    fresh = runs.anti_join(
        concerns,
        [
            runs.case_id == concerns.c_case,
            concerns.c_recorded > runs.j_date,
            concerns.c_recorded <= runs.day,
        ],
    )
    fresh = fresh.mutate(
        _first=ibis.row_number().over(ibis.window(group_by=fresh.stretch, order_by=fresh.j_date))
    )
    due = fresh.filter(fresh._first == 0)
    due = due.join(latest_now, due.stretch == latest_now.n_stretch).drop("n_stretch")
    stale = due.semi_join(
        concerns,
        [due.case_id == concerns.c_case, concerns.c_recorded > due.latest_date],
    ).select(s_stretch="stretch", stale=ibis.literal(True))
    due = due.left_join(stale, due.stretch == stale.s_stretch).drop("s_stretch")
    due = due.mutate(
        open=due.ended.isnull() & due.first_low.isnull() & due.stale.isnull(),
        wait_days=_days_between(due.ended, due.day),
    )
    due = due.select(
        "stretch",
        "case_id",
        "start",
        "ended",
        "how",
        "team_id",
        "first_low",
        "low_label",
        "latest_now",
        "latest_date",
        "n_now",
        "open",
        "wait_days",
        due=due.day,
        latest_then=due.label,
        n_then=due.n_upto,
    )
    return _reasons(k, due, _concerns(k), t, rung_words)


def _reasons(
    k: Known, due: ir.Table, concerns: ir.Table, t: dict[str, Any], rung_words: str
) -> ir.Table:
    """Say why each stretch's step-down became due, and, when past, how it ended."""
    import ibis

    min_scale = t["step_down_min_scale"]
    as_of = k.day
    # the first concern event recorded after the latest judgement, for stretches it stopped
    stopped = due.filter(due.ended.isnull() & due.first_low.isnull() & ~due.open)
    after = stopped.select(
        a_stretch=stopped.stretch, a_case=stopped.case_id, since=stopped.latest_date
    )
    after = after.join(concerns, after.a_case == concerns.c_case)
    after = after.filter(after.c_recorded > after.since)
    first = ibis.window(
        group_by=after.a_stretch, order_by=[after.c_recorded, after.c_date, after.c_id]
    )
    after = after.mutate(_n=ibis.row_number().over(first))
    after = after.filter(after._n == 0)
    after = after.select(
        a_stretch=after.a_stretch,
        concern=cat(
            "Then concern event ",
            after.c_id,
            " (",
            words(after.c_category),
            ", ",
            after.c_significance,
            ", ",
            day(after.c_date),
            ": ",
            quote(after.c_summary),
            ") was recorded on ",
            day(after.c_recorded),
            ", after the latest judgement ",
        ),
    )
    # the concern events recorded during each open stretch (a later judgement restored it)
    running = due.filter(due.open)
    during = running.select(
        d_stretch=running.stretch, d_case=running.case_id, d_start=running.start
    )
    during = during.join(concerns, during.d_case == concerns.c_case)
    during = during.filter(during.c_recorded >= during.d_start)
    during = during.mutate(
        d_label=cat(
            during.c_id,
            " (",
            words(during.c_category),
            ", ",
            during.c_significance,
            ", recorded ",
            day(during.c_recorded),
            ")",
        )
    )
    named = join_first(
        during, "d_stretch", "d_label", [during.c_recorded, during.c_id], _DURING, "during"
    )
    o = due.left_join(after, due.stretch == after.a_stretch).drop("a_stretch")
    o = o.left_join(named, o.stretch == named.d_stretch).drop("d_stretch")
    opened = cat(
        f"The response has been at {rung_words} or above since ",
        day(o.start),
        " (",
        _days_between(as_of, o.start),
        " days by ",
        day(as_of),
        "); ",
        _judged(o.n_now, o.latest_now, "since then", "is", min_scale),
        ", and no medium or high concern event has been recorded since the latest: a "
        "step-down is due (since ",
        day(o.due),
        ").",
    )
    during_text = ibis.ifelse(
        o.during.isnull(),
        "",
        cat(
            " Medium or high concern events were recorded during the stretch, each before a "
            f"later judgement of {min_scale} or above: ",
            o.during,
            ".",
        ),
    )
    history = cat(
        "A step-down became due on ",
        day(o.due),
        f": the response had been at {rung_words} or above since ",
        day(o.start),
        ", ",
        _judged(o.n_then, o.latest_then, "by then", "was", min_scale),
        ", and no medium or high concern event had been recorded since the latest. ",
    )
    ended = cat(o.how, " on ", day(o.ended), ", ", o.wait_days, " days after it became due.")
    dropped = cat(
        "Then judgement ", o.low_label, f" was below {min_scale}, so it is no longer due."
    )
    stopped_by = cat(o.concern, o.latest_now, ", so it is no longer due.")
    past = ibis.ifelse(
        o.ended.notnull(), ended, ibis.ifelse(o.first_low.notnull(), dropped, stopped_by)
    )
    return o.mutate(reason=ibis.ifelse(o.open, cat(opened, during_text), cat(history, past)))


def _despite_concern(k: Known, t: dict[str, Any]) -> ir.Table:
    """Raise ``step_down_despite_concern`` on step-down decisions and closures."""
    import ibis

    as_of = k.day
    window = t["concern_window_days"]
    d = k.decisions.filter(k.decisions.lowers)
    c = k.cases.filter(k.cases.closed.notnull())
    subjects = d.select(
        case_id=d.case_id,
        subject_id=d.decision_id,
        date=d.date,
        decision=ibis.literal(True),
        previous=d.previous,
        response=d.response,
    ).union(
        c.select(
            case_id=c.case_id,
            subject_id=c.case_id,
            date=c.closed,
            decision=ibis.literal(False),
            previous=ibis.literal(0, type="int64"),
            response=ibis.null("string"),
        )
    )
    subjects = subjects.mutate(
        key=cat(ibis.ifelse(subjects.decision, "d", "c"), subjects.subject_id)
    )
    # a medium or high concern event dated within the window before, recorded by then
    keys = subjects.select(e_key="key", e_case="case_id", e_on="date")
    concerns = _concerns(k)
    ev = keys.join(concerns, keys.e_case == concerns.c_case)
    ev = ev.mutate(gap=_days_between(ev.e_on, ev.c_date))
    ev = ev.filter((ev.gap >= 0) & (ev.gap <= window) & (ev.c_recorded <= ev.e_on))
    latest = ibis.window(
        group_by=ev.e_key, order_by=[ev.c_date.desc(), ev.c_recorded.desc(), ev.c_id.desc()]
    )
    ev = ev.mutate(
        _n=ibis.row_number().over(latest),
        n_events=ev.c_id.count().over(ibis.window(group_by=ev.e_key)),
    )
    ev = ev.filter(ev._n == 0)
    more = ev.n_events - 1
    ev = ev.select(
        e_key=ev.e_key,
        concern=cat(
            ev.gap,
            " days after concern event ",
            ev.c_id,
            " (",
            words(ev.c_category),
            ", ",
            ev.c_significance,
            ", ",
            day(ev.c_date),
            ": ",
            quote(ev.c_summary),
            ", recorded on ",
            day(ev.c_recorded),
            ")",
            ibis.ifelse(more > 0, cat(" and ", more, f" more in the {window} days before"), ""),
        ),
    )
    # at any level, the latest judgement on or before it is low_scale or lower
    j = k.judgements.select(
        "judgement_id",
        "level",
        "safety_scale",
        j_case=k.judgements.case_id,
        j_date=k.judgements.date,
    )
    jp = keys.join(j, keys.e_case == j.j_case)
    jp = jp.filter(jp.j_date <= jp.e_on)
    last = ibis.window(
        group_by=[jp.e_key, jp.level], order_by=[jp.j_date.desc(), jp.judgement_id.desc()]
    )
    jp = jp.mutate(_n=ibis.row_number().over(last))
    jp = jp.filter((jp._n == 0) & (jp.safety_scale <= t["low_scale"]).fill_null(False))
    jp = jp.mutate(
        l_key=jp.e_key,
        _level=jp.level.substitute({v: i for i, v in enumerate(LEVELS)}, else_=len(LEVELS)),
        label=cat(
            "the latest ",
            jp.level,
            " judgement, ",
            jp.judgement_id,
            " (",
            day(jp.j_date),
            "), was ",
            jp.safety_scale,
        ),
    )
    low = join_first(jp, "l_key", "label", [jp._level], name="low")
    f = subjects.left_join(ev, subjects.key == ev.e_key).drop("e_key")
    f = f.left_join(low, f.key == low.l_key).drop("l_key")
    f = f.filter(f.concern.notnull() | f.low.notnull())
    # a closure on the day of a flagged step-down decision of the case is the same prompt
    # (a window over the day, not an anti join of f with itself: f is then worked out once)
    said = ibis.ifelse(f.decision, 1, 0).max().over(ibis.window(group_by=[f.case_id, f.date]))
    f = f.mutate(_said=said)
    f = f.filter(f.decision | (f._said == 0)).drop("_said")
    has_event, has_low = f.concern.notnull(), f.low.notnull()
    opening = ibis.ifelse(
        f.decision,
        cat(
            "Decision ",
            f.subject_id,
            " (",
            day(f.date),
            ") lowered the response from ",
            words(rung_name(f.previous)),
            " to ",
            words(f.response),
        ),
        cat("The case was closed on ", day(f.date)),
    )
    joiner = ibis.ifelse(has_event & has_low, ", and while ", ibis.ifelse(has_low, "while ", ""))
    scale = "on the {}-{} safety scale".format(*SAFETY_SCALE)
    reason = cat(
        opening,
        " ",
        f.concern,
        joiner,
        f.low,
        ibis.ifelse(has_low, " " + scale, ""),
        ". Is anything being closed or stepped down too early?",
    )
    cases = _case_facts(k)
    rows = flag_rows(f, "step_down_despite_concern", "subject_id", reason, f.date)
    rows = rows.left_join(cases, rows.case_id == cases._case)
    recent = rows._closed.isnull() | (
        _days_between(as_of, rows._closed) <= t["closed_recently_days"]
    )
    return rows.mutate(team_id=rows._team, status=ibis.ifelse(recent, "open", "past")).drop(
        "_case", "_team", "_closed"
    )


def step_down_flags(k: Known, t: dict[str, Any]) -> list[ir.Table]:
    """Raise ``step_down_due`` and ``step_down_despite_concern``."""
    import ibis

    due = due_stretches(k, t)
    rows = flag_rows(
        due, "step_down_due", "case_id", due.reason, due.due, team_id=due.team_id, open=due.open
    )
    rows = rows.mutate(status=ibis.ifelse(rows.open, "open", "past")).drop("open")
    return [rows, _despite_concern(k, t)]


def step_downs_due(
    engine: Engine, tables: Tables, as_of: dt.date, t: dict[str, Any]
) -> pd.DataFrame:
    """Run the table of stretches in which a step-down became due, on ``engine``.

    The same table as :func:`casekit.analysis.proportionality.step_downs_due`, which
    ``research.step_down_waits`` reads: the columns ``STEP_DOWN_COLUMNS`` (``case_id``,
    ``start``, ``due``, ``ended``, ``wait_days``, ``open``), sorted by case and start. As for
    :func:`~casekit.analysis.relational.flags.run_flags`, ``t`` holds every threshold, checked
    by the caller.
    """
    due = due_stretches(known(tables, as_of), t)
    out = engine.run(due.select(*STEP_DOWN_COLUMNS, "stretch"))
    out = out.sort_values(["case_id", "start", "stretch"], kind="stable")
    out = out[STEP_DOWN_COLUMNS].reset_index(drop=True)
    return out.astype(STEP_DOWN_TYPES)

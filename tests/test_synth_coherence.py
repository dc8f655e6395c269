"""Synthetic casebooks agree with themselves: every rule of synthetic.md, read from the output.

Each bundle is made the way a user makes it (``casekit synth``) and read back with
:func:`casekit.load`; nothing here looks at the generator's internals. Every rule is a function
that returns the records breaking it (as short readable strings), so a failure shows what is
wrong, and ``python tests/test_synth_coherence.py`` prints how many records break each rule.

Words the rules look for (the vocabulary of age-bound and faith-bound events) are defined here,
from what a practice lead would read in the summaries: school from 4, online life from 8, being
out late with older people, exclusion and police contact from 10, college, work or training
from 16, and "the young person" only from 10.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import casekit
from casekit.analysis.proportionality import FLAGS, bank_holidays, escalations, flags
from casekit.cli import main
from casekit.contract import BELIEF_CATEGORIES
from casekit.synth.generator import DEFAULT_END

AS_OF = pd.Timestamp(DEFAULT_END)
BUNDLES = [(0, 120), (1, 120), (2, 120), (0, 400), (1, 400), (2, 400), (0, None)]
"""(seed, cases) of every bundle checked; ``None`` is the default size (the shipped bundle)."""

# --- the vocabulary the rules read ------------------------------------------------------------

AGE_BOUND: list[tuple[int, str, re.Pattern[str]]] = [
    (
        4,
        "school",
        re.compile(
            r"\bschool|\bclass(?:room|mates?)?\b|\blessons?\b|\bteachers?\b|\bpupils?\b"
            r"|head of year|form tutor|\bessay\b|\bhomework\b",
            re.I,
        ),
    ),
    (
        8,
        "online, gaming or social media",
        re.compile(
            r"\bonline\b|\bgaming\b|social media|video platform|messaging group|\bforum\b"
            r"|chat server|\bchats?\b|\bvideos?\b|\bdevices?\b|parental controls|\bphone\b",
            re.I,
        ),
    ),
    (
        10,
        "out late with older people, exclusion or police contact",
        re.compile(
            r"out late|older (?:adults?|peers?|men|contacts?)|\bexclu(?:ded|sion)\b|\barrested\b"
            r"|police (?:found|stopped|spoke|warned|questioned)|stopped by (?:the )?police",
            re.I,
        ),
    ),
    (
        16,
        "college, work or training",
        re.compile(
            r"\bcollege\b|apprenticeship|\bjob\b|work placement|training course|\bemployment\b"
            r"|learn to drive|\bdriving\b",
            re.I,
        ),
    ),
]
YOUNG_PERSON = re.compile(r"\byoung person\b", re.I)
FAITH_WORDS: dict[str, re.Pattern[str]] = {
    "muslim": re.compile(
        r"\bmosque|\bramadan\b|\beid\b|\bimam\b|\bmadrasa|\bqur'?an\b|\bhijab\b|\bjummah\b", re.I
    ),
    "christian": re.compile(
        r"\bchurch|\bchristmas\b|\bbible\b|\bpastor\b|\bvicar\b|\bconfirmation class", re.I
    ),
    "sikh": re.compile(r"\bgurdwara|\bvaisakhi\b|\bturban\b|\bgranthi\b|\bkara\b", re.I),
    "hindu": re.compile(r"\bmandir\b|\bhindu temple|\bdiwali\b|\bnavratri\b|\bpuja\b", re.I),
    "jewish": re.compile(
        r"\bsynagogue|\bshabbat\b|\bpassover\b|\brabbi\b|\bkosher\b|\bbar mitzvah|\bbat mitzvah",
        re.I,
    ),
    "buddhist": re.compile(r"\bbuddhis|\bvihara\b|\bmeditation class|\bmonastery\b", re.I),
}
GENUINE = re.compile(r"engaged well|kept every appointment|talked openly|worked with us", re.I)
DISENGAGED = re.compile(r"declined|refused to meet|would not meet|no contact with", re.I)
NOT_BEHAVIOUR = re.compile(r"not behaviour|rather than behaviour|no behaviour", re.I)
MENTAL_HEALTH = re.compile(r"CAMHS|mental health|counsell|therap", re.I)
FAITH_CENTRE = re.compile(
    r"faith (?:centre|community|leader)|mosque|church|gurdwara|mandir|temple|synagogue|vihara", re.I
)
PLAN_OWNERS: list[tuple[re.Pattern[str], set[str]]] = [
    (MENTAL_HEALTH, {"health"}),
    (re.compile(r"health visitor|\bGP\b|paediatric|speech and language", re.I), {"health"}),
    (re.compile(r"mentor", re.I), {"voluntary_sector", "community", "youth_justice"}),
    (
        re.compile(r"\bschool|named adult|attendance|\bteacher|\bnursery|\bcollege\b", re.I),
        {"education"},
    ),
    (re.compile(r"housing|\brent\b|tenancy", re.I), {"housing", "social_care"}),
    (
        re.compile(
            r"parenting|family support|family group conference|child in need|core group"
            r"|child protection|safety plan|direct work|home visits?",
            re.I,
        ),
        {"social_care"},
    ),  # fmt: skip
    (re.compile(r"online safety|parental controls", re.I), {"education", "social_care", "police"}),
    (
        re.compile(r"youth club|sports club|football|youth (service|worker)", re.I),
        {"community", "voluntary_sector"},
    ),  # fmt: skip
    (FAITH_CENTRE, {"community"}),
    (re.compile(r"youth offending|youth justice", re.I), {"youth_justice"}),
    (re.compile(r"domestic abuse|refuge|IDVA", re.I), {"voluntary_sector", "social_care"}),
    (re.compile(r"exploitation|missing", re.I), {"social_care", "police", "voluntary_sector"}),
    (re.compile(r"\bPrevent\b|Channel|intervention provider", re.I), {"police", "social_care"}),
]
DATE_IN_TEXT = re.compile(
    r"\b(\d{1,2} (?:January|February|March|April|May|June|July|August|September|October"
    r"|November|December) \d{4})\b"
)
OPEN_CASE_ROLES = ("social_worker", "senior_practitioner")
GENERIC_SHARING = "Summary of recent contact and concerns."


# --- reading a bundle -------------------------------------------------------------------------


def make(tmp: Path, seed: int, cases: int | None) -> casekit.Casebook:
    """Generate a bundle with ``casekit synth`` and load it."""
    out = tmp / f"s{seed}-{cases}"
    args = ["synth", "--out", str(out), "--seed", str(seed)]
    if cases is not None:
        args += ["--cases", str(cases)]
    assert main(args) == 0
    return casekit.load(out)


def radical(cb: casekit.Casebook) -> pd.Series:
    """Say which cases are radicalisation (Prevent) cases, by case_id."""
    flags_ = cb.cases.set_index("case_id")["concern_flags"]
    return flags_.map(lambda f: "radicalisation" in f)


def ages(cb: casekit.Casebook, dates: pd.Series, case_ids: pd.Series) -> pd.Series:
    """Age in whole years on each date, counted from the first day of the birth month."""
    born = pd.to_datetime(cb.cases.set_index("case_id")["child_birth_month"] + "-01")
    b = case_ids.map(born)
    months = (dates.dt.year - b.dt.year) * 12 + (dates.dt.month - b.dt.month)
    return months // 12


def events_with_case(cb: casekit.Casebook) -> pd.DataFrame:
    """Events with their child's age, religion and whether the case is a Prevent case."""
    ev = cb.events.copy()
    ev["age"] = ages(cb, ev["date"], ev["case_id"])
    cases = cb.cases.set_index("case_id")
    ev["religion"] = ev["case_id"].map(cases["child_religion"]).astype(str)
    ev["radical"] = ev["case_id"].map(radical(cb))
    ev["category"] = ev["category"].astype(str)
    ev["level"] = ev["level"].astype(str)
    ev["summary"] = ev["summary"].fillna("")
    return ev


def text_dates(text: str) -> list[pd.Timestamp]:
    """The dates written out in a text ("3 May 2024")."""
    return [pd.Timestamp(pd.to_datetime(d, format="%d %B %Y")) for d in DATE_IN_TEXT.findall(text)]


def say(frame: pd.DataFrame, columns: list[str], limit: int = 100_000) -> list[str]:
    """Write rows as short readable strings."""
    return [
        "; ".join(f"{c}={str(r[c])[:90]}" for c in columns) for _, r in frame.head(limit).iterrows()
    ]


# --- the rules: each returns the records that break it ----------------------------------------


def rule_age(cb: casekit.Casebook) -> list[str]:
    """Every event fits the child's age on its date; "the young person" only from 10."""
    ev = events_with_case(cb)
    bad = []
    for min_age, what, words in AGE_BOUND:
        hit = ev[(ev["age"] < min_age) & ev["summary"].str.contains(words)]
        bad += [f"{what} before {min_age}: " + s for s in say(hit, ["case_id", "age", "summary"])]
    yp = ev[(ev["age"] < 10) & ev["summary"].str.contains(YOUNG_PERSON)]
    bad += ["'young person' under 10: " + s for s in say(yp, ["case_id", "age", "summary"])]
    unborn = ev[(ev["age"] < 0) & (ev["level"] == "child")]
    bad += ["child event before birth: " + s for s in say(unborn, ["case_id", "date", "summary"])]
    return bad


def rule_religion(cb: casekit.Casebook) -> list[str]:
    """Faith practice about the child fits the child's religion; none means none."""
    ev = events_with_case(cb)
    child = ev[ev["level"] == "child"]
    bad = []
    for faith, words in FAITH_WORDS.items():
        hit = child[child["summary"].str.contains(words) & (child["religion"] != faith)]
        bad += [f"{faith} practice: " + s for s in say(hit, ["case_id", "religion", "summary"])]
    none = child[(child["religion"] == "none") & (child["category"] == "belief_practice")]
    bad += ["no religion: " + s for s in say(none, ["case_id", "summary"])]
    return bad


def rule_restricted(cb: casekit.Casebook) -> list[str]:
    """Restricted entries are intelligence held by an agency, not meetings or observations."""
    ev = cb.events
    r = ev[ev["restricted"].astype(bool)]
    bad = r[
        (r["evidence"].astype(str) != "intelligence")
        | r["source_agency"].astype(str).isin(["family", "community", "education"])
        | r["category"].astype(str).isin(["protective", "aspiration", "engagement"])
        | r["kind"].astype(str).isin(["meeting", "visit", "family_group_conference", "assessment"])
    ]
    out = say(bad, ["event_id", "source_agency", "evidence", "kind", "summary"])
    sh = cb.info_sharing
    rs = sh[sh["restricted"].astype(bool)]
    rs_bad = rs[~rs["lawful_basis"].astype(str).isin(["public_task", "legal_obligation"])]
    out += ["restricted shared on " + s for s in say(rs_bad, ["share_id", "lawful_basis"])]
    return out


def rule_channel(cb: casekit.Casebook) -> list[str]:
    """Channel decisions, panels and anything saying Channel or Prevent: Prevent cases only."""
    rad = radical(cb)
    word = re.compile(r"\bChannel\b|\bPrevent\b")
    bad = []
    d = cb.decisions[~cb.decisions["case_id"].map(rad)]
    bad += say(d[d["response"].astype(str) == "channel_support"], ["decision_id", "case_id"])
    e = cb.events[~cb.events["case_id"].map(rad)]
    bad += say(e[e["kind"].astype(str) == "panel"], ["event_id", "summary"])
    adopted = cb.decisions[cb.decisions["response"].astype(str) == "channel_support"]
    panels = cb.events[cb.events["kind"].astype(str) == "panel"].groupby("case_id")["date"].min()
    first_panel = adopted["case_id"].map(panels)
    early = adopted[first_panel.isna() | (first_panel > adopted["date"])]
    bad += ["Channel adopted before any panel: " + s for s in say(early, ["decision_id", "date"])]
    for table, columns in (
        ("events", ["summary"]),
        ("decisions", ["rationale"]),
        ("info_sharing", ["information", "purpose"]),
        ("plan_actions", ["description"]),
        ("supervisions", ["experience", "reflection", "analysis", "actions", "hypotheses"]),
    ):
        f = cb.tables[table]
        f = f[~f["case_id"].map(rad)]
        for c in columns:
            hit = f[f[c].fillna("").str.contains(word)]
            bad += [f"{table}.{c}: " + s for s in say(hit, ["case_id", c])]
    return bad


def rule_plans(cb: casekit.Casebook) -> list[str]:
    """Owners do that kind of work; evidence answers the worry; faith centres fit the faith."""
    pa = cb.plan_actions.copy()
    cases = cb.cases.set_index("case_id")
    cat = cb.events.set_index("event_id")["category"].astype(str)
    bad = []
    for r in pa.itertuples(index=False):
        owners: set[str] = set()
        for words, allowed in PLAN_OWNERS:
            if words.search(r.description):
                owners |= allowed
        if not owners:
            bad.append(f"{r.action_id}: no known kind of work in {r.description!r}")
        elif str(r.owner_agency) not in owners:
            bad.append(f"{r.action_id}: {r.owner_agency} owns {r.description!r}")
        cats = {cat[i] for i in r.evidence_ids}
        answers_faith = FAITH_CENTRE.search(r.description)
        if (
            (MENTAL_HEALTH.search(r.description) or answers_faith)
            and cats
            and cats <= set(BELIEF_CATEGORIES)
        ):
            bad.append(f"{r.action_id}: {r.description!r} rests only on belief or views")
        if answers_faith:
            religion = str(cases.at[r.case_id, "child_religion"])
            named = [f for f, w in FAITH_WORDS.items() if w.search(r.description)]
            if religion in ("none", "not_recorded", "nan") or (named and named != [religion]):
                bad.append(f"{r.action_id}: {r.description!r} for religion {religion}")
    return bad


def _latest_engagement(cb: casekit.Casebook) -> pd.DataFrame:
    """Each decision with the latest engagement event recorded on or before its date."""
    d = cb.decisions.sort_values("date")
    en = cb.events[cb.events["category"].astype(str) == "engagement"]
    en = en[["case_id", "recorded_on", "summary"]].sort_values("recorded_on")
    return pd.merge_asof(
        d, en, left_on="date", right_on="recorded_on", by="case_id", direction="backward"
    )


def rule_decisions(cb: casekit.Casebook) -> list[str]:
    """Rationales name what decisions rest on, differ, and family_engaged fits engagement."""
    d = cb.decisions
    dates = cb.events.set_index("event_id")["date"]
    bad = []
    for r in d.itertuples(index=False):
        named = set(text_dates(r.rationale))
        missing = [i for i in r.evidence_ids if dates[i] not in named]
        if missing:
            bad.append(f"{r.decision_id}: rationale does not name {missing}: {r.rationale[:80]}")
    if len(d) and d["rationale"].nunique() < 0.9 * len(d):
        bad.append(f"only {d['rationale'].nunique()} different rationales for {len(d)} decisions")
    m = _latest_engagement(cb)
    summary = m["summary"].fillna("")
    engaged = m["family_engaged"].astype(bool)
    wrong = m[
        (summary.str.contains(GENUINE) & ~engaged) | (summary.str.contains(DISENGAGED) & engaged)
    ]
    bad += [
        "family_engaged: " + s for s in say(wrong, ["decision_id", "family_engaged", "summary"])
    ]
    return bad


def rule_supervision(cb: casekit.Casebook) -> list[str]:
    """Records differ, quote their own case's chronology, and never call behaviour views."""
    s = cb.supervisions
    text_cols = ["experience", "reflection", "analysis", "actions", "hypotheses", "graces"]
    text_cols += ["management", "support", "development", "mediation", "child_voice"]
    text_cols += ["agreed_actions"]
    bad = []
    if len(s):
        whole = s[text_cols].fillna("").agg("\n".join, axis=1)
        if whole.nunique() < len(s):
            bad.append(f"{len(s) - whole.nunique()} supervision records repeat another")
        for c in ("experience", "analysis"):
            if s[c].nunique() < len(s):
                bad.append(f"{len(s) - s[c].nunique()} repeated {c} texts")
    ev = cb.events
    behaviour = ev[ev["category"].astype(str) == "extremist_behaviour"]
    first = behaviour.groupby("case_id")["recorded_on"].min()
    days: dict[str, set[pd.Timestamp]] = {}
    for table, col in (("events", "date"), ("decisions", "date"), ("judgements", "date")):
        for cid, grp in cb.tables[table].groupby("case_id")[col]:
            days.setdefault(str(cid), set()).update(grp)
    visits = ev[(ev["kind"].astype(str) == "visit") & ev["seen_alone"].eq(True)]
    alone = visits.groupby("case_id")["date"].agg(set)
    for r in s.itertuples(index=False):
        if pd.notna(r.last_seen_alone) and r.last_seen_alone not in alone.get(r.case_id, set()):
            bad.append(f"{r.supervision_id}: last seen alone {r.last_seen_alone}, no such visit")
        if pd.notna(r.last_seen_alone) and r.last_seen_alone > r.date:
            bad.append(f"{r.supervision_id}: last seen alone after the session")
        text = " ".join(str(getattr(r, c)) for c in text_cols)
        seen = first.get(r.case_id)
        if seen is not None and seen <= r.date and NOT_BEHAVIOUR.search(text):
            bad.append(f"{r.supervision_id}: calls a case with extremist behaviour views")
        quoted = text_dates(text)
        if not quoted:
            bad.append(f"{r.supervision_id}: quotes nothing from the case's chronology")
        for q in quoted:
            if q > r.date or q not in days.get(r.case_id, set()):
                bad.append(f"{r.supervision_id}: quotes {q.date()}, not in its case by then")
    return bad


def rule_sharing(cb: casekit.Casebook) -> list[str]:
    """Sharing says what was shared (from the case), and consent agrees with the basis."""
    sh = cb.info_sharing
    ev = cb.events
    bad = []
    if "override_reason" not in sh.columns:
        bad.append("info_sharing has no override_reason column")
    generic = sh[sh["information"].fillna("") == GENERIC_SHARING]
    bad += ["generic: " + s for s in say(generic, ["share_id", "information"])]
    recorded = ev.groupby("case_id")[["date", "recorded_on"]].agg(list)
    for r in sh.itertuples(index=False):
        quoted = text_dates(str(r.information))
        if r.case_id in recorded.index:
            known = {d for d, rec in zip(*recorded.loc[r.case_id], strict=True) if rec <= r.date}
        else:
            known = set()
        if not quoted or not set(quoted) <= known:
            bad.append(f"{r.share_id}: information names no event known by then: {r.information}")
    wrong = sh[
        (sh["lawful_basis"].astype(str) == "consent") & (sh["consent"].astype(str) != "given")
    ]
    bad += ["consent basis without consent: " + s for s in say(wrong, ["share_id", "consent"])]
    return bad


def rule_comparator(cb: casekit.Casebook) -> list[str]:
    """Other safeguarding cases record belief and views events too (at least 10% of them)."""
    ev = events_with_case(cb)
    bau = ev[~ev["radical"]]
    with_belief = bau[bau["category"].isin(BELIEF_CATEGORIES)]["case_id"].nunique()
    n = (~radical(cb)).sum()
    return [] if with_belief >= 0.1 * n else [f"{with_belief} of {n} other cases record belief"]


def caseloads(cb: casekit.Casebook) -> pd.DataFrame:
    """Open cases per FTE of each case-holding worker at the as-of date."""
    c = cb.cases
    open_ = c[(c["opened"] <= AS_OF) & (c["closed"].isna() | (c["closed"] > AS_OF))]
    held = open_["worker_id"].dropna().value_counts()
    w = cb.workers[cb.workers["role"].astype(str).isin(OPEN_CASE_ROLES)].copy()
    w["open_cases"] = w["worker_id"].map(held).fillna(0).astype(int)
    w["per_fte"] = w["open_cases"] / w["fte"].astype(float)
    team_open = open_.groupby("team_id")["case_id"].size()
    w["team_open"] = w["team_id"].map(team_open).fillna(0)
    return w


def rule_caseloads(cb: casekit.Casebook) -> list[str]:
    """Social workers hold 12-20 open cases per FTE (in teams with at least 8 open cases).

    A team with fewer open cases (a small bundle spread over six teams) cannot be staffed
    realistically, so it is left out of the check.
    """
    w = caseloads(cb)
    checked = w[w["team_open"] >= 8]
    bad = checked[(checked["per_fte"] < 12) | (checked["per_fte"] > 20)]
    out = say(bad, ["worker_id", "team_id", "fte", "open_cases", "per_fte"])
    if len(checked):
        mean = checked["open_cases"].sum() / checked["fte"].astype(float).sum()
        if not 12 <= mean <= 20:
            out.append(f"mean {mean:.1f} per FTE")
    return out


def rule_share(cb: casekit.Casebook) -> list[str]:
    """About 15% of cases are radicalisation cases (the default share)."""
    share = radical(cb).mean()
    return [] if abs(share - 0.15) <= 0.01 else [f"radicalisation share {share:.3f}"]


def rule_flags_arise(cb: casekit.Casebook) -> list[str]:
    """Every one of the twelve flags arises (checked on bundles of 360 cases or more)."""
    if len(cb.cases) < 360:
        return []
    raised = set(flags(cb, as_of=AS_OF)["flag"])
    return [f"{f} never arises" for f in FLAGS if f not in raised]


OFFICE_KINDS = ("assessment", "assessment_completed", "visit", "meeting", "panel", "closure")
"""Events an agency holds in office hours: on working days, never a weekend or bank holiday."""
NEIGHBOUR = re.compile(r"\ba neighbour (?:reported|said|told|called)", re.I)
NEIGHBOUR_SOURCES = ("community", "police", "housing", "other")


def off_days(dates: pd.Series) -> pd.Series:
    """Say which dates fall on a weekend or an England-and-Wales bank holiday."""
    d = pd.to_datetime(dates)
    ok = d.notna()
    out = pd.Series(False, index=d.index)
    if ok.any():
        years = d[ok].dt.year
        hol = bank_holidays(int(years.min()), int(years.max()))
        days = d[ok].to_numpy().astype("datetime64[D]")
        out[ok] = ~np.is_busday(days, holidays=hol)
    return out


def rule_working_days(cb: casekit.Casebook) -> list[str]:
    """Decisions, judgements, supervision, plans, closures and office events: working days."""
    ev = cb.events
    checks = [
        ("decisions", cb.decisions, "date", "decision_id"),
        ("judgements", cb.judgements, "date", "judgement_id"),
        ("supervisions", cb.supervisions, "date", "supervision_id"),
        ("plan_actions", cb.plan_actions, "created", "action_id"),
        ("cases", cb.cases, "closed", "case_id"),
        ("events", ev[ev["kind"].astype(str).isin(OFFICE_KINDS)], "date", "event_id"),
    ]
    bad = []
    for table, frame, col, key in checks:
        hit = frame[off_days(frame[col])]
        bad += [f"{table}.{col} not a working day: " + s for s in say(hit, [key, col])]
    return bad


def rule_judgements(cb: casekit.Casebook) -> list[str]:
    """No safety judgement of 7 or more within 60 days of a high-significance concern.

    The concern counts once it is recorded (``recorded_on``) on or before the judgement.
    """
    ev = cb.events
    concern = ev[
        ev["category"].astype(str).isin(["influence_grooming", "extremist_behaviour", "harm"])
        & (ev["significance"].astype(str) == "high")
    ]
    j = cb.judgements[cb.judgements["safety_scale"].astype(int) >= 7]
    m = j.merge(
        concern[["case_id", "event_id", "date", "recorded_on"]],
        on="case_id",
        suffixes=("", "_event"),
    )
    hit = m[(m["recorded_on"] <= m["date"]) & (m["date_event"] > m["date"] - pd.Timedelta(days=60))]
    return say(hit, ["judgement_id", "case_id", "date", "safety_scale", "event_id", "date_event"])


def rule_after_closure(cb: casekit.Casebook) -> list[str]:
    """Nothing happens on a case after its closure date."""
    closed = cb.cases.set_index("case_id")["closed"]
    bad = []
    for table, col, key in (
        ("events", "date", "event_id"),
        ("decisions", "date", "decision_id"),
        ("judgements", "date", "judgement_id"),
        ("plan_actions", "created", "action_id"),
        ("info_sharing", "date", "share_id"),
        ("supervisions", "date", "supervision_id"),
    ):
        f = cb.tables[table]
        end = f["case_id"].map(closed)
        hit = f[end.notna() & (f[col] > end)]
        bad += [f"{table} after closure: " + s for s in say(hit, [key, "case_id", col])]
    return bad


def rule_events(cb: casekit.Casebook) -> list[str]:
    """Who reports what fits the source; routine agency actions are not of high significance."""
    ev = cb.events
    s = ev["summary"].fillna("")
    src = ev["source_agency"].astype(str)
    hit = ev[s.str.contains(NEIGHBOUR) & ~src.isin(NEIGHBOUR_SOURCES)]
    bad = ["neighbour: " + x for x in say(hit, ["event_id", "source_agency", "summary"])]
    high = ev[
        (ev["category"].astype(str) == "agency_action") & (ev["significance"].astype(str) == "high")
    ]
    bad += [
        "routine action of high significance: " + x
        for x in say(high, ["event_id", "kind", "summary"])
    ]
    return bad


def rule_visits(cb: casekit.Casebook) -> list[str]:
    """``seen_alone`` is recorded on visits only, and most children of 4 or more are seen alone.

    Every case open at the as-of date on a child in need rung or above has a visit in the last
    six weeks, or reached that rung less than six weeks ago (statutory visits run every few
    weeks).
    """
    ev = events_with_case(cb)
    if "seen_alone" not in ev.columns:
        return ["events have no seen_alone column"]
    visit = ev["kind"].astype(str) == "visit"
    bad = [
        "seen_alone off a visit: " + x
        for x in say(ev[~visit & ev["seen_alone"].notna()], ["event_id", "kind"])
    ]
    v = ev[visit & (ev["age"] >= 4) & ev["seen_alone"].notna()]
    alone = v["seen_alone"].astype(bool)
    if not len(v) or alone.mean() < 0.5:
        bad.append(f"{int(alone.sum())} of {len(v)} visits to children of 4 or more see them alone")
    esc = escalations(cb.decisions).sort_values("date")
    rung = esc.groupby("case_id")["rung"].last()
    changed = esc[~esc["channel"].astype(bool)].groupby("case_id")["date"].last()
    c = cb.cases
    open_ = c[c["closed"].isna()].copy()
    open_["rung"] = open_["case_id"].map(rung)
    statutory = open_[open_["rung"].fillna(0).astype(int) >= 3]
    last_visit = ev[visit].groupby("case_id")["date"].max()
    since = pd.concat(
        [statutory["case_id"].map(last_visit), statutory["case_id"].map(changed)], axis=1
    ).max(axis=1)
    gap = AS_OF - since
    hit = statutory[gap.isna() | (gap > pd.Timedelta(days=42))]
    bad += ["no visit in six weeks: " + x for x in say(hit, ["case_id", "rung"])]
    return bad


def rule_assessments(cb: casekit.Casebook) -> list[str]:
    """An assessment is completed once, after it started; most within 45 working days."""
    ev = cb.events
    kind = ev["kind"].astype(str)
    start = ev[kind == "assessment"].groupby("case_id")["date"].min()
    done = ev[kind == "assessment_completed"]
    bad = []
    twice = done["case_id"].value_counts()
    bad += [f"{cid}: {n} assessments completed" for cid, n in twice[twice > 1].items()]
    began = done["case_id"].map(start)
    hit = done[began.isna() | (done["date"] < began)]
    bad += ["completed before it started: " + x for x in say(hit, ["event_id", "case_id", "date"])]
    opened = done["case_id"].map(cb.cases.set_index("case_id")["opened"])
    if len(done):
        hol = bank_holidays(int(opened.dt.year.min()), int(done["date"].dt.year.max()) + 1)
        days = np.busday_count(
            opened.to_numpy().astype("datetime64[D]"),
            done["date"].to_numpy().astype("datetime64[D]"),
            holidays=hol,
        )
        on_time = float((days <= 45).mean())
        if not 0.6 <= on_time <= 0.97:
            bad.append(f"{on_time:.0%} of assessments completed within 45 working days")
    closed = cb.cases.dropna(subset=["closed"])
    assessed = closed[closed["case_id"].isin(start.index)]
    never = assessed[~assessed["case_id"].isin(done["case_id"])]
    if len(assessed) and len(never) > 0.05 * len(assessed):
        bad.append(f"{len(never)} of {len(assessed)} closed assessed cases never completed one")
    return bad


RULES: dict[str, Callable[[casekit.Casebook], list[str]]] = {
    "age": rule_age,
    "religion": rule_religion,
    "restricted": rule_restricted,
    "channel": rule_channel,
    "plans": rule_plans,
    "decisions": rule_decisions,
    "supervision": rule_supervision,
    "sharing": rule_sharing,
    "comparator": rule_comparator,
    "caseloads": rule_caseloads,
    "radicalisation_share": rule_share,
    "flags_arise": rule_flags_arise,
    "working_days": rule_working_days,
    "judgements": rule_judgements,
    "after_closure": rule_after_closure,
    "events": rule_events,
    "visits": rule_visits,
    "assessments": rule_assessments,
}


# --- the tests --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[tuple[int, int | None], casekit.Casebook]:
    tmp = tmp_path_factory.mktemp("coherence")
    return {(s, n): make(tmp, s, n) for s, n in BUNDLES}


@pytest.mark.parametrize("rule", list(RULES))
def test_rule_holds_on_every_bundle(bundles, rule):
    for key, cb in bundles.items():
        broken = RULES[rule](cb)
        assert not broken, (key, len(broken), broken[:5])


def test_rules_catch_what_they_are_for():
    """Each rule's words find the incoherent records that issue 15 quotes."""
    age = dict((what, (lo, w)) for lo, what, w in AGE_BOUND)
    assert age["out late with older people, exclusion or police contact"][1].search(
        "Police found the young person out late at night with older adults."
    )
    assert age["school"][1].search("The child was excluded from school for a fixed period.")
    assert FAITH_WORDS["muslim"].search("fasted during Ramadan and was tired in lessons")
    assert not FAITH_WORDS["christian"].search("fasted during Ramadan")
    assert NOT_BEHAVIOUR.search("The evidence shows views expressed, not behaviour")
    assert MENTAL_HEALTH.search("Referral to CAMHS for an assessment.")
    assert [d.date().isoformat() for d in text_dates("on 3 May 2024 and 12 March 2023")] == [
        "2024-05-03",
        "2023-03-12",
    ]


def _copy(cb: casekit.Casebook) -> casekit.Casebook:
    return casekit.Casebook(tables={t: f.copy(deep=True) for t, f in cb.tables.items()})


def test_each_rule_catches_what_issue_15_found(bundles):
    """Put each incoherent record the issue quotes into a good bundle: its rule finds it."""
    good = bundles[(0, 120)]
    rad = radical(good)
    ev = good.events

    cb = _copy(good)  # a 10-month-old found out late at night with older adults
    i = ev.index[0]
    when = ev.at[i, "date"] - pd.DateOffset(months=10)
    cb.cases.loc[cb.cases["case_id"] == ev.at[i, "case_id"], "child_birth_month"] = when.strftime(
        "%Y-%m"
    )
    cb.events.at[i, "summary"] = (
        "Police found the young person out late at night with older adults."
    )
    assert any("out late" in b for b in RULES["age"](cb)) and not RULES["age"](good)

    cb = _copy(good)  # a Christian child fasting for Ramadan
    child = ev.index[ev["level"].astype(str) == "child"][0]
    cb.cases.loc[cb.cases["case_id"] == ev.at[child, "case_id"], "child_religion"] = "christian"
    cb.events.at[child, "summary"] = (
        "Reported by the form tutor: the young person fasted during Ramadan."
    )
    assert RULES["religion"](cb) and not RULES["religion"](good)

    cb = _copy(good)  # restricted police intelligence: "the grandmother attends every meeting"
    cb.events.at[i, "restricted"] = True
    cb.events.at[i, "evidence"] = "observed"
    cb.events.at[i, "summary"] = "The grandmother attends every meeting."
    assert RULES["restricted"](cb) and not RULES["restricted"](good)

    cb = _copy(good)  # a Channel-panel sharing record on another kind of case
    other = cb.info_sharing.index[~cb.info_sharing["case_id"].map(rad)][0]
    cb.info_sharing.at[other, "purpose"] = "To prepare for the Channel panel."
    assert RULES["channel"](cb) and not RULES["channel"](good)

    cb = _copy(good)  # a CAMHS referral resting only on a request for a quiet space to pray
    belief = ev.loc[ev["category"].astype(str) == "belief_practice", "event_id"].iloc[0]
    j = cb.plan_actions.index[0]
    cb.plan_actions.at[j, "description"] = "Referral to CAMHS for an assessment."
    cb.plan_actions.at[j, "evidence_ids"] = [belief]
    cb.plan_actions.at[j, "owner_agency"] = "voluntary_sector"  # and a random owner
    broken = RULES["plans"](cb)
    assert any("rests only on belief" in b for b in broken)
    assert any("voluntary_sector owns" in b for b in broken)

    cb = _copy(good)  # decisions reusing seven rationales
    cb.decisions["rationale"] = "Assessment shows additional needs; child in need plan agreed."
    assert any("different rationales" in b for b in RULES["decisions"](cb))

    cb = _copy(good)  # 154 supervision records with the same text
    cb.supervisions["analysis"] = "The evidence shows views expressed, not behaviour."
    broken = RULES["supervision"](cb)
    assert any("repeated analysis" in b for b in broken)

    cb = _copy(good)  # sharing records that never say what was shared
    cb.info_sharing["information"] = GENERIC_SHARING
    assert RULES["sharing"](cb) and not RULES["sharing"](good)

    cb = _copy(good)  # other safeguarding cases never recording belief or views
    bau_belief = cb.events["category"].astype(str).isin(BELIEF_CATEGORIES) & ~cb.events[
        "case_id"
    ].map(rad)
    cb.tables["events"] = cb.events[~bau_belief]
    assert RULES["comparator"](cb) and not RULES["comparator"](good)


def test_caseload_rule_finds_a_light_and_a_heavy_caseload(bundles):
    good = bundles[(0, None)]
    assert RULES["caseloads"](good) == []
    cb = _copy(good)
    cb.workers["fte"] = cb.workers["fte"].astype(float) * 3  # about 5 open cases per FTE
    cb.workers["fte"] = cb.workers["fte"].clip(upper=1.0)
    light = caseloads(cb)
    assert (light["per_fte"] < 12).any() and RULES["caseloads"](cb)
    cb = _copy(good)
    holders = caseloads(good)
    open_ = cb.cases["closed"].isna()
    cb.cases.loc[open_, "worker_id"] = holders["worker_id"].iloc[0]  # one worker holds them all
    assert any(
        b.startswith(f"worker_id={holders['worker_id'].iloc[0]}") for b in RULES["caseloads"](cb)
    )


def test_closures_and_step_downs_mostly_follow_improving_judgements(bundles):
    """Most step-downs and closures come after judgements of 5 or more; some do not."""
    good = total = 0
    for cb in bundles.values():
        esc = escalations(cb.decisions)
        downs = esc[esc["lowers"].astype(bool)][["case_id", "date"]]
        closed = cb.cases.dropna(subset=["closed"])[["case_id", "closed"]]
        ends = pd.concat([downs, closed.rename(columns={"closed": "date"})]).sort_values("date")
        j = cb.judgements.groupby(["case_id", "date"])["safety_scale"].min().reset_index()
        m = pd.merge_asof(ends, j.sort_values("date"), on="date", by="case_id")
        m = m.dropna(subset=["safety_scale"])
        good += int((m["safety_scale"] >= 5).sum())
        total += len(m)
    assert 0.6 <= good / total <= 0.97, (good, total)


def test_channel_support_is_adopted_with_the_family_engaged(bundles):
    """Channel is voluntary and needs a parent's consent: never adopted without the family."""
    adopted = 0
    for cb in bundles.values():
        d = cb.decisions[cb.decisions["response"].astype(str) == "channel_support"]
        adopted += len(d)
        assert d["family_engaged"].astype(bool).all()
        assert d["rationale"].str.contains("consent").all()
    assert adopted > 0


def test_override_reason_mostly_recorded_after_refusal(bundles):
    refused = with_reason = 0
    for cb in bundles.values():
        sh = cb.info_sharing
        assert "override_reason" in sh.columns
        r = sh[sh["consent"].astype(str) == "refused"]
        refused += len(r)
        with_reason += int(r["override_reason"].notna().sum())
    assert refused >= 20
    assert 0.6 <= with_reason / refused <= 0.95, (with_reason, refused)


def test_flags_arise_at_plausible_rates(bundles):
    """Across every bundle, each flag is raised, none is the norm, most decisions pass."""
    counts = {f: 0 for f in FLAGS}
    raised_decisions = decisions = raising = plans = shares = cases = 0
    for cb in bundles.values():
        f = flags(cb, as_of=AS_OF)
        for name, k in f["flag"].value_counts().items():
            counts[name] += int(k)
        on_decisions = f[f["subject_id"].isin(cb.decisions["decision_id"])]
        raised_decisions += on_decisions["subject_id"].nunique()
        decisions += len(cb.decisions)
        raising += int(escalations(cb.decisions)["raises"].sum())
        plans += len(cb.plan_actions)
        shares += len(cb.info_sharing)
        cases += len(cb.cases)
    assert all(counts.values()), counts
    pools = {
        "escalation_on_belief_or_views": raising,
        "statutory_step_without_concern": raising,
        "escalation_without_evidence": raising,
        "rests_on_restricted_intelligence": raising,
        "family_not_engaged": raising,
        "police_led_statutory_step": raising,
        "step_down_due": cases,
        "step_down_despite_concern": cases,
        "late_assessment": cases,
        "plan_not_linked": plans,
        "sharing_without_basis": shares,
        "shared_despite_refusal": shares,
    }
    rates = {name: counts[name] / pools[name] for name in FLAGS}
    assert all(rate <= 0.35 for rate in rates.values()), rates
    assert raised_decisions / decisions < 0.5, (raised_decisions, decisions)


def test_annex_a_workbook_tells_the_same_stories(tmp_path):
    """``casekit synth --annex-a`` is made from the same cases: same children, ages, dates."""
    path = tmp_path / "annex.xlsx"
    args = ["--seed", "2", "--cases", "1500", "--radicalisation-share", "0.05"]
    assert main(["synth", "--annex-a", str(path), *args]) == 0
    assert main(["synth", "--out", str(tmp_path / "b"), *args]) == 0
    cb = casekit.load(tmp_path / "b")
    lists = pd.read_excel(path, sheet_name=None)
    referrals, contacts = lists["List 3"], lists["List 1"]
    born = pd.to_datetime(referrals["Date of Birth"])
    referred = pd.to_datetime(referrals["Date of Referral"])
    assert sorted(referred.dt.strftime("%Y-%m-%d")) == sorted(
        cb.cases["opened"].dt.strftime("%Y-%m-%d")
    )
    assert sorted(born.dt.strftime("%Y-%m")) == sorted(cb.cases["child_birth_month"])
    age = (referred.dt.year - born.dt.year) * 12 + referred.dt.month - born.dt.month
    assert (born <= referred).all() and (age // 12).between(0, 17).all()
    dob = dict(zip(referrals["Child Unique ID"], born, strict=False))
    contact_born = contacts["Child Unique ID"].map(dob)
    known = contact_born.notna()
    assert (pd.to_datetime(contacts.loc[known, "Date of Contact"]) >= contact_born[known]).all()


def _measure() -> None:
    """Print how many records break each rule, per bundle (a measurement, not a test)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for seed, n in BUNDLES:
            cb = make(Path(tmp), seed, n)
            counts = {rule: len(fn(cb)) for rule, fn in RULES.items()}
            print(f"seed {seed}, cases {n or 'default'}: {counts}", flush=True)
            if "-v" in sys.argv:
                for rule, fn in RULES.items():
                    for line in fn(cb)[:3]:
                        print(f"   {rule}: {line}")


if __name__ == "__main__":
    _measure()

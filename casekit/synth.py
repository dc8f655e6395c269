"""Generate a realistic, deterministic synthetic case bundle.

About half the cases are radicalisation (Prevent) cases, calibrated to the Home Office figures
for 2023/24 (referral sources, ideology, age bands, gender, Channel adoption); the rest are other
safeguarding cases, a "business as usual" baseline with comparable evidence profiles. Each case
follows a story (an *archetype*): belief or views only, online influence, extremist behaviour,
restricted intelligence, family context. Proportionate and disproportionate responses both
occur, so every proportionality flag in the practice principles arises at a plausible rate.

The same seed always gives byte-identical files: the generator uses Python's ``random`` (whose
sequences are stable across Python versions) and fixed default dates.

>>> tables = generate(seed=1, n_cases=20, n_teams=2)
>>> len(tables["cases"]), sorted(tables)[:3]
(20, ['cases', 'decisions', 'events'])
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from .contract import CHANNEL, RUNG, TABLES
from .errors import CasekitError
from .narratives import (
    ENGAGEMENT_TEXT,
    EVENT_TEXT,
    PLAN_TEXT,
    RATIONALE,
    SCREENING,
    SLOTS,
    SUPERVISION_TEXT,
)

__all__ = ["generate", "DEFAULT_START", "DEFAULT_END", "CALIBRATION"]

DEFAULT_START = dt.date(2021, 4, 1)
DEFAULT_END = dt.date(2025, 3, 31)

# Shares (per cent) for radicalisation cases, from the 2023/24 Prevent statistics release
# (shared/reference/prevent_statistics.csv). Groups the release does not give share the rest.
CALIBRATION: dict[str, dict[str, float]] = {
    "referral_source": {
        "education": 40,
        "police": 28,
        "health": 10,
        "local_authority": 9,
        "family": 5,
        "community": 4,
        "self": 1,
        "other": 3,
    },
    "ideology": {
        "no_ideology": 36,
        "extreme_right_wing": 19,
        "conflicted": 18,
        "islamist": 13,
        "extreme_violence_fascination": 6,
        "left_anarchist_single_issue": 3,
        "other": 5,
    },
    "age_band": {"10_and_under": 8, "11_to_15": 69, "16_to_17": 23},
    "child_gender": {"male": 90, "female": 9, "unknown": 1},
    "channel": {"adopted": 7, "not_adopted": 93},
    "panel": {"discussed": 13, "not_discussed": 87},
}
_BAU = {
    "referral_source": {
        "police": 25,
        "education": 22,
        "health": 18,
        "local_authority": 15,
        "family": 8,
        "community": 4,
        "self": 3,
        "other": 5,
    },
    "concern": {
        "neglect": 35,
        "domestic_abuse": 25,
        "exploitation": 15,
        "mental_health": 15,
        "other": 10,
    },
    "child_gender": {"male": 51, "female": 47, "other": 1, "unknown": 1},
}
_ETHNICITY = {"white": 64, "asian": 15, "black": 8, "mixed": 8, "other": 3, "unknown": 2}
_RELIGION = {
    "none": 34,
    "christian": 20,
    "muslim": 18,
    "hindu": 2,
    "sikh": 2,
    "jewish": 1,
    "buddhist": 1,
    "other": 2,
    "not_recorded": 20,
}
_SOURCE_AGENCY = {
    "education": "education",
    "police": "police",
    "health": "health",
    "local_authority": "social_care",
    "family": "family",
    "community": "community",
    "self": "social_care",
    "other": "other",
}
_RAD_ARCHETYPES = {
    "belief_views": 30,
    "online_influence": 33,
    "behaviour": 15,
    "intelligence": 8,
    "family_association": 14,
}
_BAU_ARCHETYPES = {"context_only": 45, "harm": 55}
# Categories each archetype's chronology draws on, with weights.
_MIX: dict[str, dict[str, int]] = {
    "belief_views": {
        "belief_practice": 5,
        "views_expressed": 5,
        "vulnerability": 3,
        "protective": 3,
        "aspiration": 2,
        "community_context": 1,
        "agency_action": 2,
    },
    "online_influence": {
        "vulnerability": 5,
        "influence_grooming": 4,
        "views_expressed": 2,
        "protective": 3,
        "aspiration": 2,
        "agency_action": 2,
        "community_context": 1,
    },
    "behaviour": {
        "extremist_behaviour": 4,
        "influence_grooming": 3,
        "harm": 2,
        "vulnerability": 3,
        "protective": 2,
        "aspiration": 1,
        "agency_action": 2,
        "views_expressed": 1,
    },
    "intelligence": {
        "vulnerability": 4,
        "views_expressed": 2,
        "protective": 3,
        "aspiration": 2,
        "agency_action": 2,
        "belief_practice": 1,
    },
    "family_association": {
        "family_context": 5,
        "community_context": 2,
        "belief_practice": 2,
        "protective": 3,
        "aspiration": 2,
        "agency_action": 2,
        "vulnerability": 1,
    },
    "context_only": {
        "vulnerability": 5,
        "family_context": 4,
        "community_context": 1,
        "protective": 3,
        "aspiration": 2,
        "agency_action": 2,
    },
    "harm": {
        "harm": 5,
        "vulnerability": 4,
        "family_context": 3,
        "protective": 2,
        "aspiration": 1,
        "agency_action": 2,
    },
}
_REFERRAL_CATEGORY = {
    "belief_views": ("views_expressed", "belief_practice"),
    "online_influence": ("influence_grooming", "vulnerability"),
    "behaviour": ("extremist_behaviour",),
    "intelligence": ("influence_grooming",),
    "family_association": ("family_context",),
    "context_only": ("vulnerability", "family_context"),
    "harm": ("harm",),
}
_CONCERN = ("influence_grooming", "extremist_behaviour", "harm")
_LEVEL = {"family_context": "family", "community_context": "community"}
_IMPACT = {
    "protective": "positive",
    "aspiration": "positive",
    "harm": "negative",
    "extremist_behaviour": "negative",
    "influence_grooming": "negative",
    "vulnerability": "negative",
    "agency_action": "neutral",
    "belief_practice": "neutral",
    "views_expressed": "neutral",
}
_KINDS = {
    "agency_action": ("meeting", "visit", "assessment", "information_shared"),
    "protective": ("visit", "observation", "meeting"),
    "aspiration": ("visit", "meeting"),
    "harm": ("incident", "disclosure"),
    "extremist_behaviour": ("incident", "observation"),
    "engagement": ("visit", "meeting"),
}
_AGENCIES = {
    "education": 30,
    "social_care": 25,
    "police": 10,
    "health": 10,
    "family": 10,
    "community": 5,
    "youth_justice": 3,
    "voluntary_sector": 5,
    "housing": 2,
}
_TEAM_NAMES = (
    "North Locality",
    "South Locality",
    "East Locality",
    "West Locality",
    "Central Locality",
    "Riverside",
    "Hillside",
    "Coastal",
    "Valley",
    "Parkside",
)


def _quota(rng: random.Random, shares: dict[str, float], n: int) -> list[str]:
    """Allocate ``n`` items to groups in exact proportion (largest remainder), then shuffle."""
    total = sum(shares.values())
    exact = {k: n * v / total for k, v in shares.items()}
    counts = {k: int(x) for k, x in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[
        : n - sum(counts.values())
    ]:
        counts[k] += 1
    items = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(items)
    return items


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class _Event:
    day: int
    category: str
    kind: str
    agency: str
    level: str
    text: str
    significance: str = "medium"
    evidence: str = "reported"
    restricted: bool = False
    recorded: int | None = None
    precision: str = "day"
    impact: str | None = None
    action: str = ""
    eid: str = ""


@dataclass
class _Case:
    cid: str
    child: str
    team: str
    worker: str
    opened: int
    closed: int | None
    source: str
    radical: bool
    archetype: str
    disproportionate: bool
    channel: bool = False
    panel: bool = False
    stuck: bool = False
    flags: list[str] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)


class _Generator:
    def __init__(self, seed: int, n_cases: int, n_teams: int, start: dt.date, end: dt.date):
        self.rng = random.Random(seed)
        self.n_cases, self.n_teams = n_cases, n_teams
        self.start, self.end = start.toordinal(), end.toordinal()
        width = max(5, len(str(n_cases)))
        self.case_fmt = f"C{{:0{width}d}}"
        self.rows: dict[str, list[tuple[str, ...]]] = {t: [] for t in TABLES}
        self.counters = {t: 0 for t in TABLES}
        self.widths = {
            "events": width + 1,
            "judgements": width,
            "decisions": width,
            "plan_actions": width,
            "info_sharing": width,
            "supervisions": width,
        }
        self._iso: dict[int, str] = {}

    # helpers
    def iso(self, day: int) -> str:
        text = self._iso.get(day)
        if text is None:
            text = self._iso[day] = dt.date.fromordinal(day).isoformat()
        return text

    def next_id(self, table: str) -> str:
        self.counters[table] += 1
        prefix = TABLES[table].id_prefix
        return f"{prefix}{self.counters[table]:0{self.widths[table]}d}"

    def text(self, templates: Sequence[str]) -> str:
        rng = self.rng
        template = rng.choice(templates).split("|")[-1]
        return template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})

    def entry(self, category: str) -> tuple[str, str]:
        """Pick a narrative for a category; return the level it is about and its text."""
        rng = self.rng
        level, _, template = rng.choice(EVENT_TEXT[category]).rpartition("|")
        text = template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})
        return level or _LEVEL.get(category, "child"), text

    # the pieces
    def teams_and_workers(self) -> dict[str, list[tuple[str, str]]]:
        rng = self.rng
        staff: dict[str, list[tuple[str, str]]] = {}
        for i in range(self.n_teams):
            tid = f"T{i + 1:02d}"
            name = _TEAM_NAMES[i] if i < len(_TEAM_NAMES) else f"Locality {i + 1}"
            self.rows["teams"].append((tid, name))
            roles = ["team_manager", "senior_practitioner"] + ["social_worker"] * rng.randint(3, 6)
            roles += ["family_support_worker"] * rng.randint(0, 2) + ["student"] * rng.randint(0, 1)
            staff[tid] = []
            for role in roles:
                wid = f"W{len(self.rows['workers']) + 1:03d}"
                fte = rng.choice(("1", "1", "1", "1", "0.8", "0.6", "0.5"))
                self.rows["workers"].append((wid, tid, role, fte))
                staff[tid].append((wid, role))
        return staff

    def cases(self, staff: dict[str, list[tuple[str, str]]]) -> list[_Case]:
        rng, n = self.rng, self.n_cases
        n_rad = n // 2
        radical = [True] * n_rad + [False] * (n - n_rad)
        rng.shuffle(radical)
        rad_source = iter(_quota(rng, CALIBRATION["referral_source"], n_rad))
        rad_ideology = iter(_quota(rng, CALIBRATION["ideology"], n_rad))
        rad_age = iter(_quota(rng, CALIBRATION["age_band"], n_rad))
        rad_gender = iter(_quota(rng, CALIBRATION["child_gender"], n_rad))
        rad_arch = iter(_quota(rng, _RAD_ARCHETYPES, n_rad))
        bau_source = iter(_quota(rng, _BAU["referral_source"], n - n_rad))
        bau_concern = iter(_quota(rng, _BAU["concern"], n - n_rad))
        bau_gender = iter(_quota(rng, _BAU["child_gender"], n - n_rad))
        bau_arch = iter(_quota(rng, _BAU_ARCHETYPES, n - n_rad))
        teams = list(staff)
        # (child_id, birth ordinal, gender, religion, ethnicity), for repeat episodes
        children: list[tuple[str, int, str, str, str]] = []
        out: list[_Case] = []
        span = self.end - self.start
        for i in range(n):
            cid = self.case_fmt.format(i + 1)
            opened = self.start + int(span * (i + rng.random()) / n)
            duration = int(rng.lognormvariate(5.0, 0.6))
            closed = opened + duration if opened + duration <= self.end else None
            team = teams[rng.randrange(len(teams))]
            workers = [w for w, role in staff[team] if role != "team_manager"]
            worker = "" if closed is None and rng.random() < 0.1 else rng.choice(workers)
            religion, ethnicity = _pick(rng, _RELIGION), _pick(rng, _ETHNICITY)
            if radical[i]:
                source, arch = next(rad_source), next(rad_arch)
                band = next(rad_age)
                age = {"10_and_under": (8, 10), "11_to_15": (11, 15), "16_to_17": (16, 17)}[band]
                gender = next(rad_gender)
                flags = ["radicalisation"] + (["mental_health"] if rng.random() < 0.15 else [])
                ideology = next(rad_ideology)
            else:
                source, arch = next(bau_source), next(bau_arch)
                age = (0, 17)
                gender = next(bau_gender)
                flags = [next(bau_concern)]
                ideology = ""
            lowest, highest = opened - (age[1] * 365 + 330), opened - (age[0] * 365 + 30)
            birth = rng.randint(lowest, highest)
            child = f"K{i + 1:0{len(cid) - 1}d}"
            if children and rng.random() < 0.08:  # a child known from an earlier episode
                earlier = children[rng.randrange(len(children))]
                if lowest <= earlier[1] <= highest and earlier[2] == gender:
                    child, birth, _, religion, ethnicity = earlier
            children.append((child, birth, gender, religion, ethnicity))
            if radical[i]:
                # Disproportionate escalation on weak evidence: more likely for Muslim children,
                # so that the equity analysis has something real to find.
                odds = 0.45 if religion == "muslim" else 0.25
                disprop = arch in ("belief_views", "family_association") and rng.random() < odds
            else:
                disprop = arch == "context_only" and rng.random() < 0.10
            born = dt.date.fromordinal(birth)
            case = _Case(
                cid,
                child,
                team,
                worker,
                opened,
                closed,
                source,
                radical[i],
                arch,
                disprop,
                flags=flags,
            )
            self.rows["cases"].append(
                (
                    cid,
                    child,
                    team,
                    worker,
                    self.iso(opened),
                    self.iso(closed) if closed else "",
                    source,
                    ";".join(flags),
                    ideology,
                    f"{born.year:04d}-{born.month:02d}",
                    gender,
                    ethnicity,
                    religion,
                )
            )
            out.append(case)
        self._channel_and_panel([c for c in out if c.radical])
        return out

    def _channel_and_panel(self, rad: list[_Case]) -> None:
        rng = self.rng
        n_channel = round(len(rad) * CALIBRATION["channel"]["adopted"] / 100)
        n_panel = round(len(rad) * CALIBRATION["panel"]["discussed"] / 100)
        order = sorted(
            rad, key=lambda c: (c.archetype not in ("online_influence", "behaviour"), rng.random())
        )
        for c in order[:n_channel]:
            c.channel = True
        for c in order[:n_panel]:
            c.panel = True

    def chronology(self, case: _Case) -> None:
        rng = self.rng
        last = case.closed or self.end
        agency = _SOURCE_AGENCY[case.source]
        evs = case.events
        if rng.random() < 0.3:  # history learned at referral, with uncertain dates
            for _ in range(rng.randint(1, 2)):
                back = case.opened - rng.randint(120, 1100)
                precision = rng.choice(("month", "year"))
                d = dt.date.fromordinal(back)
                day = d.replace(day=1) if precision == "month" else d.replace(month=1, day=1)
                cat = rng.choice(("family_context", "vulnerability", "protective"))
                level, text = self.entry(cat)
                evs.append(
                    _Event(
                        day.toordinal(),
                        cat,
                        "other",
                        rng.choice(("family", "health", "education")),
                        level,
                        text,
                        significance="low",
                        evidence="disclosed",
                        recorded=case.opened,
                        precision=precision,
                    )
                )
        ref_cat = rng.choice(_REFERRAL_CATEGORY[case.archetype])
        restricted = case.archetype == "intelligence"
        evs.append(
            _Event(
                case.opened,
                ref_cat,
                "referral",
                "police" if restricted else agency,
                *self.entry(ref_cat),
                significance="high" if ref_cat in _CONCERN else "medium",
                evidence="intelligence" if restricted else "reported",
                restricted=restricted,
                recorded=case.opened + (rng.randint(5, 40) if restricted else 0),
            )
        )
        if restricted:
            for _ in range(rng.randint(1, 2)):
                day = min(last, case.opened + rng.randint(5, 60))
                cat = rng.choice(("influence_grooming", "extremist_behaviour"))
                evs.append(
                    _Event(
                        day,
                        cat,
                        "information_shared",
                        "police",
                        "child",
                        self.text(EVENT_TEXT[cat]),
                        significance="high",
                        evidence="intelligence",
                        restricted=True,
                        recorded=day + rng.randint(3, 30),
                    )
                )
        if case.radical:  # Prevent screening gathers partners' information first
            day = min(last, case.opened + rng.randint(1, 7))
            evs.append(
                _Event(
                    day,
                    "agency_action",
                    "information_shared",
                    "social_care",
                    "child",
                    SCREENING,
                    evidence="agency_record",
                )
            )
        r = rng.random()
        if r < 0.03 and last - case.opened > 30:
            assess = None  # never assessed
        else:
            assess = case.opened + (rng.randint(1, 13) if r < 0.8 else rng.randint(16, 45))
        if assess is not None and assess <= last:
            evs.append(
                _Event(
                    assess,
                    "agency_action",
                    "assessment",
                    "social_care",
                    "child",
                    "Assessment started; the young person and family were seen.",
                    evidence="observed",
                    significance="medium",
                )
            )
        n_body = min(40, 3 + int((last - case.opened) / 45) + rng.randint(0, 3))
        mix = _MIX[case.archetype]
        for _ in range(n_body):
            cat = _pick(rng, mix)
            day = rng.randint(case.opened, last)
            kind = rng.choice(_KINDS.get(cat, ("contact", "visit", "observation", "disclosure")))
            source = _pick(rng, _AGENCIES) if cat != "agency_action" else "social_care"
            evidence = rng.choice(("observed", "disclosed", "reported", "agency_record"))
            restricted_e = source == "police" and rng.random() < 0.2
            level, text = self.entry(cat)
            evs.append(
                _Event(
                    day,
                    cat,
                    kind,
                    source,
                    level,
                    text,
                    significance=rng.choice(("low", "medium", "medium", "high"))
                    if cat not in _CONCERN
                    else rng.choice(("medium", "high")),
                    evidence="intelligence" if restricted_e else evidence,
                    restricted=restricted_e,
                    recorded=day + (rng.randint(1, 25) if rng.random() < 0.12 else 0),
                )
            )
        for _ in range(rng.randint(1, 3)):
            style = _pick(rng, {"genuine": 6, "partial": 3, "disguised": 1.5, "none": 0.5})
            day = rng.randint(case.opened, last)
            evs.append(
                _Event(
                    day,
                    "engagement",
                    rng.choice(_KINDS["engagement"]),
                    "social_care",
                    "family",
                    self.text(ENGAGEMENT_TEXT[style]),
                    evidence="observed",
                    impact="positive" if style == "genuine" else "negative",
                )
            )
        if rng.random() < 0.15:
            day = rng.randint(case.opened, last)
            evs.append(
                _Event(
                    day,
                    "protective",
                    "family_group_conference",
                    "social_care",
                    "family",
                    "Family group conference held; the family agreed their "
                    "own plan with support from relatives.",
                    evidence="observed",
                    significance="high",
                )
            )
        if case.panel:
            day = min(last, case.opened + rng.randint(20, 70))
            evs.append(
                _Event(
                    day,
                    "agency_action",
                    "panel",
                    "social_care",
                    "child",
                    "Case discussed at the multi-agency Channel panel.",
                    evidence="agency_record",
                )
            )
        if case.closed:
            evs.append(
                _Event(
                    case.closed,
                    "agency_action",
                    "closure",
                    "social_care",
                    "child",
                    "Case closed; the family were told and given contacts for support.",
                    evidence="agency_record",
                    significance="low",
                )
            )
        evs.sort(key=lambda e: (e.day, e.kind != "referral"))
        for e in evs:
            e.eid = self.next_id("events")
            recorded = max(e.recorded if e.recorded is not None else e.day, e.day)
            recorded = min(recorded, self.end)
            impact = (
                e.impact
                or _IMPACT.get(e.category)
                or rng.choice(("negative", "unknown", "neutral"))
            )
            significance = "" if rng.random() < 0.03 else e.significance
            self.rows["events"].append(
                (
                    e.eid,
                    case.cid,
                    self.iso(e.day),
                    e.precision,
                    self.iso(recorded),
                    e.agency,
                    e.kind,
                    e.text,
                    e.category,
                    e.level,
                    significance,
                    impact,
                    e.evidence,
                    "true" if e.restricted else "false",
                    "Discussed with the family." if e.kind in ("visit", "meeting") else "",
                    case.worker or e.agency,
                )
            )

    def _evidence(self, case: _Case, before: int, cats: Sequence[str], k: int) -> list[_Event]:
        known = [e for e in case.events if e.day <= before and e.category in cats]
        return self.rng.sample(known, min(k, len(known)))

    def decisions(self, case: _Case) -> list[tuple[int, str, list[str]]]:
        rng = self.rng
        last = case.closed or self.end
        first = min(last, case.opened + rng.randint(5, 40))
        concern = [c for c in _CONCERN]
        a = case.archetype
        if a == "belief_views":
            path = (
                ["child_in_need"]
                if case.disproportionate
                else [rng.choice(("no_further_action", "signposted", "signposted", "early_help"))]
            )
        elif a == "family_association":
            path = ["child_in_need"] if case.disproportionate else ["early_help"]
        elif a == "online_influence":
            path = [rng.choice(("early_help", "early_help", "child_in_need"))]
        elif a == "behaviour":
            path = ["child_in_need"] + (["section_47"] if rng.random() < 0.5 else [])
            path += ["child_protection_plan"] if len(path) == 2 and rng.random() < 0.4 else []
        elif a == "intelligence":
            path = [rng.choice(("child_in_need", "section_47"))]
        elif a == "context_only":
            path = (
                ["child_in_need"]
                if case.disproportionate
                else [rng.choice(("no_further_action", "signposted", "early_help", "early_help"))]
            )
        else:
            path = ["child_in_need"] + (["section_47"] if rng.random() < 0.4 else [])
            path += ["child_protection_plan"] if len(path) == 2 and rng.random() < 0.5 else []
        if case.channel:  # the panel adopts the case first; statutory steps may follow
            path = ["channel_support"] + [p for p in path if RUNG[p] >= RUNG["section_47"]]
        case.stuck = path[-1] in ("child_in_need", "channel_support") and rng.random() < 0.2
        steps: list[tuple[int, str, list[str]]] = []
        day = first
        for response in path:
            if day > last:
                break
            if a in ("belief_views", "family_association", "context_only") or (a == "intelligence"):
                cats = (
                    _MIX[a]
                    if a != "intelligence"
                    else ("influence_grooming", "extremist_behaviour")
                )
            else:
                cats = concern
            k = 0 if rng.random() < 0.07 else rng.randint(1, 3)
            ev = [e.eid for e in self._evidence(case, day, cats, k)]
            if a == "intelligence":
                ev = [e.eid for e in case.events if e.day <= day and e.restricted][:3] or ev
            steps.append((day, response, ev))
            day += rng.randint(20, 80)
        high = any(s[1] == CHANNEL or RUNG[s[1]] >= RUNG["child_in_need"] for s in steps)
        if case.closed and high:
            step_down = (
                case.closed - rng.randint(0, 5)
                if case.stuck
                else max(steps[-1][0] + 30, case.closed - rng.randint(10, 120))
            )
            if steps[-1][0] < step_down <= case.closed:
                ev = [
                    e.eid
                    for e in self._evidence(
                        case, step_down, ("protective", "aspiration", "engagement"), 2
                    )
                ]
                steps.append((step_down, rng.choice(("early_help", "no_further_action")), ev))
        return steps

    def write_decisions(self, case: _Case, steps: list[tuple[int, str, list[str]]]) -> list[str]:
        rng = self.rng
        ids = []
        for day, response, ev in steps:
            did = self.next_id("decisions")
            ids.append(did)
            statutory = response in ("section_47", "child_protection_plan", "proceedings")
            lead = (
                "police"
                if statutory and rng.random() < 0.3
                else "multi_agency"
                if response == "channel_support"
                else rng.choice(("social_care", "social_care", "social_care", "education"))
            )
            engaged = rng.random() > (0.35 if case.disproportionate else 0.12)
            self.rows["decisions"].append(
                (
                    did,
                    case.cid,
                    self.iso(day),
                    response,
                    lead,
                    "true" if engaged else "false",
                    rng.choice(RATIONALE[response]),
                    ";".join(ev),
                    case.worker or "duty team",
                )
            )
        return ids

    def judgements(self, case: _Case, steps: list[tuple[int, str, list[str]]]) -> None:
        rng = self.rng
        last = case.closed or self.end
        base = {
            "belief_views": 8,
            "online_influence": 6,
            "behaviour": 3,
            "intelligence": 5,
            "family_association": 6,
            "context_only": 7,
            "harm": 4,
        }[case.archetype]
        if case.stuck:
            base = 8
        n = max(1, min(8, (last - case.opened) // 60))
        for j in range(n):
            day = min(last, case.opened + 10 + j * rng.randint(40, 70))
            for level in ("child", "family", "community"):
                if level == "community" and rng.random() < 0.6:
                    continue
                if case.stuck:
                    scale = rng.randint(7, 9)
                else:
                    scale = max(0, min(10, base + j + rng.randint(-2, 1)))
                ev = [
                    e.eid
                    for e in self._evidence(
                        case, day, tuple(_MIX[case.archetype]), rng.randint(0, 2)
                    )
                ]
                self.rows["judgements"].append(
                    (
                        self.next_id("judgements"),
                        case.cid,
                        self.iso(day),
                        level,
                        str(scale),
                        "Scaled with the family at a review meeting.",
                        ";".join(ev),
                        case.worker or "duty team",
                    )
                )

    def plans(self, case: _Case, steps: list[tuple[int, str, list[str]]]) -> None:
        rng = self.rng
        if not steps or steps[0][1] in ("no_further_action", "signposted"):
            return
        last = case.closed or self.end
        for _ in range(rng.randint(1, 4)):
            created = min(last, steps[0][0] + rng.randint(0, 20))
            level = rng.choice(("child", "child", "family", "community"))
            ev = (
                []
                if rng.random() < 0.12
                else [
                    e.eid
                    for e in self._evidence(
                        case, created, tuple(_MIX[case.archetype]), rng.randint(1, 2)
                    )
                ]
            )
            due = created + rng.randint(14, 90)
            completed = created + rng.randint(7, 120)
            done = completed <= last and rng.random() < 0.75
            self.rows["plan_actions"].append(
                (
                    self.next_id("plan_actions"),
                    case.cid,
                    self.iso(created),
                    rng.choice(PLAN_TEXT[level]),
                    level,
                    "social_care"
                    if level != "child"
                    else rng.choice(("education", "health", "social_care", "voluntary_sector")),
                    self.iso(min(due, self.end)) if due <= self.end or rng.random() < 0.5 else "",
                    self.iso(completed) if done else "",
                    ";".join(ev),
                )
            )

    def sharing(self, case: _Case) -> None:
        rng = self.rng
        last = case.closed or self.end
        for _ in range(rng.randint(0, 3)):
            day = rng.randint(case.opened, last)
            frm, to = rng.choice(
                (
                    ("police", "social_care"),
                    ("education", "social_care"),
                    ("social_care", "police"),
                    ("health", "social_care"),
                    ("social_care", "education"),
                )
            )
            basis = _pick(
                rng,
                {
                    "public_task": 50,
                    "legal_obligation": 15,
                    "consent": 20,
                    "legitimate_interests": 5,
                    "vital_interests": 2,
                    "not_recorded": 6,
                },
            )
            consent = (
                "given"
                if basis == "consent"
                else _pick(rng, {"given": 40, "not_sought": 45, "refused": 15})
            )
            reason = (
                "Seeking consent would place the young person at risk of harm."
                if consent == "not_sought" and rng.random() < 0.85
                else ""
            )
            purpose = (
                ""
                if rng.random() < 0.04
                else rng.choice(
                    (
                        "To assess risk and plan support.",
                        "To prepare for the Channel panel.",
                        "To agree a joint safety plan.",
                    )
                )
            )
            restricted = frm == "police" and rng.random() < 0.4
            self.rows["info_sharing"].append(
                (
                    self.next_id("info_sharing"),
                    case.cid,
                    self.iso(day),
                    frm,
                    to,
                    "Summary of recent contact and concerns.",
                    purpose,
                    basis,
                    consent,
                    reason,
                    "true" if restricted else "false",
                )
            )

    def supervision(
        self, case: _Case, steps: list[tuple[int, str, list[str]]], decision_ids: list[str]
    ) -> None:
        rng = self.rng
        if rng.random() > 0.4 or not steps:
            return
        k = rng.randrange(len(steps))
        texts = [
            rng.choice(SUPERVISION_TEXT[s])
            for s in ("experience", "reflection", "analysis", "actions", "hypotheses", "graces")
        ]
        self.rows["supervisions"].append(
            (
                self.next_id("supervisions"),
                case.cid,
                self.iso(steps[k][0]),
                "team manager",
                case.worker or "duty team",
                *texts,
                decision_ids[k],
            )
        )

    def run(self) -> dict[str, pd.DataFrame]:
        staff = self.teams_and_workers()
        for case in self.cases(staff):
            self.chronology(case)
            steps = self.decisions(case)
            ids = self.write_decisions(case, steps)
            self.judgements(case, steps)
            self.plans(case, steps)
            self.sharing(case)
            self.supervision(case, steps, ids)
            case.events.clear()  # free memory as we go
        return {
            t: pd.DataFrame(rows, columns=generated_columns(t), dtype=object)
            for t, rows in self.rows.items()
        }


NOT_GENERATED: dict[str, tuple[str, ...]] = {
    "events": ("seen_alone",),
    "info_sharing": ("override_reason",),
}
"""Optional contract columns the generator does not fill yet (so its bundles leave them out)."""


def generated_columns(table: str) -> list[str]:
    """List the columns the generator writes for a table.

    They are the contract's columns, in order, less :data:`NOT_GENERATED`.
    """
    skip = NOT_GENERATED.get(table, ())
    return [c for c in TABLES[table].column_names if c not in skip]


def generate(
    seed: int = 0,
    n_cases: int = 360,
    n_teams: int = 6,
    start: dt.date = DEFAULT_START,
    end: dt.date = DEFAULT_END,
) -> dict[str, pd.DataFrame]:
    """Generate every contract table as canonical strings, ready to write as a bundle.

    Raises :class:`~casekit.errors.CasekitError` for impossible settings (no cases, dates out
    of order, an end date in the future).
    """
    if n_cases < 2:
        raise CasekitError(f"--cases must be at least 2 (got {n_cases}).")
    if not 1 <= n_teams <= 99:
        raise CasekitError(f"--teams must be from 1 to 99 (got {n_teams}).")
    if (end - start).days < 180:
        raise CasekitError(
            f"--start {start} and --end {end} must be at least 180 days apart, start first."
        )
    if end > dt.date.today():
        raise CasekitError(
            f"--end {end} is in the future; synthetic records cannot be dated after today."
        )
    return _Generator(seed, n_cases, n_teams, start, end).run()

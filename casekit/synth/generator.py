"""Generate a realistic, deterministic synthetic case bundle.

A share of the cases (``radicalisation_share``, 15% by default: over-sampled so that a team
review has some) are radicalisation (Prevent) cases, calibrated to the Home Office figures for
2023/24 (referral sources, ideology, age bands, gender, Channel adoption); the rest are other
safeguarding cases (neglect, domestic abuse, exploitation, mental health), a "business as
usual" baseline that records belief and views too. Each case follows a story (an
*archetype*): belief or views only, online influence, extremist behaviour, restricted
intelligence, family context, context only, harm. Every entry is written from the case's own
story: the child's age on that date (from ``child_birth_month``) and recorded religion, the
events recorded so far, and the decisions and judgements made; rationales, sharing records and
supervision records quote the events they rest on. Proportionate and disproportionate
responses both occur, so every proportionality flag arises at a plausible rate. Teams are
staffed for about 16 open cases per FTE social worker at the end date.

The same seed always gives byte-identical files: the generator uses Python's ``random`` (whose
sequences are stable across Python versions) and fixed default dates.

>>> tables = generate(seed=1, n_cases=20, n_teams=2)
>>> len(tables["cases"]), sorted(tables)[:3]
(20, ['cases', 'decisions', 'events'])
"""

from __future__ import annotations

import datetime as dt
import random
import re
from bisect import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TypeVar

import pandas as pd

from casekit.contract import CHANNEL, RUNG, TABLES
from casekit.errors import CasekitError
from casekit.policy import STEP_DOWN_MIN_SCALE, bank_holidays
from casekit.synth.narratives import (
    ASSESSMENT_DONE,
    ENGAGEMENT_LINES,
    EVENT_LINES,
    FAITHS,
    INTEL_LINES,
    NOT_SOUGHT_REASONS,
    OVERRIDE_REASONS,
    PLAN_LINES,
    SCREENING,
    SLOTS,
    SPECIFIC_FAITHS,
    VISIT_LINES,
    Line,
)

__all__ = [
    "generate",
    "generate_rows",
    "check_settings",
    "Area",
    "DEFAULT_START",
    "DEFAULT_END",
    "DEFAULT_RADICALISATION_SHARE",
    "CALIBRATION",
]

DEFAULT_START = dt.date(2021, 4, 1)
DEFAULT_END = dt.date(2025, 3, 31)
DEFAULT_RADICALISATION_SHARE = 0.15
"""Share of cases that are radicalisation cases: over-sampled (nationally far fewer) so that a
team review has some; ``casekit synth --radicalisation-share`` changes it."""

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
_MIX: dict[str, dict[str, float]] = {
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
        "belief_practice": 0.5,
        "views_expressed": 0.5,
        "vulnerability": 5,
        "family_context": 4,
        "community_context": 1,
        "protective": 3,
        "aspiration": 2,
        "agency_action": 2,
    },
    "harm": {
        "belief_practice": 0.5,
        "views_expressed": 0.5,
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
_KINDS = {
    "agency_action": ("meeting", "visit", "information_shared"),
    "protective": ("visit", "observation", "meeting"),
    "aspiration": ("visit", "meeting"),
    "harm": ("incident", "disclosure"),
    "extremist_behaviour": ("incident", "observation"),
    "influence_grooming": ("observation", "disclosure", "contact"),
    "engagement": ("visit", "meeting"),
}
# Who records each category of entry (education becomes health for a child under 4).
_CAT_AGENCY: dict[str, dict[str, float]] = {
    "belief_practice": {"education": 4, "family": 2, "community": 2, "social_care": 2},
    "views_expressed": {"education": 5, "social_care": 3, "voluntary_sector": 1, "family": 1},
    "influence_grooming": {"education": 4, "police": 2, "family": 2, "social_care": 2},
    "extremist_behaviour": {"education": 5, "police": 3, "youth_justice": 1},
    "harm": {"police": 3, "health": 3, "education": 3, "social_care": 2},
    "vulnerability": {"education": 4, "health": 3, "social_care": 3},
    "family_context": {"social_care": 4, "health": 2, "housing": 2, "police": 1},
    "community_context": {"community": 3, "police": 1, "social_care": 2},
    "protective": {"social_care": 4, "education": 3, "family": 2, "voluntary_sector": 1},
    "aspiration": {"social_care": 3, "family": 2},
}
_AGENCY_NOUN = {
    "education": "the school",
    "police": "the police",
    "health": "health",
    "social_care": "children's social care",
    "family": "the family",
    "community": "a community member",
    "youth_justice": "the youth justice service",
    "housing": "housing",
    "voluntary_sector": "the voluntary sector service",
    "other": "another agency",
}
_OPENING = {
    "no_further_action": "No further action.",
    "signposted": "Signposted to universal services.",
    "early_help": "Early help offered.",
    "child_in_need": "Child in need plan agreed.",
    "section_47": "Section 47 enquiry started after a strategy discussion.",
    "child_protection_plan": "Child protection plan agreed at the initial conference.",
    "proceedings": "Threshold for proceedings met at the legal planning meeting.",
    CHANNEL: "The Channel panel adopted the case, with a parent's consent.",
}
_STEP_DOWN = {
    "no_further_action": "Closed to children's social care.",
    "signposted": "Stepped down to universal services.",
    "early_help": "Stepped down to early help.",
    "child_in_need": "Stepped down to a child in need plan.",
}
OFFICE_KINDS = ("assessment", "assessment_completed", "visit", "meeting", "panel", "closure")
"""Event kinds that happen in office hours: on working days only."""
_S47_OUTCOME = (
    "Section 47 enquiry concluded: the child is in need but not at risk of significant harm, "
    "so a child in need plan was agreed."
)
_LEARNING = {
    "belief_views": "The worker is learning to tell belief from behaviour, and to say so in the "
    "record.",
    "online_influence": "The worker is learning how online grooming works, and how to talk "
    "about it with {child} without blame.",
    "behaviour": "The worker is learning to plan safety with {child} while keeping the "
    "relationship.",
    "intelligence": "The worker is learning to weigh police information that the family cannot "
    "see.",
    "family_association": "The worker is learning to separate a parent's history from "
    "{child}'s own story.",
    "context_only": "The worker is learning to assess the family's circumstances without "
    "reading them as risk.",
    "harm": "The worker is learning about {concern} and what helps a family protect {child}.",
}
_VOICE_YOUNG = '"I like it when we play at home. I want my family to be happy."'
_VOICE_OLDER = '"I want things to calm down at home and to be listened to."'
_VOICE_RADICAL = {
    "belief_views": '"I am allowed to have my faith and my opinions. I am not dangerous."',
    "family_association": '"I am not my family\'s past. I want people to see me."',
    "online_influence": '"Online they understood me. Now I am not sure who to trust."',
}


def _serves(response: str) -> str:
    """Say whose interests a decision serves: the family's always, the partners' when shared."""
    if response == CHANNEL or RUNG.get(response, 0) >= RUNG["section_47"]:
        return "child and family, organisation, partner agencies"
    return "child and family, organisation"


_STRENGTHS = ("protective", "aspiration")
_NAMED = (  # what a decision can name when nothing of the kind it expects is known yet
    "harm", "extremist_behaviour", "influence_grooming", "vulnerability", "family_context",
    "views_expressed", "belief_practice", "community_context",
)  # fmt: skip
_BELIEF = ("belief_practice", "views_expressed")
_FAITH_OK = {
    "any": None,
    "has": (*SPECIFIC_FAITHS, "other", "not_recorded"),
    "specific": SPECIFIC_FAITHS,
    "none": ("none",),
}
_BAU_AGES = {
    "neglect": (0, 15),
    "domestic_abuse": (0, 17),
    "exploitation": (12, 17),
    "mental_health": (11, 17),
    "other": (0, 17),
}
_FIELDS = re.compile(r"{(\w+)}")


T = TypeVar("T")
_DAY_TEXT: dict[int, str] = {}
_MONTH: dict[int, int] = {}


def _day_text(day: int) -> str:
    """Write a day as "3 May 2024", the way records quote dates."""
    text = _DAY_TEXT.get(day)
    if text is None:
        d = dt.date.fromordinal(day)
        text = _DAY_TEXT[day] = f"{d.day} {d:%B %Y}"
    return text


def _month(day: int) -> int:
    """Count the months from year 0 to the month of ``day``."""
    m = _MONTH.get(day)
    if m is None:
        d = dt.date.fromordinal(day)
        m = _MONTH[day] = d.year * 12 + d.month - 1
    return m


def _quote(summary: str) -> str:
    return summary.rstrip(".")


def _quota(rng: random.Random, shares: Mapping[str, float], n: int) -> list[str]:
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


_CUMULATIVE: dict[int, tuple[list[str], list[float]]] = {}


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    """Pick a key with probability in proportion to its weight (one random number)."""
    table = _CUMULATIVE.get(id(weights))
    if table is None or len(table[0]) != len(weights):
        table = _CUMULATIVE[id(weights)] = (list(weights), list(accumulate(weights.values())))
    keys, cumulative = table
    return keys[bisect(cumulative, rng.random() * cumulative[-1])]


def _choice(rng: random.Random, options: Sequence[T]) -> T:
    """Pick one of ``options`` (one random number; faster than ``Random.choice``)."""
    return options[int(rng.random() * len(options))]


def _randint(rng: random.Random, a: int, b: int) -> int:
    """Pick a whole number from ``a`` to ``b`` (one random number)."""
    return a + int(rng.random() * (b - a + 1))


@dataclass(frozen=True)
class Area:
    """Where one part of a national dataset sits: its number, first case and random seed.

    A part is a self-contained casebook, like one local authority's: its own teams and
    workers, and ids that no other part uses. Case and child ids number every case of the
    dataset in turn (``first_case`` is how many come before this part; ``total_cases`` sets
    their width); every other id carries the part's number (``E00003-000001``), so ids are
    unique across the dataset though parts are generated apart. The default, no part, is a
    whole casebook, as :func:`generate` makes it.
    """

    part: int | None = None
    first_case: int = 0
    total_cases: int = 0
    seed: int | str = 0

    @property
    def namespace(self) -> str:
        """Return what the part's record ids carry after their letter ("" for no part)."""
        return "" if self.part is None else f"{self.part:05d}-"

    @property
    def team_suffix(self) -> str:
        """Return what the part's team names end with, so two areas' teams differ by name."""
        return "" if self.part is None else f", area {self.part:05d}"


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
    eid: str = ""
    style: str = ""  # engagement: genuine, partial, disguised, none
    noun: str = ""  # the recording agency as a record names it: "the school", "the police"
    tags: tuple[str, ...] = ()  # the concerns its entry is typical of
    alone: bool | None = None  # on a statutory visit: was the child seen alone

    @property
    def recorded_day(self) -> int:
        """Return the day it was recorded (set for every event once its case is built)."""
        return self.recorded if self.recorded is not None else self.day


@dataclass
class _Case:
    cid: str
    child: str
    team: str
    opened: int
    closed: int | None
    source: str
    radical: bool
    archetype: str
    disproportionate: bool
    birth: int  # the first day of the birth month
    religion: str
    row: list[str]
    worker: str = ""
    channel: bool = False
    panel: bool = False
    stuck: bool = False
    improving: bool = True
    quiet: bool = False  # worries early, strengths late: the story settles before the end
    concern: str = ""  # the other safeguarding concern, for a business-as-usual case
    panel_day: int | None = None  # the Channel panel that discussed (and may adopt) the case
    events: list[_Event] = field(default_factory=list)
    judged: list[tuple[int, str, int]] = field(default_factory=list)
    used: set[int] = field(default_factory=set)

    def age(self, day: int) -> int:
        """Age in whole years on ``day``, counted from the first day of the birth month."""
        return (_month(day) - _month(self.birth)) // 12

    def known(self, day: int, cats: Sequence[str] | None = None) -> list[_Event]:
        """Events recorded on or before ``day`` (of the given categories)."""
        return [
            e
            for e in self.events
            if e.recorded is not None and e.recorded <= day and (cats is None or e.category in cats)
        ]


class _Generator:
    def __init__(
        self,
        seed: int,
        n_cases: int,
        n_teams: int,
        start: dt.date,
        end: dt.date,
        radicalisation_share: float,
        area: Area | None = None,
    ):
        self.rng = random.Random(seed if area is None else area.seed)
        self.n_cases, self.n_teams = n_cases, n_teams
        self.share = radicalisation_share
        self.start, self.end = start.toordinal(), end.toordinal()
        self.area = area or Area()
        self.ns = self.area.namespace
        width = max(5, len(str(n_cases)))
        self.case_fmt = f"C{{:0{max(5, len(str(self.area.total_cases or n_cases)))}d}}"
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
        first, last = start.year - 1, end.year + 2
        self._holidays = {
            d.astype(dt.date).toordinal() for d in bank_holidays(first, last)
        }  # fmt: skip
        self._lines: dict[tuple[str, str, int, str], list[Line]] = {}
        self._slots: dict[tuple[str, int], list[str]] = {}

    # helpers
    def iso(self, day: int) -> str:
        text = self._iso.get(day)
        if text is None:
            text = self._iso[day] = dt.date.fromordinal(day).isoformat()
        return text

    def working(self, day: int) -> bool:
        """Say whether ``day`` is a working day (no weekend, no England-and-Wales bank holiday)."""
        return day % 7 not in (0, 6) and day not in self._holidays

    def workday(self, day: int, last: int | None = None) -> int:
        """Move ``day`` on to the next working day, or back to the one before ``last``.

        Offices decide, assess, visit and close on working days; without ``last`` the day may
        move past the end of the record, with it never past ``last``.
        """
        d = day
        while not self.working(d):
            d += 1
        if last is not None and d > last:
            d = min(day, last)
            while not self.working(d):
                d -= 1
        return d

    def next_id(self, table: str) -> str:
        self.counters[table] += 1
        prefix = TABLES[table].id_prefix
        return f"{prefix}{self.ns}{self.counters[table]:0{self.widths[table]}d}"

    def lines(
        self, library: dict[str, tuple[Line, ...]], key: str, age: int, religion: str
    ) -> list[Line]:
        """Return the templates of ``library[key]`` that fit a child of this age and religion."""
        age = min(age, 17)  # a case open past the 18th birthday keeps its last fitting words
        k = (str(id(library)), key, age, religion)
        found = self._lines.get(k)
        if found is None:
            ok = [
                line
                for line in library.get(key, ())
                if line.lo <= age <= line.hi
                and ((faiths := _FAITH_OK[line.faith]) is None or religion in faiths)
                and (age >= 0 or line.level != "child")
            ]
            found = self._lines[k] = ok
        return found

    def fill(self, text: str, case: _Case, age: int) -> str:
        """Fill a template's slots with words that fit the child's age and faith."""
        rng = self.rng
        values: dict[str, str] = {}
        for name in _FIELDS.findall(text):
            if name in values:
                continue
            if name in ("Child", "child"):
                subject = "the child" if age < 10 else "the young person"
                values["child"], values["Child"] = subject, subject.capitalize()
            elif name in ("worship", "practice"):
                values[name] = _choice(rng, FAITHS[case.religion][name])
            else:
                k = (name, min(max(age, 0), 17))
                options = self._slots.get(k)
                if options is None:
                    options = self._slots[k] = [t for t, lo, hi in SLOTS[name] if lo <= k[1] <= hi]
                values[name] = _choice(rng, options)
        return text.format(**values) if values else text

    def entry(
        self,
        case: _Case,
        day: int,
        cats: Sequence[str],
        library: dict[str, tuple[Line, ...]] = EVENT_LINES,
        agency: str | None = None,
    ) -> tuple[str, str, str, str, tuple[str, ...]] | None:
        """Write an entry about the case on ``day`` in the first category that has one.

        Returns its category, level, text and the agency that records it. With ``agency``,
        only entries that agency would record. Entries typical of the case's concern are
        preferred, and a case repeats an entry only when it has used every one that fits.
        """
        rng = self.rng
        age = case.age(day)
        for cat in cats:
            options = self.lines(library, cat, age, case.religion)
            if agency is not None:
                options = [line for line in options if agency in line.by]
            if not options:
                continue
            fresh = [line for line in options if id(line) not in case.used] or options
            typical = [line for line in fresh if case.concern in line.tags]
            line = _choice(rng, typical if typical and rng.random() < 0.7 else fresh)
            case.used.add(id(line))
            if agency is None:
                if line.by:
                    agency = _choice(rng, line.by)
                elif cat in _CAT_AGENCY:
                    agency = _pick(rng, _CAT_AGENCY[cat])
                else:
                    agency = "social_care"
            return cat, line.level, self.fill(line.text, case, age), agency, line.tags
        return None

    def names(self, events: Sequence[_Event]) -> str:
        """Name events the way a record quotes them: who, when, and what they said."""
        return "; ".join(f'{e.noun} on {_day_text(e.day)}, "{_quote(e.text)}"' for e in events)

    # the pieces
    def cases(self) -> list[_Case]:
        rng, n = self.rng, self.n_cases
        n_rad = min(n, max(1, round(n * self.share)))
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
        teams = [f"T{self.ns}{i + 1:02d}" for i in range(self.n_teams)]
        # (child_id, birth ordinal, gender, religion, ethnicity), for repeat episodes
        children: list[tuple[str, int, str, str, str]] = []
        out: list[_Case] = []
        span = self.end - self.start
        for i in range(n):
            cid = self.case_fmt.format(self.area.first_case + i + 1)
            opened = self.start + int(span * (i + rng.random()) / n)
            duration = int(rng.lognormvariate(5.45, 0.65))
            closing = self.workday(opened + duration)
            closed = closing if closing <= self.end else None
            team = teams[rng.randrange(len(teams))]
            religion, ethnicity = _pick(rng, _RELIGION), _pick(rng, _ETHNICITY)
            if radical[i]:
                source, arch = next(rad_source), next(rad_arch)
                band = next(rad_age)
                ages = {"10_and_under": (8, 10), "11_to_15": (11, 15), "16_to_17": (16, 17)}
                age = ages[band]
                gender = next(rad_gender)
                flags = ["radicalisation"] + (["mental_health"] if rng.random() < 0.15 else [])
                ideology = next(rad_ideology)
                if ideology == "islamist" and rng.random() < 0.8:
                    religion = "muslim"
            else:
                source, arch = next(bau_source), next(bau_arch)
                concern = next(bau_concern)
                age = _BAU_AGES[concern]
                gender = next(bau_gender)
                flags = [concern]
                ideology = ""
            years = _randint(rng, *age)
            o = dt.date.fromordinal(opened)
            months = o.year * 12 + o.month - 1 - (years * 12 + _randint(rng, 0, 11))
            birth = dt.date(months // 12, months % 12 + 1, 1).toordinal()
            if birth > opened:  # born later this month: a referral before birth is not a case
                birth = o.replace(day=1).toordinal()
            if source == "education" and years < 4:
                source = "health"
            child = f"K{cid[1:]}"
            if children and rng.random() < 0.08:  # a child known from an earlier episode
                earlier = children[rng.randrange(len(children))]
                b = dt.date.fromordinal(earlier[1])
                earlier_age = ((o.year - b.year) * 12 + o.month - b.month) // 12
                if age[0] <= earlier_age <= age[1] and earlier[2] == gender:
                    child, birth, _, religion, ethnicity = earlier
            children.append((child, birth, gender, religion, ethnicity))
            if radical[i]:
                # Disproportionate escalation on weak evidence: more likely for Muslim children,
                # so that the equity analysis has something real to find.
                odds = 0.55 if religion == "muslim" else 0.33
                disprop = arch in ("belief_views", "family_association") and rng.random() < odds
            else:
                disprop = arch == "context_only" and rng.random() < 0.10
            born = dt.date.fromordinal(birth)
            row = [
                cid,
                child,
                team,
                "",
                self.iso(opened),
                self.iso(closed) if closed else "",
                source,
                ";".join(flags),
                ideology,
                f"{born.year:04d}-{born.month:02d}",
                gender,
                ethnicity,
                religion,
            ]
            case = _Case(
                cid, child, team, opened, closed, source, radical[i], arch, disprop, birth,
                religion, row,
            )  # fmt: skip
            case.improving = rng.random() < 0.88
            case.quiet = case.improving and (closed is not None or rng.random() < 0.35)
            case.concern = "" if radical[i] else flags[0]
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

    def staff(self, cases: list[_Case]) -> None:
        """Staff each team for about 16 open cases per FTE at the end date, then allocate."""
        rng = self.rng
        by_team: dict[str, list[_Case]] = {}
        for c in cases:
            by_team.setdefault(c.team, []).append(c)
        for i in range(self.n_teams):
            tid = f"T{self.ns}{i + 1:02d}"
            name = _TEAM_NAMES[i] if i < len(_TEAM_NAMES) else f"Locality {i + 1}"
            name += self.area.team_suffix
            self.rows["teams"].append((tid, name))
            mine = by_team.get(tid, [])
            open_ = [c for c in mine if c.closed is None and rng.random() > 0.05]
            need = len(open_) / 16
            ftes: list[float] = []
            while need > 0.05 or not ftes:
                f = _choice(rng, (1.0, 1.0, 1.0, 0.8, 0.6, 0.5))
                if need - f < 0.3:
                    f = min(1.0, max(0.4, round(need, 1)))
                ftes.append(f)
                need -= f
            roles = [("team_manager", 1.0)]
            roles += [
                ("senior_practitioner" if k == 1 else "social_worker", f)
                for k, f in enumerate(ftes)
            ]
            roles += [("family_support_worker", _choice(rng, (1.0, 0.6)))] * _randint(rng, 0, 2)
            roles += [("student", 1.0)] * _randint(rng, 0, 1)
            holders: list[tuple[str, float]] = []
            for role, fte in roles:
                wid = f"W{self.ns}{len(self.rows['workers']) + 1:03d}"
                self.rows["workers"].append((wid, tid, role, f"{fte:g}"))
                if role in ("senior_practitioner", "social_worker"):
                    holders.append((wid, fte))
            load = {w: 0 for w, _ in holders}
            for c in open_:
                w, _ = min(holders, key=lambda h: ((load[h[0]] + 1) / h[1], h[0]))
                load[w] += 1
                c.worker = w
            for c in mine:
                if c.closed is not None:
                    c.worker = _choice(rng, holders)[0]
            for c in mine:
                c.row[3] = c.worker
                self.rows["cases"].append(tuple(c.row))
        self.rows["cases"].sort(key=lambda r: r[0])

    def chronology(self, case: _Case) -> None:
        rng = self.rng
        last = case.closed or self.end
        agency = _SOURCE_AGENCY[case.source]
        evs = case.events
        if rng.random() < 0.3:  # history learned at referral, with uncertain dates
            for _ in range(_randint(rng, 1, 2)):
                back = case.opened - _randint(rng, 120, 1100)
                precision = _choice(rng, ("month", "year"))
                d = dt.date.fromordinal(back)
                on = d.replace(day=1) if precision == "month" else d.replace(month=1, day=1)
                got = self.entry(
                    case,
                    on.toordinal(),
                    rng.sample(("family_context", "vulnerability"), 2),
                )
                if got is None:
                    continue
                cat, level, text, source, tags = got
                evs.append(
                    _Event(
                        on.toordinal(), cat, "other", source, level, text,
                        significance="low", evidence="disclosed", recorded=case.opened,
                        precision=precision, tags=tags,
                    )
                )  # fmt: skip
        restricted = case.archetype == "intelligence"
        if restricted:
            agency = "police"
            got = self.entry(
                case,
                case.opened,
                ("influence_grooming", "extremist_behaviour", "family_context"),
                INTEL_LINES,
            )
        else:  # what the referrer saw, about the child where there is such an entry
            first = _choice(rng, _REFERRAL_CATEGORY[case.archetype])
            chain = (first, "vulnerability", "harm", "family_context", "views_expressed")
            got = self.entry(case, case.opened, chain, agency=agency) or self.entry(
                case, case.opened, chain
            )
        assert got is not None  # every chain ends in entries that fit every age
        cat, level, text, _, tags = got
        evs.append(
            _Event(
                case.opened,
                cat,
                "referral",
                agency,
                level,
                text,
                significance="high" if cat in _CONCERN else "medium",
                evidence="intelligence" if restricted else "reported",
                restricted=restricted,
                recorded=case.opened + (_randint(rng, 5, 40) if restricted else 0),
                tags=tags,
            )
        )
        intel = 0
        if restricted:
            intel = _randint(rng, 1, 2)
        elif case.radical and rng.random() < 0.1:
            intel = 1
        elif case.archetype == "harm" and "exploitation" in case.row[7] and rng.random() < 0.6:
            intel = 1
        for _ in range(intel):
            day = min(last, case.opened + _randint(rng, 5, 60))
            cats = (
                ("harm",)
                if not case.radical
                else rng.sample(("influence_grooming", "extremist_behaviour"), 2)
            )
            got = self.entry(case, day, cats, INTEL_LINES)
            if got is None:
                continue
            cat, level, text, _, tags = got
            evs.append(
                _Event(
                    day, cat, "information_shared", "police", level, text,
                    significance="high", evidence="intelligence", restricted=True,
                    recorded=day + _randint(rng, 3, 30), tags=tags,
                )
            )  # fmt: skip
        if case.radical:  # Prevent screening gathers partners' information first
            day = min(last, case.opened + _randint(rng, 1, 7))
            evs.append(
                _Event(
                    day, "agency_action", "information_shared", "social_care", "child",
                    SCREENING, evidence="agency_record",
                )
            )  # fmt: skip
        r = rng.random()
        if r < 0.03 and last - case.opened > 30:
            assess = None  # never assessed
        else:
            assess = case.opened + (_randint(rng, 1, 13) if r < 0.86 else _randint(rng, 16, 45))
            assess = self.workday(assess)
        if assess is not None and assess <= last:
            who = "the child" if case.age(assess) < 10 else "the young person"
            evs.append(
                _Event(
                    assess, "agency_action", "assessment", "social_care", "child",
                    f"Assessment started; {who} and the family were seen.", evidence="observed",
                )
            )  # fmt: skip
        n_body = min(40, 3 + int((last - case.opened) / 60) + _randint(rng, 0, 3))
        mix = _MIX[case.archetype]
        span = last - case.opened
        for _ in range(n_body):
            cat = _pick(rng, mix)
            u = rng.random()
            if case.quiet:
                # an improving story: worries early, strengths late
                if cat in _CONCERN:
                    u = u * u * 0.5
                elif cat in _STRENGTHS:
                    u = u**0.5
            day = case.opened + int(span * u)
            got = self.entry(case, day, (cat, "vulnerability", "protective", "agency_action"))
            if got is None:
                continue
            cat, level, text, source, tags = got
            kind = _choice(rng, _KINDS.get(cat, ("contact", "visit", "observation", "disclosure")))
            if kind in OFFICE_KINDS:
                day = self.workday(day, last)
            evs.append(
                _Event(
                    day,
                    cat,
                    kind,
                    source,
                    level,
                    text,
                    significance=_choice(rng, ("medium", "high"))
                    if cat in _CONCERN
                    else _choice(rng, ("low", "medium"))
                    if cat == "agency_action"  # routine work is never of high significance
                    else _choice(rng, ("low", "medium", "medium", "high")),
                    evidence=_choice(rng, ("observed", "disclosed", "reported", "agency_record")),
                    recorded=day + (_randint(rng, 1, 25) if rng.random() < 0.12 else 0),
                    tags=tags,
                )
            )
        engaged_on: set[int] = set()
        for _ in range(_randint(rng, 1, 3)):
            style = _pick(rng, {"genuine": 6, "partial": 3, "disguised": 1.5, "none": 0.5})
            if style == "none" and case.channel:
                style = "partial"  # Channel needs a parent's consent: this family engages
            day = self.workday(_randint(rng, case.opened, last), last)
            if day in engaged_on:  # one engagement entry a day, so "the latest" is clear
                continue
            engaged_on.add(day)
            got = self.entry(case, day, (style,), ENGAGEMENT_LINES)
            if got is None:
                continue
            _, level, text, _, _ = got
            evs.append(
                _Event(
                    day, "engagement", _choice(rng, _KINDS["engagement"]), "social_care", level,
                    text, evidence="observed", recorded=day,
                    impact="positive" if style == "genuine" else "negative", style=style,
                )
            )  # fmt: skip
        if rng.random() < 0.15:
            day = _randint(rng, case.opened, last)
            evs.append(
                _Event(
                    day, "protective", "family_group_conference", "social_care", "family",
                    "Family group conference held; the family agreed their "
                    "own plan with support from relatives.",
                    evidence="observed", significance="high",
                )
            )  # fmt: skip
        if case.panel:
            day = self.workday(min(last, case.opened + _randint(rng, 20, 70)), last)
            case.panel_day = day
            evs.append(
                _Event(
                    day, "agency_action", "panel", "social_care", "child",
                    "Case discussed at the multi-agency Channel panel.", evidence="agency_record",
                )
            )  # fmt: skip
        if case.closed:
            evs.append(
                _Event(
                    case.closed, "agency_action", "closure", "social_care", "family",
                    "Case closed; the family were told and given contacts for support.",
                    evidence="agency_record", significance="low",
                )
            )  # fmt: skip
        if assess is not None:
            self._assessed(case, assess, last)
        for e in evs:
            e.noun = (
                "the nursery"
                if e.agency == "education" and case.age(e.day) < 4
                else _AGENCY_NOUN[e.agency]
            )
            recorded = max(e.recorded if e.recorded is not None else e.day, e.day)
            e.recorded = min(recorded, self.end)
        evs.sort(key=lambda e: (e.day, e.kind != "referral"))

    def _assessed(self, case: _Case, start: int, last: int) -> None:
        """Add the assessment's sign-off: mostly within 45 working days of the referral."""
        rng = self.rng
        if rng.random() < 0.85:
            done = start + _randint(rng, 10, max(11, case.opened + 58 - start))
        else:
            done = case.opened + _randint(rng, 66, 110)
        if done > last:
            if case.closed is None:
                return  # still being written at the end of the record
            done = last  # the assessment concluded with the closure
        done = self.workday(done, last)
        if done < start:
            return
        case.events.append(
            _Event(
                done, "agency_action", "assessment_completed", "social_care", "child",
                ASSESSMENT_DONE, evidence="agency_record", recorded=done,
            )
        )  # fmt: skip

    def visits(self, case: _Case, steps: list[tuple[int, str, list[_Event]]]) -> None:
        """Add statutory visits at the pace of each step's rung, seeing the child alone or not.

        Early help every five to eight weeks, a child in need plan every four to five, a
        section 47 enquiry, a child protection plan or proceedings about every ten working days.
        """
        rng = self.rng
        last = case.closed or self.end
        pace = {"early_help": (35, 56), "child_in_need": (25, 38)}
        styles = [e for e in case.events if e.style]
        rung = "no_further_action"
        for k, (day, response, _) in enumerate(steps):
            if response != CHANNEL:
                rung = response
            stop = steps[k + 1][0] if k + 1 < len(steps) else last
            if RUNG[rung] < RUNG["early_help"]:
                continue
            lo, hi = pace.get(rung, (10, 14))
            d = day + _randint(rng, 3, lo)
            while d < stop:
                d = self.workday(d, last)
                if d > stop or d == last and case.closed is not None:
                    break
                age = case.age(d)
                shy = any(e.style in ("none", "disguised") for e in styles if e.day <= d)
                r = rng.random()
                if age >= 3 and r < (0.55 if shy else 0.78):
                    key, alone = "alone", True
                elif r < 0.95 or age < 3:
                    key, alone = "with_parent", False
                else:
                    key, alone = "not_seen", False
                got = self.entry(case, d, (key,), VISIT_LINES)
                if got is not None:
                    _, level, text, _, _ = got
                    case.events.append(
                        _Event(
                            d, "agency_action", "visit", "social_care", level, text,
                            significance="low", evidence="observed", recorded=d,
                            impact="neutral", noun=_AGENCY_NOUN["social_care"],
                            alone=alone if age >= 2 else None,
                        )
                    )  # fmt: skip
                d += _randint(rng, lo, hi)

    def write_events(self, case: _Case) -> None:
        """Write the case's events, numbered in date order."""
        rng = self.rng
        case.events.sort(key=lambda e: (e.day, e.kind != "referral"))
        for e in case.events:
            e.eid = self.next_id("events")
            impact = (
                e.impact
                or _IMPACT.get(e.category)
                or _choice(rng, ("negative", "unknown", "neutral"))
            )
            significance = "" if rng.random() < 0.03 else e.significance
            self.rows["events"].append(
                (
                    e.eid,
                    case.cid,
                    self.iso(e.day),
                    e.precision,
                    self.iso(e.recorded_day),
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
                    "" if e.alone is None else "true" if e.alone else "false",
                )
            )

    def _evidence(self, case: _Case, before: int, cats: Sequence[str], k: int) -> list[_Event]:
        if k <= 0:
            return []
        known = case.known(before, cats)
        return self.rng.sample(known, min(k, len(known)))

    def decisions(self, case: _Case) -> list[tuple[int, str, list[_Event]]]:
        rng = self.rng
        last = case.closed or self.end
        first = self.workday(min(last, case.opened + _randint(rng, 5, 40)), last)
        a = case.archetype
        if a == "intelligence":  # the police information drives it: decided once it is known
            known = [e.recorded for e in case.events if e.restricted and e.recorded is not None]
            if known:
                first = self.workday(min(last, max(first, min(known))), last)
        if a == "belief_views":
            path = (
                ["child_in_need"]
                if case.disproportionate
                else [_choice(rng, ("no_further_action", "signposted", "signposted", "early_help"))]
            )
        elif a == "family_association":
            path = ["child_in_need"] if case.disproportionate else ["early_help"]
        elif a == "online_influence":
            path = [_choice(rng, ("early_help", "early_help", "child_in_need"))]
        elif a == "behaviour":
            path = ["child_in_need"] + (["section_47"] if rng.random() < 0.5 else [])
            path += ["child_protection_plan"] if len(path) == 2 and rng.random() < 0.4 else []
        elif a == "intelligence":
            path = [_choice(rng, ("child_in_need", "section_47"))]
        elif a == "context_only":
            path = (
                ["child_in_need"] + (["section_47"] if rng.random() < 0.35 else [])
                if case.disproportionate
                else [_choice(rng, ("no_further_action", "signposted", "early_help", "early_help"))]
            )
        else:
            path = ["child_in_need"] + (["section_47"] if rng.random() < 0.4 else [])
            path += ["child_protection_plan"] if len(path) == 2 and rng.random() < 0.5 else []
        if case.channel and case.panel_day is not None:
            # the panel adopts the case first; statutory steps may follow
            path = [CHANNEL] + [p for p in path if RUNG[p] >= RUNG["section_47"]]
            first = case.panel_day
        # a settled case left open on a plan: the step-down the judgements call for is late
        case.stuck = path[-1] in ("child_in_need", CHANNEL) and case.quiet and rng.random() < 0.25
        steps: list[tuple[int, str, list[_Event]]] = []
        day = first
        for response in path:
            if day > last:
                break
            if a in ("belief_views", "family_association", "context_only"):
                cats: Sequence[str] = tuple(c for c in _MIX[a] if c != "agency_action")
                if a == "context_only" and RUNG.get(response, 0) >= RUNG["section_47"]:
                    cats = ("vulnerability", "family_context")
            elif a == "intelligence":
                cats = ("influence_grooming", "extremist_behaviour")
            else:
                cats = _CONCERN
            k = 0 if rng.random() < 0.07 else _randint(rng, 1, 3)
            ev = self._evidence(case, day, cats, k) or self._evidence(case, day, _NAMED, k)
            if k and (a == "intelligence" or (a == "harm" and rng.random() < 0.75)):
                # the police information drives the decision (exploitation intelligence too)
                ev = [e for e in case.known(day) if e.restricted][:3] or ev
            steps.append((day, response, ev))
            # a section 47 enquiry concludes within about 15 working days
            gap = _randint(rng, 12, 21) if response == "section_47" else _randint(rng, 20, 80)
            day = self.workday(day + gap)
        if steps and steps[-1][1] == "section_47" and day <= last:
            # the enquiry's outcome: not at risk of significant harm, so a child in need plan
            steps.append((day, "child_in_need", steps[-1][2]))
        high = any(s[1] == CHANNEL or RUNG[s[1]] >= RUNG["child_in_need"] for s in steps)
        if case.closed and high:
            step_down = (
                case.closed - _randint(rng, 0, 5)
                if case.stuck
                else max(steps[-1][0] + 30, case.closed - _randint(rng, 10, 60))
            )
            step_down = self.workday(step_down, case.closed)
            if steps[-1][0] < step_down <= case.closed:
                ev = [
                    e
                    for e in self._evidence(
                        case, step_down, ("protective", "aspiration", "engagement"), 3
                    )
                    if e.category != "engagement" or e.style == "genuine"
                ][:2]
                steps.append((step_down, _choice(rng, ("early_help", "no_further_action")), ev))
        return steps

    def write_decisions(self, case: _Case, steps: list[tuple[int, str, list[_Event]]]) -> list[str]:
        rng = self.rng
        ids = []
        rung = 0
        for day, response, ev in steps:
            did = self.next_id("decisions")
            ids.append(did)
            statutory = response in ("section_47", "child_protection_plan", "proceedings")
            lead = (
                "police"
                if statutory and rng.random() < 0.3
                else "multi_agency"
                if response == CHANNEL
                else _choice(rng, ("social_care", "social_care", "social_care", "education"))
            )
            styles = [e.style for e in case.events if e.style and e.recorded_day <= day]
            latest = styles[-1] if styles else ""
            if latest == "none":
                engaged = False
            elif response == CHANNEL or latest == "genuine":
                engaged = True
            elif latest:
                engaged = rng.random() < 0.6
            else:
                engaged = rng.random() > (0.35 if case.disproportionate else 0.12)
            lower = response != CHANNEL and RUNG[response] < rung
            opening = _STEP_DOWN.get(response, _OPENING[response]) if lower else _OPENING[response]
            if lower and rung == RUNG["section_47"]:
                opening = _S47_OUTCOME
            if response != CHANNEL:
                rung = RUNG[response]
            basis = f" It rests on {self.names(ev)}." if ev else " No event is named as its basis."
            family = (
                " The family were met and heard before the decision."
                if engaged
                else " The decision was recorded as made without the family engaged."
            )
            self.rows["decisions"].append(
                (
                    did,
                    case.cid,
                    self.iso(day),
                    response,
                    lead,
                    "true" if engaged else "false",
                    opening + basis + family,
                    ";".join(e.eid for e in ev),
                    case.worker or "duty team",
                )
            )
        return ids

    def judgements(self, case: _Case, steps: list[tuple[int, str, list[_Event]]]) -> None:
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
        if case.closed is not None:
            target = _randint(rng, 6, 9) if case.improving else _randint(rng, 2, 4)
        else:
            target = _randint(rng, 3, 8)
        n = max(1, min(6, (last - case.opened) // 90))
        days, day = [], case.opened + 10
        for j in range(n):
            day = min(last, day + (_randint(rng, 60, 100) if j else 0))
            days.append((day, min(1.0, 1.5 * j / max(1, n - 1))))
        if case.closed is not None:  # a closing review scales safety before the step-down
            ending = case.closed
            if len(steps) > 1 and RUNG.get(steps[-1][1], 9) < RUNG.get(steps[-2][1], 0):
                ending = min(ending, steps[-1][0])
            days.append((max(days[-1][0], ending - _randint(rng, 0, 10)), 2.0))
        for day, frac in days:
            day = self.workday(day, last)
            # a serious worry in the last two months keeps safety below the step-down scale (7)
            recent = [
                e
                for e in case.known(day, _CONCERN)
                if e.significance == "high" and day - 60 < e.day <= day
            ]
            for level in ("child", "family", "community"):
                if level == "community" and frac < 2 and rng.random() < 0.6:
                    continue
                if case.stuck:
                    scale = _randint(rng, STEP_DOWN_MIN_SCALE, 9)  # a step-down falls due
                else:
                    scale = round(base + (target - base) * min(frac, 1)) + _randint(rng, -1, 1)
                    scale = max(0, min(10, scale))
                if recent and scale >= STEP_DOWN_MIN_SCALE:
                    scale = _randint(rng, 5, STEP_DOWN_MIN_SCALE - 1)
                ev = self._evidence(
                    case,
                    day,
                    tuple(c for c in _MIX[case.archetype] if c != "agency_action"),
                    _randint(rng, 0, 2),
                )
                if recent and recent[-1] not in ev:
                    ev = [*ev[-1:], recent[-1]]
                why = (
                    " It weighs "
                    + " and ".join(f"{e.noun}'s entry of {_day_text(e.day)}" for e in ev)
                    + "."
                    if ev
                    else " No single event is named; it reflects the work so far."
                )
                case.judged.append((day, level, scale))
                self.rows["judgements"].append(
                    (
                        self.next_id("judgements"),
                        case.cid,
                        self.iso(day),
                        level,
                        str(scale),
                        f"Scaled {scale} out of 10 for {level} safety with the family." + why,
                        ";".join(e.eid for e in ev),
                        case.worker or "duty team",
                    )
                )

    def plans(self, case: _Case, steps: list[tuple[int, str, list[_Event]]]) -> None:
        rng = self.rng
        if not steps or steps[0][1] in ("no_further_action", "signposted"):
            return
        last = case.closed or self.end
        planned: set[str] = set()  # one action of each kind a case
        for _ in range(_randint(rng, 1, 4)):
            created = self.workday(min(last, steps[0][0] + _randint(rng, 0, 20)), last)
            age = min(case.age(created), 17)
            fitting = [
                p
                for p in PLAN_LINES
                if p.lo <= age <= p.hi
                and (p.faith == "any" or case.religion in SPECIFIC_FAITHS)
                and (not p.channel or case.channel)
                and (not p.tags or case.concern in p.tags)
                and p.text not in planned
            ] or [p for p in PLAN_LINES if p.lo <= age <= p.hi and p.faith == "any" and not p.tags]
            rng.shuffle(fitting)
            line, ev = (
                next((p for p in fitting if not p.needs and p.faith == "any"), fitting[0]),
                [],
            )
            for p in fitting:
                known = case.known(created, p.answers)
                if p.needs:
                    known = [e for e in known if p.needs in e.tags]
                if known:
                    line, ev = p, rng.sample(known, min(len(known), _randint(rng, 1, 2)))
                    break
            r = rng.random()
            if r < 0.08:
                ev = []  # not linked to evidence
            elif r < 0.11:
                ev = self._evidence(case, created, ("agency_action",), 1)
            planned.add(line.text)
            description = self.fill(line.text, case, age)
            due = created + _randint(rng, 14, 90)
            completed = created + _randint(rng, 7, 120)
            done = completed <= last and rng.random() < 0.75
            self.rows["plan_actions"].append(
                (
                    self.next_id("plan_actions"),
                    case.cid,
                    self.iso(created),
                    description,
                    line.level,
                    _choice(rng, line.owners),
                    self.iso(min(due, self.end)) if due <= self.end or rng.random() < 0.5 else "",
                    self.iso(completed) if done else "",
                    ";".join(e.eid for e in ev),
                )
            )

    def sharing(self, case: _Case) -> None:
        rng = self.rng
        last = case.closed or self.end
        shared: set[str] = set()  # each record is shared once
        for _ in range(_randint(rng, 0, 3)):
            day = self.workday(_randint(rng, case.opened, last), last)
            known = [
                e for e in case.known(day) if e.category != "agency_action" and e.eid not in shared
            ]
            if not known:
                continue
            intel = [e for e in known if e.restricted]
            restricted = bool(intel) and rng.random() < 0.5
            e = _choice(rng, intel if restricted else known)
            shared.add(e.eid)
            age = case.age(day)
            if restricted:
                frm, to = "police", "social_care"
            elif e.agency in ("social_care", "family", "community"):
                frm = "social_care"
                to = _choice(
                    rng, ("police", "health") if age < 4 else ("education", "police", "health")
                )
            else:
                frm, to = e.agency, "social_care"
            information = (
                f"{e.noun[0].upper()}{e.noun[1:]}'s record of {_day_text(e.day)}: "
                f'"{_quote(e.text)}"'
            )
            if restricted:
                basis = _choice(rng, ("public_task", "legal_obligation"))
                consent = _pick(rng, {"not_sought": 85, "refused": 15})
            else:
                basis = _pick(
                    rng,
                    {
                        "public_task": 50,
                        "legal_obligation": 15,
                        "consent": 20,
                        "legitimate_interests": 5,
                        "vital_interests": 2,
                        "not_recorded": 4,
                    },
                )
                consent = (
                    "given"
                    if basis == "consent"
                    else _pick(rng, {"given": 40, "not_sought": 45, "refused": 15})
                )
            reason = (
                self.fill(_choice(rng, NOT_SOUGHT_REASONS), case, age)
                if consent == "not_sought" and rng.random() < 0.9
                else ""
            )
            override = (
                self.fill(_choice(rng, OVERRIDE_REASONS), case, age)
                if consent == "refused" and rng.random() < 0.8
                else ""
            )
            purposes = ["To assess risk and plan support.", "To agree a joint safety plan."]
            if case.panel_day is not None and day < case.panel_day:
                purposes.append("To prepare for the Channel panel.")
            if restricted:
                purposes = ["For the strategy discussion about the police information."]
            purpose = "" if rng.random() < 0.03 else _choice(rng, purposes)
            self.rows["info_sharing"].append(
                (
                    self.next_id("info_sharing"),
                    case.cid,
                    self.iso(day),
                    frm,
                    to,
                    information,
                    purpose,
                    basis,
                    consent,
                    reason,
                    override,
                    "true" if restricted else "false",
                )
            )

    def supervision(
        self, case: _Case, steps: list[tuple[int, str, list[_Event]]], decision_ids: list[str]
    ) -> None:
        rng = self.rng
        if rng.random() > 0.4 or not steps:
            return
        k = rng.randrange(len(steps))
        day, response = steps[k][0], steps[k][1]
        known = [e for e in case.known(day) if e.day <= day]
        age = case.age(day)
        who = "the child" if age < 10 else "the young person"
        referral = next((e for e in known if e.kind == "referral"), None)
        recent = [e for e in known if e.category != "agency_action" and e is not referral][-3:]
        experience = (
            f"Worker described the case from the referral ({self.names([referral])})"
            if referral is not None
            else f"Worker described the case from the referral on {_day_text(case.opened)}"
        )
        experience += f" to the {response.replace('_', ' ')} decision on {_day_text(day)}"
        experience += f": {self.names(recent)}." if recent else "."
        concern = [e for e in known if e.category in _CONCERN]
        belief = [e for e in known if e.category in _BELIEF]
        strengths = [e for e in known if e.category in _STRENGTHS]
        behaviour = [e for e in concern if e.category == "extremist_behaviour"]
        if concern:
            reflection = (
                f"Worker spoke about the weight of this case since {_day_text(concern[-1].day)}; "
                "we named the fear it brings and the support they need."
            )
        elif belief:
            reflection = (
                f"Worker felt uneasy about how {belief[-1].noun} described "
                f"{who} on {_day_text(belief[-1].day)}; we asked whether belief was being read "
                "as risk."
            )
        else:
            reflection = (
                f"Worker reflected on what daily life is like for {who} in this family, "
                f"starting from the assessment of the referral on {_day_text(case.opened)}."
            )
        analysis = (
            f"From the referral on {_day_text(case.opened)} to {_day_text(day)} the record "
            f"holds {len(concern)} concern event(s), "
            f"{len(belief)} belief or views event(s) and {len(strengths)} strength(s)."
        )
        if behaviour:
            analysis += f" It records behaviour, not only views: {self.names(behaviour[-1:])}."
        elif concern:
            analysis += f" The worry rests on {self.names(concern[-1:])}."
        elif belief:
            analysis += (
                " The evidence shows views or belief, not behaviour; no concern event is recorded."
            )
        else:
            analysis += " The worries are about context and vulnerability."
        judged = [j for j in case.judged if j[0] <= day]
        if judged:
            jd, level, scale = judged[-1]
            analysis += f" The latest judgement, on {_day_text(jd)}, scaled {level} safety {scale}."
        if known and steps[k][2]:
            e = steps[k][2][-1]
            ask = f"ask {e.noun} what lies behind the entry of {_day_text(e.day)}"
        else:
            ask = "name the evidence this decision rests on"
        actions = (
            f"Record the {response.replace('_', ' ')} decision with the family; {ask}; "
            f"see {who} alone; review in four weeks."
        )
        hypotheses = {
            "belief_views": f"1) {who.capitalize()} is exploring faith and identity, as many do. "
            f"2) Someone is steering {who}'s views. How will we test this with the family?",
            "online_influence": f"1) {who.capitalize()} is isolated and seeking belonging online. "
            f"2) An older contact is grooming {who}. How will we test this with the family?",
            "behaviour": f"1) {who.capitalize()} is acting on an ideology. 2) The behaviour "
            "answers bullying and fear more than belief. How will we test this with the family?",
            "intelligence": "1) The police information describes real risk. 2) It describes "
            "people around the family more than the child. How will we test this with the family?",
            "family_association": "1) A parent's past association still shapes home life. "
            "2) It is history, and the family is judged by it. How will we test this with them?",
            "context_only": "1) The family's circumstances are the main risk. 2) Something is "
            "not being said. How will we test this with the family?",
            "harm": f"1) The harm comes from inside the home. 2) It comes from outside it, and "
            f"the family can protect {who}. How will we test this with the family?",
        }[case.archetype]
        faith = case.religion.replace("_", " ")
        graces = (
            f"Religion and age: {who} is {age} and recorded as {faith}; are we reading "
            f"{'religious practice' if belief else 'difference'} as a warning sign? "
            f"Gender and ethnicity: {case.row[10]}, {case.row[11]}."
        )
        self.rows["supervisions"].append(
            (
                self.next_id("supervisions"),
                case.cid,
                self.iso(day),
                "team manager",
                case.worker or "duty team",
                experience,
                reflection,
                analysis,
                actions,
                hypotheses,
                graces,
                decision_ids[k],
                *self._functions(case, day, response, known, concern, belief),
                *self._voice(case, day, known),
                self._agreed(case, day, response, ask, known),
                f"{decision_ids[k]}: " + _serves(response),
            )
        )

    def _functions(
        self,
        case: _Case,
        day: int,
        response: str,
        known: list[_Event],
        concern: list[_Event],
        belief: list[_Event],
    ) -> tuple[str, str, str, str]:
        """Write the four functions of the session from the case's story (management first)."""
        who = "the child" if case.age(day) < 10 else "the young person"
        visits = [e for e in known if e.kind == "visit" and e.alone is not None]
        management = (
            f"Is the work being done? {len(visits)} recorded visit(s) since the referral on "
            f"{_day_text(case.opened)}"
            + (f", the latest on {_day_text(visits[-1].day)}" if visits else "")
            + f"; the {response.replace('_', ' ')} decision is recorded with its evidence."
        )
        if concern:
            support = (
                f"The worker named the fear this case has carried since "
                f"{_day_text(concern[-1].day)}; we agreed a debrief after each visit."
            )
        elif belief:
            support = (
                f"The worker felt pressure to act on {belief[-1].noun}'s entry of "
                f"{_day_text(belief[-1].day)}; we talked about holding that uncertainty."
            )
        else:
            support = "The worker said the case feels manageable; no support is needed today."
        development = _LEARNING[case.archetype].format(child=who, concern=case.concern or "harm")
        intel = [e for e in known if e.restricted]
        if intel:
            mediation = (
                f"The police hold information the family cannot see (recorded "
                f"{_day_text(intel[-1].day)}); we agreed to ask what can be shared, and to weigh "
                "it beside what the family have told us."
            )
        elif case.radical:
            mediation = (
                f"Partners asked for a firmer response after the referral of "
                f"{_day_text(case.opened)}; we agreed to explain the plan and what it rests on."
            )
        else:
            mediation = ""
        return management, support, development, mediation

    def _voice(self, case: _Case, day: int, known: list[_Event]) -> tuple[str, str]:
        """Write the child's voice from the last visit that saw them alone, and its date."""
        alone = [e for e in known if e.kind == "visit" and e.alone]
        if not alone:
            age = case.age(day)
            voice = (
                "Too young to say in words; seen with a parent, settled and comfortable."
                if age < 3
                else "Not yet seen alone, so not yet heard in their own words."
            )
            return voice, ""
        e = alone[-1]
        age = case.age(e.day)
        words = (
            _VOICE_YOUNG
            if age < 10
            else _VOICE_RADICAL.get(case.archetype, _VOICE_OLDER)
            if case.radical
            else _VOICE_OLDER
        )
        return f"Seen alone on {_day_text(e.day)}: {words}", self.iso(e.day)

    def _agreed(self, case: _Case, day: int, response: str, ask: str, known: list[_Event]) -> str:
        """Write the actions agreed, each with whose interests it serves."""
        who = "the child" if case.age(day) < 10 else "the young person"
        actions = [
            (
                f"Record the {response.replace('_', ' ')} decision with the family",
                _serves(response),
            ),
            (ask[0].upper() + ask[1:], "partner agencies, organisation"),
        ]
        if response != CHANNEL and RUNG[response] < RUNG["early_help"]:
            actions.append(("Tell the referrer the outcome and why", "partner agencies"))
        else:
            actions.append((f"See {who} alone before the next review", "child and family"))
            if not any(e.kind == "family_group_conference" for e in known):
                actions.append(("Offer the family a family group conference", "child and family"))
        return "\n".join(
            f"{i}. {text}\n   Serves: {serves}" for i, (text, serves) in enumerate(actions, 1)
        )

    def run(self) -> dict[str, pd.DataFrame]:
        return {
            t: pd.DataFrame(rows, columns=generated_columns(t), dtype=object)
            for t, rows in self.run_rows().items()
        }

    def run_rows(self) -> dict[str, list[tuple[str, ...]]]:
        """Generate every table as rows of canonical strings, in contract column order."""
        cases = self.cases()
        self.staff(cases)
        for case in cases:
            self.chronology(case)
            steps = self.decisions(case)
            self.visits(case, steps)
            self.write_events(case)
            ids = self.write_decisions(case, steps)
            self.judgements(case, steps)
            self.plans(case, steps)
            self.sharing(case)
            self.supervision(case, steps, ids)
            case.events.clear()  # free memory as we go
            case.judged.clear()
        return self.rows


NOT_GENERATED: dict[str, tuple[str, ...]] = {}
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
    radicalisation_share: float = DEFAULT_RADICALISATION_SHARE,
) -> dict[str, pd.DataFrame]:
    """Generate every contract table as canonical strings, ready to write as a bundle.

    ``radicalisation_share`` is the share of cases that are Prevent cases, in (0, 1].
    Raises :class:`~casekit.errors.CasekitError` for impossible settings (no cases, dates out
    of order, an end date in the future, a share outside (0, 1]).
    """
    check_settings(n_cases, n_teams, start, end, radicalisation_share)
    return _Generator(seed, n_cases, n_teams, start, end, float(radicalisation_share)).run()


def generate_rows(
    area: Area,
    n_cases: int,
    n_teams: int = 6,
    start: dt.date = DEFAULT_START,
    end: dt.date = DEFAULT_END,
    radicalisation_share: float = DEFAULT_RADICALISATION_SHARE,
) -> dict[str, list[tuple[str, ...]]]:
    """Generate one part of a national dataset as rows of canonical strings, table by table.

    Each table's rows are tuples in the order of :func:`generated_columns`. The part is
    drawn from ``area.seed`` alone, so parts can be generated apart, in any order.
    """
    check_settings(n_cases, n_teams, start, end, radicalisation_share)
    generator = _Generator(0, n_cases, n_teams, start, end, float(radicalisation_share), area)
    return generator.run_rows()


def check_settings(
    n_cases: int, n_teams: int, start: dt.date, end: dt.date, radicalisation_share: float
) -> None:
    """Refuse impossible generator settings with a message naming the option to change."""
    if not (isinstance(radicalisation_share, int | float) and 0 < radicalisation_share <= 1):
        raise CasekitError(
            f"--radicalisation-share must be a number above 0 and at most 1, such as 0.15 "
            f"(got {radicalisation_share})."
        )
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

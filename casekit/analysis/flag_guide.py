"""The flag guide: what each proportionality flag means, what to ask, and one worked example.

Each of the twelve flags of the practice principles has a plain-English meaning, prompts for
supervision (flags are prompts, not findings) and a worked example: a tiny casebook, written
as the rows of a case bundle, looked at from an as-of date, with the date the flag arises and
its subject. Each also has a near miss: the same case with one thing changed, which does not
raise it. ``docs/flags.md`` is generated from this module (``casekit flag-guide``, ``make
docs``) by running :func:`casekit.analysis.proportionality.flags` on every example, so the page
shows what casekit actually raises; ``tests/test_flag_guide.py`` checks each example against what
the practice principles say it must raise.

>>> [g.flag for g in GUIDE][:2]
['escalation_on_belief_or_views', 'statutory_step_without_concern']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from casekit.bundle.casebook import Casebook, from_raw
from casekit.bundle.io import RawTable, clean_frame
from casekit.contract import TABLE_ORDER
from casekit.policy import (
    ASSESSMENT_WORKING_DAYS,
    CLOSED_RECENTLY_DAYS,
    CONCERN_WINDOW_DAYS,
    LOW_SCALE,
    STEP_DOWN_DAYS,
    STEP_DOWN_MIN_SCALE,
)

__all__ = ["Example", "NearMiss", "FlagGuide", "GUIDE", "guide_for", "to_markdown"]

Row = Mapping[str, str]
Tables = Mapping[str, tuple[Row, ...]]

CASE = "C1"
"""Every example's one case."""


@dataclass(frozen=True)
class Example:
    """A tiny casebook written as bundle rows (text cells), and the date it is looked at from."""

    tables: Tables
    as_of: str
    story: str = ""

    def casebook(self) -> Casebook:
        """Validate the rows against the data contract and return them as a Casebook."""
        raws = {
            name: RawTable(name, clean_frame(pd.DataFrame(list(rows), dtype=str), 2), name)
            for name, rows in self.tables.items()
        }
        return from_raw(raws, "flag guide example")

    def raised(self) -> pd.DataFrame:
        """Return the flags casekit raises on this example as known at its as-of date."""
        from casekit.analysis.proportionality import flags

        return flags(self.casebook(), as_of=self.as_of)


@dataclass(frozen=True)
class NearMiss:
    """The worked example with one thing changed, so that the flag is not raised."""

    change: str
    example: Example


@dataclass(frozen=True)
class FlagGuide:
    """One flag: its meaning, prompts for supervision, a worked example and its near misses.

    ``date`` and ``subject`` are what the practice principles say the example's flag row must
    carry (the day the condition arose, and the decision, plan action, sharing record or case it
    is raised on); ``names`` are words of the record its reason must quote.
    """

    flag: str
    summary: str
    meaning: str
    ask: tuple[str, ...]
    example: Example
    date: str
    subject: str
    near_misses: tuple[NearMiss, ...]
    names: tuple[str, ...] = field(default=())


# --- building the rows --------------------------------------------------------------------------


def _case(opened: str = "2024-01-08", closed: str = "") -> dict[str, str]:
    return {
        "case_id": CASE,
        "child_id": "K1",
        "team_id": "T1",
        "opened": opened,
        "closed": closed,
        "referral_source": "education",
        "concern_flags": "radicalisation",
    }


def _event(
    event_id: str,
    date: str,
    kind: str,
    agency: str,
    category: str,
    significance: str,
    summary: str,
    *,
    level: str = "child",
    evidence: str = "observed",
    restricted: str = "no",
) -> dict[str, str]:
    return {
        "event_id": event_id,
        "case_id": CASE,
        "date": date,
        "source_agency": agency,
        "kind": kind,
        "summary": summary,
        "category": category,
        "level": level,
        "significance": significance,
        "evidence": evidence,
        "restricted": restricted,
    }


ASSESSED = _event(
    "EA",
    "2024-01-10",
    "assessment",
    "social_care",
    "agency_action",
    "low",
    "Assessment started: home visit, met the young person and his parents.",
    level="family",
)
"""Assessment activity two working days after the referral, so no example is late."""


def _decision(
    decision_id: str,
    date: str,
    response: str,
    evidence_ids: str,
    *,
    lead: str = "social_care",
    engaged: str = "yes",
) -> dict[str, str]:
    return {
        "decision_id": decision_id,
        "case_id": CASE,
        "date": date,
        "response": response,
        "lead_agency": lead,
        "family_engaged": engaged,
        "evidence_ids": evidence_ids,
    }


def _judgement(judgement_id: str, date: str, level: str, scale: int) -> dict[str, str]:
    return {
        "judgement_id": judgement_id,
        "case_id": CASE,
        "date": date,
        "level": level,
        "safety_scale": str(scale),
    }


def _share(share_id: str, date: str, to: str, purpose: str, consent: str, **more: str) -> Row:
    return {
        "share_id": share_id,
        "case_id": CASE,
        "date": date,
        "from_agency": "social_care",
        "to_agency": to,
        "purpose": purpose,
        "lawful_basis": "public_task",
        "consent": consent,
        **more,
    }


def _tables(events: Sequence[Row], opened: str = "2024-01-08", **more: Sequence[Row]) -> Tables:
    tables: dict[str, tuple[Row, ...]] = {"cases": (_case(opened),), "events": tuple(events)}
    tables.update({name: tuple(rows) for name, rows in more.items()})
    return tables


# --- the twelve flags, in the practice principles' order ----------------------------------------

_VIEWS = _event(
    "E1",
    "2024-01-15",
    "incident",
    "education",
    "views_expressed",
    "low",
    "In a lesson on migration he argued for views his teacher found offensive; no threat made.",
)
_BELIEF = _event(
    "E2",
    "2024-01-20",
    "disclosure",
    "family",
    "belief_practice",
    "low",
    "His mother says he has started going to a new place of worship with an older cousin.",
    level="family",
    evidence="disclosed",
)
_ISOLATED = _event(
    "E3",
    "2024-01-22",
    "observation",
    "education",
    "vulnerability",
    "medium",
    "Has sat alone at lunch most days since he moved school in September.",
)
_GROOMED = _event(
    "E4",
    "2024-01-25",
    "disclosure",
    "education",
    "influence_grooming",
    "medium",
    "Showed his tutor messages from an adult he met online urging him to hate a named group.",
    evidence="disclosed",
)


def _on_belief(events: list[Row], cites: str) -> Tables:
    return _tables(
        [ASSESSED, _VIEWS, _BELIEF, *events],
        decisions=[_decision("D1", "2024-02-01", "child_in_need", cites)],
    )


_ON_BELIEF = FlagGuide(
    flag="escalation_on_belief_or_views",
    summary="A decision raises the response to child in need or above resting on belief or "
    "views, with no concern event.",
    meaning="A decision moved the response up to child in need or above, and what it rests on "
    "includes at least one belief or views event but no concern event (influence or grooming, "
    "extremist behaviour, or harm). Holding a faith, practising a religion or voicing radical or "
    "offensive views is not in itself a safeguarding concern: belief is not risk, behaviour is. "
    "A decision resting on need alone (vulnerability, context) is not flagged here: section 17 "
    "is need-based.",
    ask=(
        "Is this belief or behaviour? What has the young person done, or had done to them?",
        "What would a business-as-usual safeguarding response to the same facts be?",
        "If there is a worry about influence, behaviour or harm, is it recorded as an event the "
        "decision can cite?",
    ),
    example=Example(
        _on_belief([], "E1;E2"),
        "2024-03-31",
        "A school refers a boy after a lesson in which he voiced offensive views; his mother "
        "later says he has started going to a new place of worship. The team opens child in "
        "need (D1), citing those two events.",
    ),
    date="2024-02-01",
    subject="D1",
    names=("D1", "E1", "E2"),
    near_misses=(
        NearMiss(
            "The boy has also shown his tutor messages from an adult urging him to hate a named "
            "group (E4, influence or grooming), and D1 cites it too: the decision rests on a "
            "concern, so it is not flagged.",
            Example(_on_belief([_GROOMED], "E1;E2;E4"), "2024-03-31"),
        ),
        NearMiss(
            "D1 cites only that he has been isolated since moving school (E3, vulnerability): "
            "child in need on need alone is proper practice, and nothing is flagged.",
            Example(_on_belief([_ISOLATED], "E3"), "2024-03-31"),
        ),
    ),
)


def _without_concern(extra: list[Row], cites: str) -> Tables:
    events = [
        ASSESSED,
        _event(
            "E1",
            "2024-01-12",
            "information_shared",
            "police",
            "family_context",
            "medium",
            "Police say his father was a member of a group that is now proscribed.",
            level="family",
            evidence="agency_record",
        ),
        _event(
            "E2",
            "2024-01-15",
            "observation",
            "education",
            "vulnerability",
            "medium",
            "Has been isolated at school since he moved in September.",
        ),
        *extra,
    ]
    return _tables(events, decisions=[_decision("D1", "2024-01-26", "section_47", cites)])


_BRUISED = _event(
    "E3",
    "2024-01-22",
    "disclosure",
    "education",
    "harm",
    "high",
    "Came to school with bruising to his arm that he said his father caused.",
    evidence="disclosed",
)

_WITHOUT_CONCERN = FlagGuide(
    flag="statutory_step_without_concern",
    summary="A decision raises the response to section 47 or above resting on context, "
    "vulnerability or engagement only.",
    meaning="A decision moved the response up to a section 47 enquiry or above, and what it "
    "rests on has no concern event and no belief or views event: only context, vulnerability or "
    "engagement. A section 47 enquiry is for reasonable cause to suspect significant harm; a "
    "parent's association with a proscribed group is not enough on its own.",
    ask=(
        "What harm, or likelihood of harm, to this child does the record show?",
        "Is family context being read as risk to the child? What is daily life like for him?",
        "Would a child in need assessment or early help meet the need?",
    ),
    example=Example(
        _without_concern([], "E1;E2"),
        "2024-03-31",
        "Police tell the team the boy's father was a member of a group that is now proscribed; "
        "the school says the boy has been isolated since moving. The team starts a section 47 "
        "enquiry (D1) citing those two events.",
    ),
    date="2024-01-26",
    subject="D1",
    names=("D1",),
    near_misses=(
        NearMiss(
            "The boy has also told school his father caused bruising to his arm (E3, harm), and "
            "D1 cites it: the enquiry rests on a concern, so it is not flagged.",
            Example(_without_concern([_BRUISED], "E1;E2;E3"), "2024-03-31"),
        ),
    ),
)


def _no_evidence(cites: str) -> Tables:
    events = [
        ASSESSED,
        _event(
            "E1",
            "2024-01-18",
            "incident",
            "education",
            "extremist_behaviour",
            "high",
            "Shared a video praising a terrorist attack in the class chat, with a threat to a "
            "classmate.",
        ),
    ]
    return _tables(events, decisions=[_decision("D1", "2024-01-25", "child_in_need", cites)])


_NO_EVIDENCE = FlagGuide(
    flag="escalation_without_evidence",
    summary="A decision raises the response and names no evidence (no evidence_ids).",
    meaning="A decision moved the response up and names no evidence it rests on (its "
    "evidence_ids are empty). Then the plan, reviews and the family cannot see why the "
    "response changed; casekit reads such a decision as resting on everything recorded by its "
    "date.",
    ask=(
        "Which events did this decision rest on? Record them on the decision.",
        "Could the family see from the record why the response changed?",
    ),
    example=Example(
        _no_evidence(""),
        "2024-03-31",
        "After the boy shares a video praising a terrorist attack with a threat to a classmate "
        "(E1), the team opens child in need (D1) but records no evidence_ids.",
    ),
    date="2024-01-25",
    subject="D1",
    names=("D1",),
    near_misses=(
        NearMiss(
            "D1 cites E1: it names its evidence, so it is not flagged.",
            Example(_no_evidence("E1"), "2024-03-31"),
        ),
    ),
)


def _restricted(extra: list[Row], cites: str) -> Tables:
    events = [
        ASSESSED,
        _event(
            "E1",
            "2024-01-16",
            "information_shared",
            "police",
            "extremist_behaviour",
            "high",
            "Police intelligence: he is in an online group planning damage to a local place of "
            "worship.",
            evidence="intelligence",
            restricted="yes",
        ),
        *extra,
    ]
    return _tables(events, decisions=[_decision("D1", "2024-01-24", "section_47", cites)])


_TUTOR = _event(
    "E2",
    "2024-01-22",
    "disclosure",
    "education",
    "influence_grooming",
    "medium",
    "Told his tutor an older teenager online keeps sending him videos blaming a group for local "
    "crime.",
    evidence="disclosed",
)

_RESTRICTED = FlagGuide(
    flag="rests_on_restricted_intelligence",
    summary="A decision raises the response and every concern it rests on is restricted or "
    "intelligence.",
    meaning="A decision moved the response up, it rests on at least one concern event, and "
    "every such event is restricted or police intelligence: something the family cannot see or "
    "answer. Partners may hold information that cannot be shared but would change a decision; "
    "that must be handled explicitly, not silently.",
    ask=(
        "What do partners hold that we cannot see, and how does it weigh?",
        "Is the basis for using it agreed with the police, and can any of it be shared in a "
        "form the family can answer?",
        "What does our own contact with the young person and the family show?",
    ),
    example=Example(
        _restricted([], "E1"),
        "2024-03-31",
        "Police pass on restricted intelligence that the boy is in an online group planning "
        "damage to a place of worship (E1). The team starts a section 47 enquiry (D1) citing "
        "only that.",
    ),
    date="2024-01-24",
    subject="D1",
    names=("D1", "E1"),
    near_misses=(
        NearMiss(
            "The boy has also told his tutor about videos an older teenager keeps sending him "
            "(E2, influence or grooming, not restricted), and D1 cites it: not every concern "
            "is hidden from the family, so it is not flagged.",
            Example(_restricted([_TUTOR], "E1;E2"), "2024-03-31"),
        ),
    ),
)


def _engaged(engaged: str) -> Tables:
    events = [
        ASSESSED,
        _event(
            "E1",
            "2024-01-17",
            "observation",
            "education",
            "influence_grooming",
            "medium",
            "Staff saw him watching a recruiter's videos at lunch and repeating its slogans.",
        ),
    ]
    return _tables(
        events, decisions=[_decision("D1", "2024-01-23", "child_in_need", "E1", engaged=engaged)]
    )


_NOT_ENGAGED = FlagGuide(
    flag="family_not_engaged",
    summary="A decision raises the response to child in need or above and is recorded as made "
    "without the family engaged.",
    meaning="A decision moved the response up to child in need or above and is recorded with "
    "family_engaged false. The flag says only what the record says: that the decision was "
    "recorded as made without the family engaged. Assess early and meaningfully with the "
    "family.",
    ask=(
        "Why was the family not met and heard before the decision, and when will they be?",
        "What do the family hope for? Has a family group conference been offered?",
        "What is daily life like for this young person?",
    ),
    example=Example(
        _engaged("no"),
        "2024-03-31",
        "School staff see the boy watching a recruiter's videos (E1). The team opens child in "
        "need (D1) citing it, recorded with family_engaged = no.",
    ),
    date="2024-01-23",
    subject="D1",
    names=("D1",),
    near_misses=(
        NearMiss(
            "D1 is recorded with family_engaged = yes: not flagged.",
            Example(_engaged("yes"), "2024-03-31"),
        ),
    ),
)


def _police_led(lead: str) -> Tables:
    events = [
        ASSESSED,
        _event(
            "E1",
            "2024-01-19",
            "incident",
            "police",
            "extremist_behaviour",
            "high",
            "Arrested after spraying a threatening slogan on a community centre.",
        ),
    ]
    return _tables(events, decisions=[_decision("D1", "2024-01-22", "section_47", "E1", lead=lead)])


_POLICE_LED = FlagGuide(
    flag="police_led_statutory_step",
    summary="A decision to section 47, a child protection plan or proceedings was led by the "
    "police.",
    meaning="A decision to a section 47 enquiry, a child protection plan or proceedings has "
    "lead_agency = police. It may be right; it is made visible because the duty can pull "
    "social work towards 'soft policing', and the social work role is a safeguarding role.",
    ask=(
        "Would we have taken this step on the same evidence if another agency had brought it?",
        "What would a business-as-usual safeguarding response be?",
        "Is social care's own view recorded beside the police's, and is there pressure to "
        "escalate that supervision should help mediate?",
    ),
    example=Example(
        _police_led("police"),
        "2024-03-31",
        "The boy is arrested after spraying a threatening slogan on a community centre (E1). "
        "A section 47 enquiry is started (D1) with the police as the lead agency.",
    ),
    date="2024-01-22",
    subject="D1",
    names=("D1",),
    near_misses=(
        NearMiss(
            "D1's lead agency is multi_agency (a strategy discussion): not flagged.",
            Example(_police_led("multi_agency"), "2024-03-31"),
        ),
    ),
)


def _due(extra: list[Row]) -> Tables:
    events = [
        ASSESSED,
        _event(
            "E1",
            "2024-01-20",
            "disclosure",
            "education",
            "influence_grooming",
            "medium",
            "Told a teacher an adult online has been sending him videos about 'defending' the "
            "area.",
            evidence="disclosed",
        ),
        *extra,
    ]
    return _tables(
        events,
        decisions=[_decision("D1", "2024-02-01", "child_in_need", "E1")],
        judgements=[
            _judgement("J1", "2024-03-20", "child", 7),
            _judgement("J2", "2024-03-20", "family", 8),
            _judgement("J3", "2024-03-20", "community", 7),
        ],
    )


_DUE = FlagGuide(
    flag="step_down_due",
    summary=f"The response has stayed at child in need or above for over {STEP_DOWN_DAYS} days "
    f"while every judgement is {STEP_DOWN_MIN_SCALE} or above, with no concern recorded since.",
    meaning="The response has stayed at child in need or above for more than "
    f"{STEP_DOWN_DAYS} days, there is at least one scaled judgement in that time, every one "
    f"(child, family and community) is {STEP_DOWN_MIN_SCALE} or above, and no concern of "
    "medium or high significance has been recorded since the "
    "latest of them. Risk is dynamic: a response that stays high while safety is judged high "
    "is a step-down that is due. The flag is dated the first day all of this held, and stays "
    "open while the stretch runs.",
    ask=(
        "What would it take to step down, and who needs to agree?",
        "Is the change genuine or is compliance disguised, and on what evidence?",
        "What support would carry on after a step-down, and what do the family hope for?",
    ),
    example=Example(
        _due([]),
        "2024-06-28",
        "Child in need opens on 2024-02-01 (D1) after the boy says an adult online has been "
        "sending him videos (E1). On 2024-03-20 the team judges safety at 7 for the child, 8 "
        "for the family and 7 for the community. Nothing worrying is recorded after that.",
    ),
    date="2024-05-02",
    subject=CASE,
    names=(),
    near_misses=(
        NearMiss(
            "On 2024-04-10, after the judgements, he gets into a fight shouting slogans from the "
            "videos (E2, extremist behaviour, medium): a concern recorded after the latest "
            "judgement, so no step-down is due.",
            Example(
                _due(
                    [
                        _event(
                            "E2",
                            "2024-04-10",
                            "incident",
                            "education",
                            "extremist_behaviour",
                            "medium",
                            "Got into a fight after school, shouting slogans from the videos.",
                        )
                    ]
                ),
                "2024-06-28",
            ),
        ),
    ),
)


def _despite(
    step_down: str, judgements: tuple[Row, ...] = (), response: str = "early_help"
) -> Tables:
    agreed = "Channel support" if response == "channel_support" else "early help"
    events = [
        ASSESSED,
        _event(
            "E1",
            "2024-01-20",
            "disclosure",
            "education",
            "influence_grooming",
            "medium",
            "Told a teacher an adult online has been sending him videos about 'defending' the "
            "area.",
            evidence="disclosed",
        ),
        _event(
            "E2",
            "2024-03-04",
            "incident",
            "education",
            "extremist_behaviour",
            "high",
            "Threatened to hurt a classmate he called a traitor, in front of staff.",
        ),
        _event(
            "E3",
            step_down,
            "meeting",
            "social_care",
            "engagement",
            "low",
            f"Parents came to the review meeting and agreed to {agreed}.",
            level="family",
        ),
    ]
    decisions = [
        _decision("D1", "2024-02-01", "child_in_need", "E1"),
        _decision("D2", step_down, response, "E3"),
    ]
    if judgements:
        return _tables(events, decisions=decisions, judgements=list(judgements))
    return _tables(events, decisions=decisions)


_DESPITE = FlagGuide(
    flag="step_down_despite_concern",
    summary=f"A step-down or closure within {CONCERN_WINDOW_DAYS} days after a medium or high "
    f"concern, or while the latest judgement is {LOW_SCALE} or lower.",
    meaning="A decision lowered the response, or the case was closed, within "
    f"{CONCERN_WINDOW_DAYS} days after a concern event of medium or high significance recorded "
    "before it, or while the latest scaled judgement before it (at any level) was "
    f"{LOW_SCALE} or lower. Watching for under-response matters as much as over-response. It "
    f"stays open while the case is open, and for {CLOSED_RECENTLY_DAYS} days after a closure.",
    ask=(
        "Is anything being closed too early? What has changed since the concern was recorded?",
        "Who will notice if the worry comes back, and is that agreed with partners and the family?",
        "Does the latest judgement support the step-down? If not, what does?",
    ),
    example=Example(
        _despite("2024-03-18"),
        "2024-05-31",
        "The case is at child in need (D1). On 2024-03-04 the boy threatens to hurt a classmate "
        "(E2, extremist behaviour, high). Two weeks later the parents agree to early help (E3) "
        "and the team steps down to early help (D2).",
    ),
    date="2024-03-18",
    subject="D2",
    names=("D2", "E2"),
    near_misses=(
        NearMiss(
            "The step-down comes on 2024-04-10, 37 days after the threat, and the latest "
            "judgement before it (2024-04-01) is 6 for the child: neither condition holds, so "
            "it is not flagged.",
            Example(
                _despite("2024-04-10", (_judgement("J1", "2024-04-01", "child", 6),)),
                "2024-05-31",
            ),
        ),
        NearMiss(
            "Two weeks after the threat the parents consent to Channel support instead (D2, "
            "channel_support): Channel runs beside social care and is not a rung, so child in "
            "need stays in place and nothing is stepped down.",
            Example(_despite("2024-03-18", response="channel_support"), "2024-05-31"),
        ),
    ),
)


def _late(extra: list[Row]) -> Tables:
    events = [
        _event(
            "E1",
            "2024-12-16",
            "referral",
            "education",
            "vulnerability",
            "medium",
            "School referral: withdrawn, and spending nights on forums that share extremist "
            "material.",
        ),
        *extra,
    ]
    return _tables(events, opened="2024-12-16")


_LATE = FlagGuide(
    flag="late_assessment",
    summary=f"The first assessment came more than {ASSESSMENT_WORKING_DAYS} working days after "
    "the referral, or none has come by then.",
    meaning="The first assessment activity (an event of kind assessment) came more than "
    f"{ASSESSMENT_WORKING_DAYS} working days after the referral (the case's opened date), or "
    f"there is none and {ASSESSMENT_WORKING_DAYS} working days have passed. Working days leave out "
    "weekends and the bank holidays of England and "
    "Wales. The flag is dated the first day past the limit, and stays open while the case is "
    "open without an assessment. Start early, and meaningfully with the family.",
    ask=(
        "What is holding the assessment up, and when will it start?",
        "Has the family been met? Do they know why we are involved?",
        "Is the young person safe while they wait?",
    ),
    example=Example(
        _late([]),
        "2025-02-28",
        "A school refers a boy on Monday 2024-12-16 (E1). No assessment has started. The "
        f"{ASSESSMENT_WORKING_DAYS} working days after the referral skip Christmas Day, "
        "Boxing Day and New Year's Day, and "
        "end on 2025-01-02.",
    ),
    date="2025-01-03",
    subject=CASE,
    names=("2024-12-16",),
    near_misses=(
        NearMiss(
            "The assessment starts with a home visit on 2025-01-02 (E2), the "
            f"{ASSESSMENT_WORKING_DAYS}th working day: "
            "in time, so it is not flagged.",
            Example(
                _late(
                    [
                        _event(
                            "E2",
                            "2025-01-02",
                            "assessment",
                            "social_care",
                            "agency_action",
                            "low",
                            "Assessment started: home visit, met the young person and his mother.",
                            level="family",
                        )
                    ]
                ),
                "2025-02-28",
            ),
        ),
    ),
)


def _plan(cites: str) -> Tables:
    events = [
        ASSESSED,
        _event(
            "E1",
            "2024-01-15",
            "disclosure",
            "education",
            "influence_grooming",
            "medium",
            "Told his tutor an older teenager online keeps sending him videos blaming a group for "
            "local crime.",
            evidence="disclosed",
        ),
        _event(
            "E2",
            "2024-01-19",
            "panel",
            "police",
            "agency_action",
            "low",
            "Prevent screening completed by the police; referred on to social care.",
            evidence="agency_record",
        ),
    ]
    plan = {
        "action_id": "P1",
        "case_id": CASE,
        "created": "2024-02-05",
        "description": "Weekly mentoring with the school's pastoral lead",
        "level": "child",
        "owner_agency": "education",
        "evidence_ids": cites,
    }
    return _tables(events, plan_actions=[plan])


_PLAN = FlagGuide(
    flag="plan_not_linked",
    summary="A plan action names no evidence, or only what agencies did (agency_action events).",
    meaning="A plan action names no evidence it answers (its evidence_ids are empty), or cites "
    "only agency_action events: what agencies did, such as a screening. A plan answers the "
    "worries and builds on the strengths recorded about the child and family. It stays open "
    "while the action is not completed and the case is open.",
    ask=(
        "Which worry does this action answer, or which strength does it build on?",
        "How will we and the family know it has worked?",
        "Did the young person and the family help shape it?",
    ),
    example=Example(
        _plan("E2"),
        "2024-03-31",
        "The plan's first action, weekly mentoring at school (P1), cites only the police's "
        "Prevent screening (E2), not what the boy told his tutor (E1).",
    ),
    date="2024-02-05",
    subject="P1",
    names=("P1",),
    near_misses=(
        NearMiss(
            "P1 cites E1 as well: it answers a worry about the boy, so it is not flagged.",
            Example(_plan("E1;E2"), "2024-03-31"),
        ),
    ),
)


def _basis(**more: str) -> Tables:
    share = _share(
        "S1",
        "2024-01-30",
        "police",
        "Prepare for the Channel panel",
        "not_sought",
        information="Summary of the assessment so far",
        **more,
    )
    return _tables([ASSESSED], info_sharing=[share])


_BASIS = FlagGuide(
    flag="sharing_without_basis",
    summary="A sharing record has no lawful basis, no purpose, consent not sought with no "
    "reason, or consent as its basis without consent.",
    meaning="A sharing record has lawful_basis = not_recorded, no purpose, consent not_sought "
    "with no reason recorded, or consent as its lawful basis while consent was not given. "
    "Agree up front with partners what is shared, when, why and on what basis. It stays open "
    "while the case is open.",
    ask=(
        "What was the lawful basis, and why was consent not sought?",
        "Was sharing necessary and proportionate, and is that recorded?",
        "Does the information-sharing agreement with partners cover it?",
    ),
    example=Example(
        _basis(),
        "2024-03-31",
        "Social care sends the police a summary of the assessment to prepare for the Channel "
        "panel (S1), under public task, with consent not sought and no reason recorded.",
    ),
    date="2024-01-30",
    subject="S1",
    names=("S1",),
    near_misses=(
        NearMiss(
            "S1 records why consent was not sought: not flagged.",
            Example(
                _basis(
                    not_sought_reason="Asking would have alerted the adult suspected of "
                    "grooming him."
                ),
                "2024-03-31",
            ),
        ),
    ),
)


def _refused(**more: str) -> Tables:
    share = _share(
        "S1",
        "2024-02-12",
        "health",
        "Ask the GP about his mental health support",
        "refused",
        information="Concerns from the assessment",
        **more,
    )
    return _tables([ASSESSED], info_sharing=[share])


_REFUSED = FlagGuide(
    flag="shared_despite_refusal",
    summary="A sharing record has consent refused and no override_reason.",
    meaning="A sharing record has consent = refused and no override_reason: sharing went "
    "ahead although consent was refused, and the record does not say why that was necessary "
    "and proportionate. Channel and early help are voluntary; refusing them is not a concern "
    "in itself. It stays open while the case is open.",
    ask=(
        "Why was sharing without consent necessary and proportionate, on what basis, and who "
        "decided?",
        "Were the family told, and if not, why not?",
        "Is a refusal being read as risk?",
    ),
    example=Example(
        _refused(),
        "2024-03-31",
        "The parents refuse consent to share concerns from the assessment with the GP; social "
        "care shares them anyway (S1), with no override_reason recorded.",
    ),
    date="2024-02-12",
    subject="S1",
    names=("S1",),
    near_misses=(
        NearMiss(
            "S1 records why sharing without consent was necessary and proportionate: not flagged.",
            Example(
                _refused(
                    override_reason="He spoke of harming himself; the team manager agreed "
                    "sharing was necessary and proportionate (public task)."
                ),
                "2024-03-31",
            ),
        ),
    ),
)

GUIDE: tuple[FlagGuide, ...] = (
    _ON_BELIEF,
    _WITHOUT_CONCERN,
    _NO_EVIDENCE,
    _RESTRICTED,
    _NOT_ENGAGED,
    _POLICE_LED,
    _DUE,
    _DESPITE,
    _LATE,
    _PLAN,
    _BASIS,
    _REFUSED,
)
"""The twelve flags, in the practice principles' order."""


def guide_for(flag: str) -> FlagGuide:
    """Return one flag's guide entry, or raise ``KeyError`` naming the flags there are."""
    for entry in GUIDE:
        if entry.flag == flag:
            return entry
    raise KeyError(f"{flag!r} is not a flag; the flags are {', '.join(g.flag for g in GUIDE)}")


# --- the Markdown page ----------------------------------------------------------------------------

_SHOWN = {
    "cases": ("case_id", "opened", "closed"),
    "events": (
        "event_id",
        "date",
        "kind",
        "source_agency",
        "category",
        "level",
        "significance",
        "evidence",
        "restricted",
        "summary",
    ),
    "decisions": (
        "decision_id",
        "date",
        "response",
        "lead_agency",
        "family_engaged",
        "evidence_ids",
    ),
    "judgements": ("judgement_id", "date", "level", "safety_scale"),
    "plan_actions": (
        "action_id",
        "created",
        "description",
        "owner_agency",
        "completed",
        "evidence_ids",
    ),
    "info_sharing": (
        "share_id",
        "date",
        "from_agency",
        "to_agency",
        "information",
        "purpose",
        "lawful_basis",
        "consent",
        "not_sought_reason",
        "override_reason",
    ),
}
"""The columns the page shows of each table (the others are the same in every example)."""


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _records(name: str, rows: tuple[Row, ...], also: tuple[Row, ...] = ()) -> list[str]:
    """Render one table's rows, leaving out the shown columns empty in these rows and ``also``."""
    columns = [c for c in _SHOWN[name] if any(r.get(c) for r in (*rows, *also))]
    if name == "cases" and "closed" not in columns:
        columns.append("closed")  # an empty closed is what "the case is open" means
    return [f"`{name}`", "", *_table(columns, [[r.get(c, "") for c in columns] for r in rows])]


def _raised(example: Example) -> list[str]:
    found = example.raised()
    if found.empty:
        return [f"As of {example.as_of}, casekit raises no flag."]
    rows = [
        [f"`{r.flag}`", r.subject_id, f"{r.date:%Y-%m-%d}", r.status, r.reason]
        for r in found.itertuples()
    ]
    return [
        f"As of {example.as_of}, casekit raises:",
        "",
        *_table(["flag", "subject", "date", "status", "reason"], rows),
    ]


def _example(entry: FlagGuide) -> list[str]:
    ex = entry.example
    others = tuple(m.example for m in entry.near_misses)
    lines = ["### Worked example", "", ex.story, ""]
    for name in TABLE_ORDER:
        if name in ex.tables:
            also = tuple(r for o in others for r in o.tables.get(name, ()))
            lines += [*_records(name, ex.tables[name], also), ""]
    lines += [*_raised(ex), ""]
    for n, miss in enumerate(entry.near_misses, 1):
        title = "Near miss" if len(entry.near_misses) == 1 else f"Near miss {n}"
        lines += [f"### {title}", "", miss.change, ""]
        changed = [
            name
            for name in TABLE_ORDER
            if name in miss.example.tables and miss.example.tables[name] != ex.tables.get(name, ())
        ]
        for name in changed:
            rows = tuple(r for r in miss.example.tables[name] if r not in ex.tables.get(name, ()))
            lines += [*_records(name, rows, ex.tables.get(name, ())), ""]
        lines += [*_raised(miss.example), ""]
    return lines


def to_markdown() -> str:
    """Render the flag guide as the Markdown page ``docs/flags.md``.

    Every example is validated against the data contract and run through
    :func:`casekit.analysis.proportionality.flags` with its default thresholds, so the flag rows
    on the page are what casekit raises, not what it was once meant to.
    """
    lines = [
        "# The proportionality flags: a guide with worked examples",
        "",
        "<!-- Generated from casekit/analysis/flag_guide.py by `make docs` (`casekit flag-guide`).",
        "     Do not edit: tests/test_flag_guide.py fails when this page is stale. -->",
        "",
        "Flags are prompts for supervision, not findings. Each is raised on a subject (a "
        "decision, plan action, sharing record, or the case itself) with a reason that names "
        "the evidence and quotes what the record says. Only what had been recorded by the as-of "
        "date counts.",
        "",
        "Every flag row has a `date`, the day the condition arose (never simply the as-of date), "
        "and a `status`: `open` while it still calls for action at the as-of date, else `past` "
        "(history, for audit, research and practice measures). Lists for supervision show "
        "`open` flags only:",
        "",
        "```sh",
        ".venv/bin/casekit flags --data team.sqlite --status open",
        "```",
        "",
        "In Python: `casekit.analysis.proportionality.flags(casebook, as_of=None, **thresholds)`, "
        'on DuckDB in casekit\'s own process unless `engine=` names another (`engine="pandas"` '
        "is the reference the engines are tested against). The thresholds are keyword "
        "parameters; the examples below use the defaults of the practice "
        f"principles ({STEP_DOWN_DAYS} days, a safety scale of {STEP_DOWN_MIN_SCALE}, "
        f"{CONCERN_WINDOW_DAYS} days, a scale of {LOW_SCALE}, {ASSESSMENT_WORKING_DAYS} working "
        "days).",
        "",
        "Terms: *concern events* are events of category `influence_grooming`, "
        "`extremist_behaviour` or `harm`; *belief and views events* are `belief_practice` or "
        "`views_expressed`. A decision *rests on* its `evidence_ids`, or, when it has none, on "
        "every event of the case recorded on or before its date. The social-care ladder is "
        "`no_further_action` 0, `signposted` 1, `early_help` 2, `child_in_need` 3, `section_47` "
        "4, `child_protection_plan` 5, `proceedings` 6; a decision *raises* the response when "
        "its rung is above the case's rung before it (`no_further_action` before the first "
        "decision). `channel_support` is not a rung: Channel is voluntary and runs beside social "
        "care, so a Channel decision neither raises nor lowers the response.",
        "",
        "Each worked example is a tiny case bundle (one case, `C1`, open unless it says "
        "otherwise), shown as its records (the columns that matter; the full rows are in "
        "`casekit/analysis/flag_guide.py`), then the flag rows casekit raises on it. Each near "
        "miss is the "
        "same case with one thing changed; only the rows that are new or changed are shown.",
        "",
        "| flag | raised when |",
        "|---|---|",
    ]
    lines += [f"| [`{g.flag}`](#{g.flag}) | {_cell(g.summary)} |" for g in GUIDE]
    lines.append("")
    for entry in GUIDE:
        lines += [f"## {entry.flag}", "", entry.meaning, "", "In supervision, ask:", ""]
        lines += [f"- {q}" for q in entry.ask]
        lines += ["", *_example(entry)]
    return "\n".join(lines).rstrip("\n") + "\n"

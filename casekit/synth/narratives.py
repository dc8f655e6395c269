"""Plain, non-judgemental phrases for synthetic chronologies, fitted to each child's story.

Written the way practice guidance asks: say what happened and who said it, describe behaviour
rather than labels, and remember that families may read the record. No names are used.

Every template is a :class:`Line`: the ages it fits (school from 4, online life from 8, being
out late with older people, exclusion and police contact from 10, college, work or training
from 16), whose risk or strength it is about (``level``), and the faith it needs: ``any``, ``has``
(the child has a recorded faith or it is not recorded) or ``specific`` (one of the six named
faiths, whose words fill ``{worship}`` and ``{practice}``). ``{Child}``/``{child}`` become "the
child" under 10 and "the young person" from 10. Slots (``{staff}``, ``{hope}`` ...) are filled
only with words that fit the child's age too.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "SCREENING",
    "Line",
    "EVENT_LINES",
    "INTEL_LINES",
    "ENGAGEMENT_LINES",
    "VISIT_LINES",
    "ASSESSMENT_DONE",
    "SLOTS",
    "FAITHS",
    "PLAN_LINES",
    "PlanLine",
    "OVERRIDE_REASONS",
    "NOT_SOUGHT_REASONS",
]

SCREENING = "Screening completed by the Prevent team; information gathered from partners."


@dataclass(frozen=True)
class Line:
    """A template for one chronology entry, with the ages, level and faith it fits."""

    text: str
    lo: int = 0
    hi: int = 17
    level: str = "child"
    faith: str = "any"
    by: tuple[str, ...] = ()
    """The agencies that would record it (empty: any that records its category)."""
    tags: tuple[str, ...] = ()
    """The concerns (neglect, domestic_abuse, ...) it is typical of."""


SPECIFIC_FAITHS = ("muslim", "christian", "sikh", "hindu", "jewish", "buddhist")
FAITHS: dict[str, dict[str, tuple[str, ...]]] = {
    "muslim": {
        "worship": ("the mosque",),
        "practice": ("fasted during Ramadan", "goes to Friday prayers at the mosque"),
    },
    "christian": {
        "worship": ("the church",),
        "practice": ("goes to the church youth group", "sang at the Christmas service at church"),
    },
    "sikh": {
        "worship": ("the gurdwara",),
        "practice": ("helps in the langar at the gurdwara", "celebrated Vaisakhi at the gurdwara"),
    },
    "hindu": {
        "worship": ("the mandir",),
        "practice": (
            "took part in Diwali celebrations at the mandir",
            "goes to puja at the mandir",
        ),
    },
    "jewish": {
        "worship": ("the synagogue",),
        "practice": (
            "goes to Shabbat services at the synagogue",
            "celebrated Passover with family",
        ),
    },
    "buddhist": {
        "worship": ("the vihara",),
        "practice": ("goes to a meditation class at the vihara", "visits the vihara with family"),
    },
}
"""The words of each named faith: its place of worship and some of its practices."""

# (text, youngest age it fits, oldest)
SLOTS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "adult": (
        ("mother", 0, 17),
        ("father", 0, 17),
        ("grandmother", 0, 17),
        ("aunt", 0, 17),
        ("stepfather", 0, 17),
        ("carer", 0, 17),
    ),
    "staff": (
        ("health visitor", 0, 4),
        ("GP", 0, 17),
        ("family support worker", 0, 17),
        ("class teacher", 4, 10),
        ("school nurse", 4, 15),
        ("designated safeguarding lead", 4, 17),
        ("head of year", 11, 15),
        ("form tutor", 11, 17),
        ("youth worker", 10, 17),
        ("mentor", 10, 17),
    ),
    "topic": (
        ("the war in the Middle East", 10, 17),
        ("immigration", 10, 17),
        ("a recent attack reported in the news", 10, 17),
        ("unfairness at school", 10, 15),
        ("a documentary about conflict", 10, 17),
        ("local politics", 12, 17),
        ("the treatment of their community", 10, 17),
        ("video games with violent themes", 10, 17),
    ),
    "online": (
        ("a gaming chat server", 8, 17),
        ("a video platform", 8, 17),
        ("a messaging group", 10, 17),
        ("an anonymous forum", 12, 17),
        ("a social media account", 10, 17),
    ),
    "hope": (
        ("learn to swim", 4, 9),
        ("join a football club", 5, 12),
        ("do well at school", 5, 15),
        ("join a football academy", 10, 16),
        ("become a nurse", 10, 17),
        ("do well in their exams", 13, 17),
        ("go to college to study engineering", 16, 17),
        ("get an apprenticeship as an electrician", 16, 17),
        ("learn to drive", 16, 17),
    ),
    "family_hope": (
        ("move to a bigger flat", 0, 17),
        ("visit family abroad", 0, 17),
        ("start a small business", 0, 17),
        ("have more time together at weekends", 0, 17),
    ),
    "strength": (
        ("a close relationship with their grandmother", 0, 17),
        ("parents who respond warmly to them", 0, 9),
        ("a trusted teacher", 4, 17),
        ("supportive friends", 5, 17),
        ("regular attendance at a sports club", 6, 17),
        ("a mentor they see weekly", 10, 17),
    ),
    "partner": (("the health visitor", 0, 3), ("the nursery", 2, 3), ("the school", 4, 17)),
}

C, F, M = "child", "family", "community"
E, P, H, S, FAM = "education", "police", "health", "social_care", "family"
COM, V, HOUSING = "community", "voluntary_sector", "housing"
EVENT_LINES: dict[str, tuple[Line, ...]] = {
    "belief_practice": (
        Line(
            "{Child} has started attending prayers at {worship} more regularly.",
            8,
            faith="specific",
            by=(E, COM, FAM),
        ),
        Line(
            "{Child} told their {staff} that faith is becoming more important to them.",
            8,
            faith="has",
            by=(E, COM),
        ),
        Line(
            "{Child} has begun wearing religious dress; the {adult} says this is their own choice.",
            10,
            faith="has",
            by=(E, S),
        ),
        Line(
            "{Child} asked for a quiet space at school to pray during the day.",
            8,
            faith="has",
            by=(E,),
        ),
        Line("Reported by the {staff}: {child} {practice}.", 6, faith="specific", by=(E, COM)),
        Line(
            "The family take {child} to {worship} each week.",
            0,
            level=F,
            faith="specific",
            by=(S, FAM, COM),
        ),
        Line(
            "The family's faith community at {worship} has offered meals and help with childcare.",
            0,
            level=F,
            faith="specific",
            by=(S, COM),
        ),
        Line(
            "The {adult} says faith helps the family cope and asked that visits avoid prayer "
            "times.",
            0,
            level=F,
            faith="has",
            by=(S,),
        ),
        Line(
            "The {adult} says the family is not religious and wants {child} to decide for "
            "themselves.",
            0,
            level=F,
            faith="none",
            by=(S,),
        ),
    ),
    "views_expressed": (
        Line("In class {child} spoke strongly about {topic}.", 10, by=(E,)),
        Line(
            "{Child} shared opinions about {topic} that other pupils found offensive.", 11, by=(E,)
        ),
        Line(
            "The {staff} reported that {child} said they distrust the police and government.",
            12,
            by=(E, V),
        ),
        Line("{Child} wrote an essay expressing anger about {topic}.", 11, by=(E,)),
        Line("{Child} argued with peers about {topic}; no threats were made.", 10, by=(E, V, COM)),
        Line(
            "{Child} told the worker they think the police treat people like them unfairly.",
            12,
            by=(S,),
            tags=("exploitation",),
        ),
        Line("The {adult} spoke angrily about {topic} during the visit.", 10, level=F, by=(S,)),
    ),
    "influence_grooming": (
        Line(
            "{Child} has been in contact with an older adult on {online} who shares hateful "
            "material.",
            10,
            by=(E, FAM, S),
        ),
        Line(
            "The {staff} saw {child} watching videos that glorify violence against a group.",
            10,
            by=(E,),
        ),
        Line(
            "{Child} said an online contact told them to keep their chats secret.",
            10,
            by=(E, FAM, S),
        ),
        Line(
            "{Child} repeated phrases used by an extremist group they met on {online}.",
            10,
            by=(E, S),
        ),
        Line(
            "An older peer is encouraging {child} to join a group that targets others.",
            11,
            by=(E, FAM, S),
        ),
    ),
    "extremist_behaviour": (
        Line(
            "{Child} shared material on {online} that encourages violence against others.",
            10,
            by=(E, P),
        ),
        Line("{Child} threatened a classmate because of the classmate's religion.", 10, by=(E,)),
        Line("{Child} was found with notes describing a plan to harm others.", 11, by=(E, P)),
        Line("{Child} drew symbols of a proscribed group on school property.", 10, by=(E,)),
        Line(
            "{Child} tried to recruit younger pupils to an online group that promotes hatred.",
            11,
            by=(E,),
        ),
    ),
    "harm": (
        Line(
            "A neighbour reported that the baby is often left crying and alone in the flat.",
            0,
            2,
            by=(COM, P),
            tags=("neglect",),
        ),
        Line(
            "A neighbour reported that the child is often left alone at home in the evening.",
            3,
            9,
            by=(COM, P),
            tags=("neglect",),
        ),
        Line(
            "The {adult} reported that {child} came home with injuries and will not say how.",
            10,
            by=(FAM,),
            tags=("exploitation",),
        ),
        Line(
            "The health visitor found the child with an untreated nappy rash and the home cold.",
            0,
            2,
            by=(H,),
            tags=("neglect",),
        ),
        Line(
            "The child was seen at the nursery with a bruise on their cheek; the {adult} said "
            "they fell.",
            2,
            4,
            by=(E, H),
        ),
        Line(
            "The child was taken to hospital after swallowing tablets left within reach.",
            1,
            5,
            by=(H,),
            tags=("neglect",),
        ),
        Line("{Child} arrived at school with an injury they could not explain.", 5, by=(E,)),
        Line(
            "{Child} told their {staff} they had not eaten properly for several days.",
            5,
            by=(E, H),
            tags=("neglect",),
        ),
        Line(
            "{Child} disclosed being hit by an adult at home.",
            6,
            by=(E, S),
            tags=("domestic_abuse",),
        ),
        Line("{Child} was assaulted by peers after school.", 10, by=(P, E), tags=("exploitation",)),
        Line(
            "Police found {child} out late at night with older adults.",
            10,
            by=(P,),
            tags=("exploitation",),
        ),
        Line(
            "{Child} was reported missing overnight and returned with new clothes and a phone.",
            12,
            by=(P,),
            tags=("exploitation",),
        ),
        Line(
            "Police were called to the home after a violent argument; the child was in the house.",
            0,
            9,
            level=F,
            by=(P,),
            tags=("domestic_abuse",),
        ),
        Line(
            "Police were called to the home after a violent argument; {child} was in the house.",
            10,
            level=F,
            by=(P,),
            tags=("domestic_abuse",),
        ),
        Line(
            "{Child} was taken to hospital after cutting themselves.",
            12,
            by=(H,),
            tags=("mental_health",),
        ),
    ),
    "vulnerability": (
        Line(
            "The {adult} asked for help: they are struggling to cope with {child}'s behaviour.",
            5,
            by=(FAM, S),
            tags=("mental_health",),
        ),
        Line(
            "The child has missed two health visitor checks and their immunisations.",
            0,
            3,
            by=(H,),
            tags=("neglect",),
        ),
        Line(
            "The health visitor is worried that the child's weight has dropped below the expected "
            "centile.",
            0,
            4,
            by=(H,),
            tags=("neglect",),
        ),
        Line(
            "{Child} is waiting for an assessment of their speech and language needs.",
            2,
            7,
            by=(H,),
        ),
        Line(
            "{Child}'s attendance at school has dropped to under 80 per cent.",
            5,
            15,
            by=(E,),
            tags=("neglect",),
        ),
        Line("{Child}'s attendance at college has dropped to under 80 per cent.", 16, by=(E,)),
        Line(
            "{Child} is being bullied at school and says they have no friends.",
            6,
            15,
            by=(E,),
            tags=("mental_health",),
        ),
        Line(
            "{Child} has been isolated since moving school and spends long hours on {online}.",
            9,
            15,
            by=(E, S),
            tags=("mental_health",),
        ),
        Line(
            "{Child} says they feel low, are not sleeping and are worried about their mental "
            "health.",
            10,
            by=(H, E, S),
            tags=("mental_health",),
        ),
        Line(
            "{Child} is waiting for a mental health assessment after the GP's referral.",
            10,
            by=(H,),
            tags=("mental_health",),
        ),
        Line(
            "{Child} was excluded for a fixed period after a fight.",
            10,
            15,
            by=(E,),
            tags=("exploitation",),
        ),
        Line(
            "{Child} has dropped out of their college course and spends most days at home.",
            16,
            by=(E, S),
            tags=("mental_health",),
        ),
        Line(
            "The child is often collected late from school and seems hungry.",
            5,
            9,
            by=(E,),
            tags=("neglect",),
        ),
    ),
    "family_context": (
        Line(
            "The {adult} asked for help after the family was evicted and is staying with friends.",
            0,
            level=F,
            by=(FAM, HOUSING, S),
            tags=("neglect", "housing"),
        ),
        Line(
            "A neighbour reported hearing shouting and things being thrown in the flat at night.",
            0,
            level=F,
            by=(COM, P),
            tags=("domestic_abuse",),
        ),
        Line(
            "The {adult} has a historical association with a group now proscribed; no recent "
            "contact is known.",
            0,
            level=F,
            by=(P, S),
        ),
        Line(
            "The family moved house twice this year because of rent arrears.",
            0,
            level=F,
            by=(HOUSING, S),
            tags=("neglect", "housing"),
        ),
        Line(
            "The {adult} has been unwell and {child} is doing most of the caring.",
            10,
            level=F,
            by=(S, H, E),
        ),
        Line(
            "The parents have separated; {child} stays with each at weekends.",
            2,
            level=F,
            by=(S,),
            tags=("domestic_abuse",),
        ),
        Line(
            "The {adult} spoke about the family's experience of racism in the area.",
            0,
            level=F,
            by=(S,),
        ),
        Line(
            "The {adult} is drinking heavily and the home had little food at the last visit.",
            0,
            level=F,
            by=(S, H),
            tags=("neglect",),
        ),
        Line(
            "The mother disclosed that her partner is controlling and has hit her.",
            0,
            level=F,
            by=(S, H, P),
            tags=("domestic_abuse",),
        ),
    ),
    "community_context": (
        Line(
            "There has been tension in the neighbourhood after a local incident.",
            0,
            level=M,
            by=(COM, P),
        ),
        Line(
            "A community centre near the family home runs youth sessions {child} could join.",
            10,
            level=M,
            by=(COM, S),
        ),
        Line(
            "Leaflets from a far-right group were posted in the estate this month.",
            0,
            level=M,
            by=(COM, P),
        ),
        Line(
            "Local faith leaders held an open meeting about keeping young people safe online.",
            8,
            level=M,
            by=(COM,),
        ),
        Line(
            "A children's centre near the family home runs stay-and-play sessions.",
            0,
            4,
            level=M,
            by=(COM, S),
        ),
        Line(
            "Older teenagers have been seen recruiting younger ones to sell drugs near the estate.",
            12,
            level=M,
            by=(P, COM),
            tags=("exploitation",),
        ),
    ),
    "protective": (
        Line("{Child} has {strength}.", 0, by=(S, E)),
        Line("The {adult} attends every meeting and follows the safety plan.", 0, level=F, by=(S,)),
        Line(
            "The {adult} responds warmly to the child and keeps every health appointment.",
            0,
            5,
            level=F,
            by=(H,),
        ),
        Line("{Child} talks openly with their {staff} about what they see online.", 9, by=(E, V)),
        Line(
            "The family have agreed to set up parental controls together with {child}.",
            8,
            level=F,
            by=(S,),
        ),
        Line(
            "A local youth club has offered {child} a volunteering role.", 13, level=M, by=(V, COM)
        ),
    ),
    "aspiration": (
        Line("{Child} says they want to {hope}.", 6, by=(S, E)),
        Line("The family hope {child} can {hope}.", 4, level=F, by=(S,)),
        Line(
            "The {adult} wants the family to {family_hope} and asked for help to plan it.",
            0,
            level=F,
            by=(S,),
        ),
    ),
    "agency_action": (
        Line("Strategy discussion held with police and {partner}.", 0, by=(S,)),
        Line("Home visit completed; {child} was seen alone.", 5, by=(S,)),
        Line("Home visit completed; the child was seen with the {adult}.", 0, 4, by=(S,)),
        Line(
            "Professionals meeting held with {partner}, health and the youth service.", 10, by=(S,)
        ),
        Line("Core group meeting held with the family to review the plan.", 0, level=F, by=(S,)),
        Line("Letter sent to the family confirming the agreed support.", 0, level=F, by=(S,)),
    ),
}
"""Chronology templates per category of the lens."""

INTEL_LINES: dict[str, tuple[Line, ...]] = {
    "influence_grooming": (
        Line(
            "Police intelligence: {child} is in contact with an adult known to share extremist "
            "material on {online}.",
            10,
            by=(P,),
        ),
        Line(
            "Police intelligence: an adult under investigation has been messaging {child}.",
            10,
            by=(P,),
        ),
    ),
    "extremist_behaviour": (
        Line(
            "Police intelligence: {child} posted material supporting a proscribed group on "
            "{online}.",
            10,
            by=(P,),
        ),
        Line(
            "Police intelligence: {child} asked an online contact how to obtain a weapon.",
            12,
            by=(P,),
        ),
    ),
    "harm": (
        Line(
            "Police intelligence links an address {child} visits to drug supply by older men.",
            12,
            by=(P,),
        ),
        Line(
            "Police intelligence: a registered sex offender has been seen with {child}.",
            10,
            by=(P,),
        ),
    ),
    "family_context": (
        Line(
            "Police intelligence: the {adult} is in contact with a member of a proscribed group.",
            0,
            level=F,
            by=(P,),
        ),
    ),
}
"""Restricted police intelligence: held by the police, not shareable with the family."""

ENGAGEMENT_LINES: dict[str, tuple[Line, ...]] = {
    "genuine": (
        Line("The family engaged well: they kept every appointment and made the agreed "
            "changes.", 0, level=F, by=(S,)),
        Line("{Child} met the worker alone and talked openly about their worries.", 8, by=(S,)),
    ),
    "partial": (
        Line("The family attended some meetings but missed two home visits.", 0, level=F, by=(S,)),
        Line("{Child} agreed to mentoring but has attended only half the sessions.", 10, by=(S,)),
    ),
    "disguised": (
        Line("The family say they follow the plan, but {partner} reports no change; possible "
            "disguised compliance.", 0, level=F, by=(S,)),
        Line("The {adult} agreed to remove the devices, but {child} is still active on "
            "{online}.", 10, level=F, by=(S,)),
    ),
    "none": (
        Line("The family declined to meet the worker and asked for contact by letter "
            "only.", 0, level=F, by=(S,)),
    ),
}  # fmt: skip


VISIT_LINES: dict[str, tuple[Line, ...]] = {
    "alone": (
        Line("Home visit; {child} was seen alone and played with the worker, who saw how they "
            "are at home.", 3, 7, by=(S,)),
        Line("Home visit; {child} was seen alone and drew a picture of the family with the "
            "worker.", 4, 9, by=(S,)),
        Line("Home visit; {child} was seen alone in their room and talked about friends and "
            "what they like doing.", 6, by=(S,)),
        Line("Visit; {child} was seen alone and said how things have been at home since the "
            "last visit.", 8, by=(S,)),
        Line("{Child} was seen alone away from home, at their request, and talked about what "
            "they want to happen next.", 11, by=(S,)),
    ),
    "with_parent": (
        Line("Home visit; the baby was seen with their parent and the home conditions were "
            "checked.", 0, 1, by=(S,)),
        Line("Home visit; {child} was seen with a parent present; the worker checked the "
            "home and talked with the family.", 2, by=(S,)),
        Line("Home visit; {child} did not want to talk without a parent there, so they were "
            "seen together.", 6, by=(S,)),
    ),
    "not_seen": (
        Line("Home visit; {child} was out, so the worker met the parents and arranged "
            "another visit.", 10, level="family", by=(S,)),
        Line("Home visit; no one was at home and a card was left to arrange another "
            "visit.", 0, level="family", by=(S,)),
    ),
}  # fmt: skip
"""Statutory visits: the child seen alone, seen with a parent, or not seen."""

ASSESSMENT_DONE = (
    "Assessment completed and signed off by the team manager; the outcome was explained to "
    "the family."
)


@dataclass(frozen=True)
class PlanLine:
    """A plan action: who does that kind of work, for whom, and what it answers."""

    text: str
    owners: tuple[str, ...]
    answers: tuple[str, ...]
    level: str = "child"
    lo: int = 0
    hi: int = 17
    faith: str = "any"
    channel: bool = False
    tags: tuple[str, ...] = ()
    """Only for a case with one of these concerns (empty: any case)."""
    needs: str = ""
    """Only where an entry typical of this concern (its tag) is known: the worry it answers."""


_WORRY = ("vulnerability", "harm", "influence_grooming", "extremist_behaviour")
PLAN_LINES: tuple[PlanLine, ...] = (
    PlanLine("Referral to CAMHS for an assessment of {child}'s low mood and sleep.", ("health",),
             ("vulnerability", "harm"), lo=10, needs="mental_health"),
    PlanLine("Health visitor to visit weekly and check the child's weight and development.",
             ("health",), ("vulnerability", "harm", "family_context"), hi=4),
    PlanLine("Nursery place so the child has a routine and a meal every day.", ("education",),
             ("vulnerability", "harm", "family_context"), lo=2, hi=4),
    PlanLine("Weekly mentoring sessions with a mentor from the youth service.",
             ("voluntary_sector", "community"),
             ("vulnerability", "views_expressed", "influence_grooming", "aspiration"), lo=10),
    PlanLine("School to provide a named adult and a safe space at lunchtimes.", ("education",),
             ("vulnerability", "views_expressed", "harm", "protective"), lo=5, hi=15),
    PlanLine("Online safety work with {child} and the family.", ("education", "social_care"),
             ("influence_grooming", "vulnerability", "extremist_behaviour"), lo=9),
    PlanLine("Support the family to set up parental controls together.", ("social_care",),
             ("influence_grooming", "vulnerability"), level="family", lo=8, hi=15),
    PlanLine("Family group conference to agree a family plan.", ("social_care",),
             ("family_context", "harm", "engagement", "protective", "aspiration"),
             level="family"),
    PlanLine("Parenting support sessions with the family support worker.", ("social_care",),
             ("family_context", "harm", "vulnerability", "engagement"), level="family"),
    PlanLine("Help the family apply for housing support.", ("housing",),
             ("family_context",), level="family", needs="housing"),
    PlanLine("Referral to the domestic abuse service to plan the family's safety.",
             ("voluntary_sector",), ("family_context", "harm"), level="family",
             tags=("domestic_abuse",)),
    PlanLine("Return home interviews after each missing episode, with the exploitation team.",
             ("social_care",), ("harm", "vulnerability"), lo=12, tags=("exploitation",)),
    PlanLine("Direct work sessions with {child} about their worries and wishes.",
             ("social_care",), ("vulnerability", "harm", "views_expressed"), lo=5),
    PlanLine("Connect {child} with the local youth club.", ("community", "voluntary_sector"),
             ("vulnerability", "aspiration", "protective"), level="community", lo=10),
    PlanLine("Ask {worship} to include {child} in its youth programme.", ("community",),
             ("vulnerability", "protective", "aspiration"), level="community", lo=8,
             faith="specific"),
    PlanLine("Channel intervention provider sessions with {child}, as agreed at the panel.",
             ("social_care",), ("influence_grooming", "extremist_behaviour", "views_expressed"),
             lo=8, channel=True),
)  # fmt: skip
"""Plan actions, each owned by the agency that does that kind of work."""

OVERRIDE_REASONS = (
    "Necessary and proportionate to protect {child} from significant harm; agreed by the "
    "team manager.",
    "The police information bears on an immediate risk to others; sharing without consent was "
    "judged necessary under the strategy discussion.",
    "Consent refused by the {adult}; sharing with the school was judged necessary to keep "
    "{child} safe during the school day.",
)
NOT_SOUGHT_REASONS = (
    "Seeking consent would place {child} at risk of harm.",
    "Seeking consent could alert an adult under police investigation.",
    "Shared in an emergency; the family will be told at the next visit.",
)

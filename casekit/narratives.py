"""Plain, non-judgemental phrases for synthetic chronology entries, decisions and plans.

Written the way practice guidance asks: say what happened and who said it, describe behaviour
rather than labels, and remember that families may read the record. No names are used. A
template that begins ``family|`` or ``community|`` is about that level rather than the child.
"""

from __future__ import annotations

SCREENING = "Screening completed by the Prevent team; information gathered from partners."

__all__ = [
    "SCREENING",
    "EVENT_TEXT",
    "SLOTS",
    "RATIONALE",
    "PLAN_TEXT",
    "ENGAGEMENT_TEXT",
    "SUPERVISION_TEXT",
]

SLOTS: dict[str, tuple[str, ...]] = {
    "adult": ("mother", "father", "grandmother", "older sibling", "aunt", "stepfather", "carer"),
    "staff": (
        "head of year",
        "form tutor",
        "school nurse",
        "youth worker",
        "GP",
        "mentor",
        "designated safeguarding lead",
    ),
    "place": (
        "at school",
        "at home",
        "at the youth club",
        "at the mosque",
        "at church",
        "at the gurdwara",
        "at the library",
        "online",
        "at the football club",
    ),
    "topic": (
        "the war in the Middle East",
        "immigration",
        "a recent attack reported in the news",
        "unfairness at school",
        "a documentary about conflict",
        "local politics",
        "the treatment of their community",
        "video games with violent themes",
    ),
    "online": (
        "a gaming chat server",
        "a video platform",
        "a messaging group",
        "an anonymous forum",
        "a social media account",
    ),
    "hope": (
        "go to college to study engineering",
        "join a football academy",
        "become a nurse",
        "get an apprenticeship as an electrician",
        "learn to drive",
        "move to a bigger flat",
        "visit family abroad",
        "start a small business",
    ),
    "strength": (
        "a close relationship with their grandmother",
        "a trusted teacher",
        "regular attendance at a sports club",
        "supportive friends",
        "a mentor they see weekly",
        "parents who talk openly with them",
        "a faith community that offers practical support",
    ),
}

EVENT_TEXT: dict[str, tuple[str, ...]] = {
    "belief_practice": (
        "The young person has started attending prayers {place} more regularly.",
        "The young person told their {staff} that faith is becoming more important to them.",
        "The young person has begun wearing religious dress; the {adult} says this is "
        "their own choice.",
        "The young person asked for a quiet space {place} to pray during the day.",
        "Reported by the {staff}: the young person fasted during Ramadan and was tired in lessons.",
    ),
    "views_expressed": (
        "In class the young person spoke strongly about {topic}.",
        "The young person shared opinions about {topic} that other pupils found offensive.",
        "The {staff} reported that the young person said they distrust the police and government.",
        "The young person wrote an essay expressing anger about {topic}.",
        "The young person argued with peers {place} about {topic}; no threats were made.",
    ),
    "influence_grooming": (
        "The young person has been in contact with an older adult on {online} who shares "
        "hateful material.",
        "The {staff} saw the young person watching videos that glorify violence against a group.",
        "The young person said an online contact told them to keep their chats secret.",
        "The young person repeated phrases used by an extremist group they met on {online}.",
        "An older peer is encouraging the young person to join a group that targets others.",
    ),
    "extremist_behaviour": (
        "The young person shared material on {online} that encourages violence against others.",
        "The young person threatened a classmate because of the classmate's religion.",
        "The young person was found with notes describing a plan to harm others.",
        "The young person drew symbols of a proscribed group on school property.",
        "The young person tried to recruit younger pupils to an online group that promotes hatred.",
    ),
    "harm": (
        "The young person arrived {place} with an injury they could not explain.",
        "The young person disclosed being hit by an adult at home.",
        "The young person was assaulted by peers after school.",
        "The young person said they had not eaten properly for several days.",
        "Police found the young person out late at night with older adults.",
    ),
    "vulnerability": (
        "The young person has been isolated since moving school and spends long hours on {online}.",
        "The young person is being bullied {place} and says they have no friends.",
        "The young person's attendance has dropped to under 80 per cent.",
        "The young person is waiting for a mental health assessment.",
        "The young person was excluded for a fixed period after a fight.",
    ),
    "family_context": (
        "The {adult} has a historical association with a group now proscribed; no recent contact "
        "is known.",
        "The family moved house twice this year because of rent arrears.",
        "The {adult} has been unwell and the young person is doing most of the caring.",
        "The parents have separated; the young person stays with each at weekends.",
        "The {adult} spoke about the family's experience of racism in the area.",
    ),
    "community_context": (
        "There has been tension in the neighbourhood after a local incident.",
        "A community centre near the family home runs youth sessions the young person could join.",
        "Leaflets from a far-right group were posted in the estate this month.",
        "Local faith leaders held an open meeting about keeping young people safe online.",
    ),
    "engagement": (),  # from ENGAGEMENT_TEXT
    "protective": (
        "The young person has {strength}.",
        "family|The {adult} attends every meeting and follows the safety plan.",
        "The young person talks openly with their {staff} about what they see online.",
        "family|The family have agreed to set up parental controls together with the young person.",
        "community|A local youth club has offered the young person a volunteering role.",
    ),
    "aspiration": (
        "The young person says they want to {hope}.",
        "family|The family hope the young person can {hope}.",
        "family|The {adult} wants the family to {hope} and asked for help to plan it.",
    ),
    "agency_action": (
        "Strategy discussion held with police and school.",
        "Home visit completed; the young person was seen alone.",
        "Professionals meeting held with school, health and the youth service.",
        "family|Core group meeting held with the family to review the plan.",
        "Letter sent to the family confirming the agreed support.",
    ),
}

ENGAGEMENT_TEXT: dict[str, tuple[str, ...]] = {
    "genuine": (
        "The family engaged well: they kept every appointment and made the agreed changes.",
        "The young person met the worker alone and talked openly about their worries.",
    ),
    "partial": (
        "The family attended some meetings but missed two home visits.",
        "The young person agreed to mentoring but has attended only half the sessions.",
    ),
    "disguised": (
        "The family say they follow the plan, but the school reports no change; possible "
        "disguised compliance.",
        "The {adult} agreed to remove the devices, but the young person is still active on "
        "{online}.",
    ),
    "none": ("The family declined to meet the worker and asked for contact by letter only.",),
}

RATIONALE: dict[str, tuple[str, ...]] = {
    "no_further_action": (
        "No evidence of risk of harm or of being drawn into extremism; "
        "the young person's views and faith are not a safeguarding concern.",
    ),
    "signposted": (
        "Views expressed are not a concern in themselves; signposted to youth "
        "services and school support.",
    ),
    "early_help": ("Vulnerabilities identified; early help offered with the family's agreement.",),
    "child_in_need": ("Assessment shows additional needs; child in need plan agreed.",),
    "channel_support": ("Channel panel agreed support; consent given by parent.",),
    "section_47": ("Reasonable cause to suspect significant harm; strategy discussion held.",),
    "child_protection_plan": ("Initial child protection conference agreed a plan.",),
    "proceedings": ("Threshold for proceedings met; legal planning meeting held.",),
}

PLAN_TEXT: dict[str, tuple[str, ...]] = {
    "child": (
        "Weekly mentoring sessions with a youth worker.",
        "School to provide a named adult and a safe space at lunchtimes.",
        "Online safety work with the young person.",
        "Referral to CAMHS for an assessment.",
    ),
    "family": (
        "Family group conference to agree a family plan.",
        "Parenting support sessions with the family support worker.",
        "Help the family apply for housing support.",
        "Support the family to set up parental controls together.",
    ),
    "community": (
        "Connect the young person with the local youth club.",
        "Introduce the family to the community centre's mentoring scheme.",
        "Share information about online safety events at the faith centre.",
    ),
}

SUPERVISION_TEXT: dict[str, tuple[str, ...]] = {
    "experience": ("Worker described the last home visit and the school's latest report.",),
    "reflection": (
        "Worker felt uneasy about the school's language; we asked whether belief "
        "was being read as risk.",
    ),
    "analysis": (
        "The evidence shows views expressed, not behaviour; vulnerabilities are "
        "isolation and bullying.",
    ),
    "actions": (
        "Meet the family together; ask the school for specific incidents; review in four weeks.",
    ),
    "hypotheses": (
        "1) The young person is isolated and seeking belonging online. 2) An older "
        "contact is grooming the young person.",
    ),
    "graces": (
        "Religion and age: are we reading religious practice as a warning sign? "
        "Class and geography: the family's housing stress.",
    ),
}

"""The Ofsted Annex A lists casekit reads: their sheets, headers and coded values.

Annex A is the workbook of lists a local authority gives Ofsted before an inspection of
children's services. casekit reads six of them: list 1 (contacts), 3 (referrals), 4
(assessments), 5 (section 47 enquiries and initial child protection conferences), 6 (children
in need) and 7 (child protection). Real workbooks vary: sheets are called "List 1", "List_1"
or "Contacts"; headers differ in spelling and case; values come coded ("q) 6: Police",
"a) WBRI", "N1 - Abuse or neglect") or as plain labels. This module holds what is known about
them (the fields each list carries, the headers that name each field, and what each coded
value means in the contract's vocabularies); :mod:`casekit.ingest.annex_import` does the reading,
matching headers with :func:`casekit.ingest.grid.header_key`.

>>> code_of("q) 6: Police"), code_of("a) WBRI"), code_of("N1 - Abuse or neglect")
('6', 'WBRI', 'N1')
>>> plain("b) Female"), plain("a) Yes")
('Female', 'Yes')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from casekit.ingest.grid import header_key

__all__ = [
    "AnnexList",
    "LISTS",
    "COMMON",
    "VALUE_CODES",
    "VALUE_WORDS",
    "VALUE_KEYWORDS",
    "code_of",
    "label_of",
    "plain",
    "list_number",
]


def plain(value: object) -> str:
    """Strip a list-letter prefix ("a) ", "q) ") and spare spaces from a cell."""
    text = " ".join(str(value).replace("\xa0", " ").split())
    return re.sub(r"^[a-z]{1,2}\)\s*", "", text)


def code_of(value: object) -> str:
    """Return a coded value's code ("6", "1B", "WBRI", "N1"), or the plain text when uncoded."""
    text = plain(value)
    m = re.match(r"^([0-9]{1,2}[A-Z]?|[A-Z][0-9]{1,2}|[A-Z]{4})\b\s*(?:[:\-)]|$)", text)
    return m.group(1) if m else text


def label_of(value: object) -> str:
    """Return a coded value's words without its code ("6: Police" gives "Police").

    >>> label_of("q) 6: Police"), label_of("N1 - Abuse or neglect"), label_of("Police")
    ('Police', 'Abuse or neglect', 'Police')
    """
    text = plain(value)
    code = code_of(text)
    if code != text and text.startswith(code):
        return text[len(code) :].lstrip(" :-)") or text
    return text


@dataclass(frozen=True)
class AnnexList:
    """One Annex A list: what it is called and the fields casekit reads from it."""

    number: int
    name: str
    sheet_words: tuple[str, ...]
    fields: dict[str, tuple[str, ...]]
    dates: tuple[str, ...]
    """The fields that hold dates; the first is the row's own date and is required."""


COMMON: dict[str, tuple[str, ...]] = {
    "child_id": ("Child Unique ID", "Child ID", "Unique ID", "Child Identifier", "LA Child ID"),
    "gender": ("Gender", "Sex"),
    "ethnicity": ("Ethnicity", "Ethnic Origin"),
    "dob": ("Date of Birth", "DOB", "Birth Date"),
    "team": ("Allocated Team", "Team", "Team Name"),
    "worker": ("Allocated Worker", "Worker", "Social Worker", "Allocated Social Worker"),
}
"""Fields every list may carry."""

LISTS: dict[int, AnnexList] = {
    a.number: a
    for a in (
        AnnexList(
            1,
            "contacts",
            ("contact",),
            {
                "contact_date": ("Date of Contact", "Contact Date"),
                "contact_source": ("Contact Source", "Source of Contact"),
            },
            ("contact_date",),
        ),
        AnnexList(
            3,
            "referrals",
            ("referral",),
            {
                "referral_date": ("Date of Referral", "Referral Date"),
                "referral_source": ("Referral Source", "Source of Referral"),
                "referral_nfa": ("Referral NFA?", "Referral NFA", "NFA"),
            },
            ("referral_date",),
        ),
        AnnexList(
            4,
            "assessments",
            ("assessment",),
            {
                "assessment_start": (
                    "Continuous Assessment Start Date",
                    "Assessment Start Date",
                    "Date Assessment Started",
                ),
                "assessment_authorised": (
                    "Continuous Assessment Date of Authorisation",
                    "Assessment Date of Authorisation",
                    "Date of Authorisation",
                    "Assessment Completion Date",
                ),
                "assessment_outcome": (
                    "Was the child assessed as requiring LA children's social care support?",
                    "Assessment Outcome",
                ),
            },
            ("assessment_start", "assessment_authorised"),
        ),
        AnnexList(
            5,
            "section 47 enquiries and ICPCs",
            ("section 47", "s47", "icpc"),
            {
                "s47_date": (
                    "Strategy discussion initiating Section 47 Enquiry Start Date",
                    "Section 47 Enquiry Start Date",
                    "S47 Start Date",
                    "Date of Strategy Discussion",
                ),
                "icpc_date": ("Date of Initial Child Protection Conference", "ICPC Date"),
                "icpc_plan": (
                    "Did the Initial Child Protection Conference Result in a Child Protection Plan",
                    "ICPC Outcome",
                ),
            },
            ("s47_date", "icpc_date"),
        ),
        AnnexList(
            6,
            "children in need",
            ("child in need", "children in need", "cin"),
            {
                "cin_start": ("CIN Start Date", "Child in Need Start Date", "CIN Episode Start"),
                "primary_need": ("Primary Need Code", "Primary Need", "Category of Need"),
                "cin_closure": ("CIN Closure Date", "Child in Need Closure Date"),
            },
            ("cin_start", "cin_closure"),
        ),
        AnnexList(
            7,
            "child protection",
            ("child protection", "cp"),
            {
                "cpp_start": ("Child Protection Plan Start Date", "CPP Start Date", "CP Start"),
                "cpp_end": ("Child Protection Plan End Date", "CPP End Date"),
            },
            ("cpp_start", "cpp_end"),
        ),
    )
}
"""The lists casekit reads, by number."""

IGNORED_HEADERS = {
    header_key(h)
    for h in (
        "Age",
        "Age of Child (Years)",
        "Does the Child have a Disability",
        "Number of Referrals in Last 12 Months",
        "Organisation completing assessment",
        "Child Seen During Continuous Assessment",
        "Was an Initial Child Protection Conference deemed unnecessary?",
        "Number of Section 47 Enquiries in the last 12 months",
        "Number of ICPCs in the last 12 months",
        "Date Child Was Last Seen",
        "Reason for Closure",
        "Case Status",
        "Initial Category of Abuse",
        "Latest Category of Abuse",
        "Date of the Last Statutory Visit",
        "Was the Child Seen Alone?",
        "Date of latest review conference",
        "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six "
        "Months (Y/N)",
        "Number of Previous Child Protection Plans",
    )
}
"""Annex A headers casekit knows and does not need (the report says so, not "unmatched")."""


def list_number(sheet: str) -> int | None:
    """Work out which list a sheet holds from its name ("List 1", "List_3", "Contacts").

    >>> list_number("List 1"), list_number("list_3 "), list_number("Contacts")
    (1, 3, 1)
    >>> list_number("Early help assessments"), list_number("Summary")
    (None, None)
    """
    text = " ".join(str(sheet).replace("_", " ").lower().split())
    m = re.match(r"^list\s*0*(\d+)\b", text)
    if m:
        return int(m.group(1))
    if "early help" in text:
        return None  # list 2, which casekit does not read
    for annex in LISTS.values():
        if any(re.search(rf"\b{re.escape(word)}", text) for word in annex.sheet_words):
            return annex.number
    return None


def _codes(pairs: str) -> dict[str, str]:
    return dict(p.split("=") for p in pairs.split())


VALUE_CODES: dict[str, dict[str, str]] = {
    # CIN census referral source codes
    "referral_source": _codes(
        "1A=family 1B=community 1C=self 1D=community 2A=education 2B=education 3A=health "
        "3B=health 3C=health 3D=health 3E=health 3F=health 4=local_authority "
        "5A=local_authority 5B=local_authority 5C=local_authority 5D=local_authority 6=police "
        "7=other 8=other 9=other 10=other"
    ),
    "contact_source": _codes(
        "1A=family 1B=community 1C=family 1D=community 2A=education 2B=education 3A=health "
        "3B=health 3C=health 3D=health 3E=health 3F=health 4=housing 5A=social_care "
        "5B=social_care 5C=social_care 5D=social_care 6=police 7=other 8=other "
        "9=other 10=other"
    ),
    # CIN census ethnicity codes
    "ethnicity": _codes(
        "WBRI=white WIRI=white WIRT=white WOTH=white WROM=white MWBC=mixed MWBA=mixed "
        "MWAS=mixed MOTH=mixed AIND=asian APKN=asian ABAN=asian AOTH=asian CHNE=asian "
        "BCRB=black BAFR=black BOTH=black OOTH=other REFU=unknown NOBT=unknown"
    ),
    # CIN census primary need codes
    "primary_need": _codes(
        "N1=neglect N2=other N3=other N4=other N5=domestic_abuse N6=other N7=other N8=neglect "
        "N9=other N0=other"
    ),
}
"""What each code means in the contract's vocabularies, per field."""

VALUE_WORDS: dict[str, dict[str, str]] = {
    "gender": {
        "male": "male",
        "m": "male",
        "female": "female",
        "f": "female",
        "not stated/recorded": "unknown",
        "not stated": "unknown",
        "not recorded": "unknown",
        "unknown": "unknown",
        "unborn": "unknown",
        "indeterminate": "other",
        "other": "other",
    },
    "yes_no": {"yes": "yes", "y": "yes", "no": "no", "n": "no"},
    "referral_source": {
        "police": "police",
        "school": "education",
        "schools": "education",
        "education": "education",
        "education services": "education",
        "health": "health",
        "health services": "health",
        "gp": "health",
        "housing": "local_authority",
        "la services": "local_authority",
        "local authority": "local_authority",
        "family": "family",
        "self": "self",
        "anonymous": "other",
        "unknown": "other",
        "other": "other",
    },
    "contact_source": {
        "police": "police",
        "school": "education",
        "schools": "education",
        "education": "education",
        "health": "health",
        "gp": "health",
        "housing": "housing",
        "social care": "social_care",
        "family": "family",
        "anonymous": "other",
        "unknown": "other",
        "other": "other",
    },
    "ethnicity": {
        "white": "white",
        "white british": "white",
        "mixed": "mixed",
        "asian": "asian",
        "black": "black",
        "chinese": "asian",
        "other": "other",
        "refused": "unknown",
        "not obtained": "unknown",
        "unknown": "unknown",
    },
    "primary_need": {
        "abuse or neglect": "neglect",
        "absent parenting": "neglect",
        "family dysfunction": "domestic_abuse",
    },
}
"""What plain labels mean, per field (matched on the lower-case label)."""

_SOURCE_KEYWORDS = (
    ("family", "family"),
    ("relative", "family"),
    ("acquaintance", "community"),
    ("neighbour", "community"),
    ("self", "self"),
    ("individual", "community"),
    ("school", "education"),
    ("education", "education"),
    ("health", "health"),
    ("hospital", "health"),
    ("police", "police"),
    ("housing", "local_authority"),
    ("la services", "local_authority"),
    ("local authority", "local_authority"),
    ("early help", "local_authority"),
    ("legal", "other"),
    ("anonymous", "other"),
    ("unknown", "other"),
    ("other", "other"),
)
VALUE_KEYWORDS: dict[str, tuple[tuple[str, str], ...]] = {
    "referral_source": _SOURCE_KEYWORDS,
    "contact_source": tuple(
        (word, {"local_authority": "social_care", "self": "family"}.get(target, target))
        for word, target in _SOURCE_KEYWORDS
        if word != "housing"
    )
    + (("housing", "housing"),),
}
"""For plain labels no word list has: the first keyword found in the label decides, in order.

>>> next(t for w, t in VALUE_KEYWORDS["referral_source"] if w in "individual - acquaintance")
'community'
"""

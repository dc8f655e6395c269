"""Write a synthetic Ofsted Annex A workbook, to try the import before touching real data.

The children, dates and decisions come from :func:`casekit.synth.generator.generate`: each case
becomes a
referral (list 3) with the contact before it (list 1), its first assessment (list 4), and its
section 47, child in need and child protection decisions (lists 5, 6 and 7). Some contacts lead
to no referral, as in real workbooks. :class:`AnnexStyle` varies what real files vary: sheet
names, a title row above the headers, header case, and coded or plain values. Dates of birth
are made up (the first day of the synthetic birth month, so that no referral or contact comes
before a birth); worker names are "Worker 12".
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from casekit.bundle.io import write_file_atomically
from casekit.errors import CasekitError
from casekit.ingest.annex_a import COMMON, LISTS
from casekit.synth.generator import DEFAULT_RADICALISATION_SHARE, generate

__all__ = ["AnnexStyle", "annex_a_workbook"]

_SOURCE_CODES = {
    "education": ("h) 2A", "Schools"),
    "police": ("q) 6", "Police"),
    "health": ("m) 3D", "Health services - other primary health services"),
    "local_authority": ("o) 5A", "LA services - social care"),
    "family": ("a) 1A", "Individual - family member"),
    "community": ("b) 1B", "Individual - acquaintance"),
    "self": ("c) 1C", "Individual - self"),
    "other": ("s) 8", "Other"),
}
_ETHNICITY = {"white": "WBRI", "mixed": "MOTH", "asian": "APKN", "black": "BAFR",
              "other": "OOTH", "unknown": "NOBT"}  # fmt: skip
_NEED = {"neglect": "N1 - Abuse or neglect", "domestic_abuse": "N5 - Family dysfunction",
         "other": "N9 - Cases other than children in need"}  # fmt: skip


@dataclass(frozen=True)
class AnnexStyle:
    """How a synthetic workbook is laid out: the variation real workbooks show."""

    sheets: str = "number"
    """``number`` ("List 1"), ``underscore`` ("List_1") or ``name`` ("Contacts")."""
    title_row: bool = False
    """A title row above the headers, so that they start on row 2."""
    header_case: str = "as_is"
    """``as_is``, ``upper`` or ``lower``."""
    coded: bool = True
    """Coded values ("q) 6: Police", "a) WBRI") or plain labels ("Police", "White British")."""


def _sheet_name(number: int, style: AnnexStyle) -> str:
    if style.sheets == "underscore":
        return f"List_{number}"
    if style.sheets == "name":
        return LISTS[number].name.title().replace("Icpcs", "ICPCs")
    return f"List {number}"


def _header(name: str, style: AnnexStyle) -> str:
    return {"upper": name.upper(), "lower": name.lower()}.get(style.header_case, name)


class _Lists:
    def __init__(self, style: AnnexStyle, rng: random.Random):
        self.style, self.rng = style, rng
        self.rows: dict[int, list[dict[str, object]]] = {n: [] for n in LISTS}

    def person(self, case: pd.Series, team: str) -> dict[str, object]:
        coded = self.style.coded
        gender = {"male": ("a) Male", "Male"), "female": ("b) Female", "Female")}.get(
            case["child_gender"], ("c) Not stated/recorded", "Not stated")
        )
        code = _ETHNICITY.get(case["child_ethnicity"], "NOBT")
        birth = case["child_birth_month"]
        return {
            "child_id": int(case["child_id"].lstrip("K")) + 1_000_000,
            "gender": gender[0] if coded else gender[1],
            "ethnicity": f"a) {code}" if coded else code,
            "dob": dt.datetime.fromisoformat(f"{birth}-01") if birth else None,
            "team": team,
            "worker": f"Worker\xa0{int(case['worker_id'].lstrip('W'))}"
            if case["worker_id"]
            else None,
        }

    def source(self, value: str) -> str:
        code, label = _SOURCE_CODES.get(value, _SOURCE_CODES["other"])
        return f"{code}: {label}" if self.style.coded else label

    def yes_no(self, yes: bool) -> str:
        return ("a) Yes" if yes else "b) No") if self.style.coded else ("Yes" if yes else "No")


def _day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _past(when: dt.datetime) -> dt.datetime | None:
    return when if when.date() <= dt.date.today() else None


def annex_a_workbook(
    path: str | Path,
    cases: int = 200,
    seed: int = 0,
    style: AnnexStyle | None = None,
    stray_contacts: float = 0.1,
    radicalisation_share: float = DEFAULT_RADICALISATION_SHARE,
) -> dict[int, int]:
    """Write a synthetic Annex A workbook to ``path``; return the rows written per list.

    The cases come from :func:`casekit.synth.generator.generate`, so they follow the same rules.
    """
    out = Path(path)
    if out.suffix.lower() != ".xlsx":
        raise CasekitError(f"--annex-a {path}: an Annex A workbook is an .xlsx file.")
    if not out.parent.exists():
        raise CasekitError(f"--annex-a {path}: the folder {out.parent} does not exist.")
    style = style or AnnexStyle()
    rng = random.Random(seed)
    tables = generate(seed=seed, n_cases=cases, radicalisation_share=radicalisation_share)
    teams = dict(zip(tables["teams"]["team_id"], tables["teams"]["team_name"], strict=True))
    lists = _Lists(style, rng)
    events = tables["events"]
    assessments = events[events["kind"] == "assessment"].sort_values("date")
    decisions = tables["decisions"].sort_values(["date", "decision_id"])
    for _, c in tables["cases"].iterrows():
        who = lists.person(c, teams[c["team_id"]])
        opened = _day(c["opened"])
        contact = opened - dt.timedelta(days=rng.randint(0, 5))
        if isinstance(dob := who["dob"], dt.datetime):  # no contact before a birth
            contact = max(contact, dob)
        lists.rows[1].append({**who, "contact_date": contact,
                              "contact_source": lists.source(c["referral_source"])})  # fmt: skip
        mine = decisions[decisions["case_id"] == c["case_id"]]
        nfa = set(mine["response"]) <= {"no_further_action"}
        lists.rows[3].append({**who, "referral_date": opened,
                              "referral_source": lists.source(c["referral_source"]),
                              "referral_nfa": lists.yes_no(nfa and bool(c["closed"]))})  # fmt: skip
        first = assessments[(assessments["case_id"] == c["case_id"])
                            & (assessments["date"] >= c["opened"])].head(1)  # fmt: skip
        for a in first.itertuples():
            start = _day(str(a.date))
            done = _past(start + dt.timedelta(days=rng.randint(10, 40)))
            lists.rows[4].append({**who, "assessment_start": start,
                                  "assessment_authorised": done,
                                  "assessment_outcome": "Yes" if done else None})  # fmt: skip
        responses = list(mine.itertuples())
        for i, d in enumerate(responses):
            day = _day(str(d.date))
            later = [_day(str(x.date)) for x in responses[i + 1 :]]
            if d.response == "section_47":
                plan = any(x.response == "child_protection_plan" for x in responses[i + 1 :])
                icpc = _past(day + dt.timedelta(days=14)) if plan else None
                said = lists.yes_no(True) if icpc else None
                lists.rows[5].append({**who, "s47_date": day, "icpc_date": icpc,
                                      "icpc_plan": said})  # fmt: skip
            elif d.response == "child_in_need":
                need = next((f for f in c["concern_flags"].split(";") if f in _NEED), "other")
                closure = _day(c["closed"]) if c["closed"] else None
                lists.rows[6].append({**who, "cin_start": day, "primary_need": _NEED[need],
                                      "cin_closure": closure})  # fmt: skip
            elif d.response == "child_protection_plan":
                lists.rows[7].append({**who, "cpp_start": day,
                                      "cpp_end": later[0] if later else None})  # fmt: skip
    for k in range(int(len(tables["cases"]) * stray_contacts)):
        lists.rows[1].append({"child_id": 9_000_000 + k, "gender": "Male", "ethnicity": "WBRI",
                              "dob": None, "team": None, "worker": None,
                              "contact_date": dt.datetime(2023, 1, 2) + dt.timedelta(days=k),
                              "contact_source": lists.source("police")})  # fmt: skip

    def write(tmp: Path) -> None:
        from casekit.render.xlsx import Sheet, write_workbook

        sheets = []
        for number, annex in LISTS.items():
            fields = {**COMMON, **annex.fields}
            frame = pd.DataFrame(lists.rows[number], columns=list(fields))
            frame.columns = [_header(fields[f][0], style) for f in fields]
            title = f"Annex A {annex.name} (synthetic)" if style.title_row else None
            sheets.append(Sheet(_sheet_name(number, style), frame, title=title,
                                header_row=int(style.title_row) + 1, freeze=False,
                                widths=False))  # fmt: skip
        write_workbook(tmp, sheets, exact=True)

    write_file_atomically(out, write)
    return {n: len(rows) for n, rows in lists.rows.items()}

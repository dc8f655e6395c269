"""Import an Ofsted Annex A workbook as a case bundle, with a report of all it could not place.

Referrals (list 3) become cases. Contacts (list 1) and assessments (list 4) become events on
the child's case; section 47 enquiries (list 5), child in need (list 6) and child protection
(list 7) become decisions on the response ladder. Full dates of birth become birth months;
worker names become worker IDs (names never reach the bundle). A child seen in lists 4 to 7
with no referral before that date gets a case opened at its earliest date (said in the report).

Nothing is dropped silently: every row read is imported, or listed in the matching report with
its reason; every header and coded value that could not be matched is listed with a
suggestion. The analyst puts the fixes in a mapping file (``--map``) and runs it again::

    sheets:            # a sheet's name -> the list it holds
      Contacts 2024: 1
    headers:           # a header as written -> a field (see casekit.ingest.annex_a.LISTS)
      Ref Source: referral_source
    values:            # a field -> {value as written: contract value}
      referral_source:
        "q) 6: Police": police
    defaults:          # what Annex A does not record
      family_engaged: false
      lead_agency: social_care
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from casekit.bundle.dates import excel_day, parse_agency_date
from casekit.bundle.io import read_mapping_file
from casekit.contract import TABLES
from casekit.errors import CasekitError
from casekit.ingest.annex_a import (
    COMMON,
    IGNORED_HEADERS,
    LISTS,
    VALUE_CODES,
    VALUE_KEYWORDS,
    VALUE_WORDS,
    code_of,
    label_of,
    list_number,
    plain,
)
from casekit.ingest.grid import (
    closest,
    data_rows,
    find_header_row,
    header_index,
    header_key,
    match_headers,
    read_grid,
)
from casekit.ingest.matching import Matching

__all__ = ["AnnexMapping", "load_annex_mapping", "import_annex_a", "write_report"]

_TARGETS: dict[str, tuple[str, ...]] = {
    "referral_source": TABLES["cases"].column("referral_source").vocabulary,
    "contact_source": TABLES["events"].column("source_agency").vocabulary,
    "ethnicity": TABLES["cases"].column("child_ethnicity").vocabulary,
    "gender": TABLES["cases"].column("child_gender").vocabulary,
    "primary_need": TABLES["cases"].column("concern_flags").vocabulary,
    "referral_nfa": ("yes", "no"),
    "icpc_plan": ("yes", "no"),
}
"""The fields whose values are matched, and the values each may take."""
_WORDS = {"referral_nfa": "yes_no", "icpc_plan": "yes_no"}
_MISSING = {"", "#n/a", "n/a", "na", "null", "none", "-"}
CONTACT_WINDOW_DAYS = 30
"""A contact belongs to the referral that follows it within this many days."""


@dataclass
class AnnexMapping:
    """An analyst's fixes: sheets, headers and values, and defaults for what Annex A lacks."""

    sheets: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    family_engaged: bool = False
    lead_agency: str = "social_care"


def load_annex_mapping(path: str | Path | None) -> AnnexMapping:
    """Read a mapping file (YAML), checking every target; None gives the defaults."""
    if path is None:
        return AnnexMapping()
    data = read_mapping_file(
        path, ("sheets", "headers", "values", "defaults"), f"--map {path}", nested=("values",)
    )
    fields = {f for a in LISTS.values() for f in a.fields} | set(COMMON)
    m = AnnexMapping()
    for sheet, number in (data.get("sheets") or {}).items():
        if number not in LISTS:
            raise CasekitError(
                f"--map {path}: sheets: {sheet!r} -> {number!r}; casekit reads lists "
                f"{', '.join(map(str, LISTS))}."
            )
        m.sheets[str(sheet)] = int(number)
    for header, target in (data.get("headers") or {}).items():
        if target not in fields:
            raise CasekitError(
                f"--map {path}: headers: {header!r} -> {target!r}, which is not a field; "
                f"fields are {', '.join(sorted(fields))}."
            )
        m.headers[header_key(header)] = str(target)
    for name, pairs in (data.get("values") or {}).items():
        if name not in _TARGETS:
            raise CasekitError(
                f"--map {path}: values: {name!r} has no value list; mapped fields are "
                f"{', '.join(_TARGETS)}."
            )
        for raw, target in (pairs or {}).items():
            if str(target) not in _TARGETS[name]:
                raise CasekitError(
                    f"--map {path}: values: {name}: {raw!r} -> {target!r}; expected one of "
                    f"{', '.join(_TARGETS[name])}."
                )
            m.values.setdefault(name, {})[str(raw).strip()] = str(target)
    defaults = data.get("defaults") or {}
    if "family_engaged" in defaults:
        if not isinstance(defaults["family_engaged"], bool):
            raise CasekitError(f"--map {path}: defaults: family_engaged is true or false.")
        m.family_engaged = defaults["family_engaged"]
    if "lead_agency" in defaults:
        agencies = TABLES["decisions"].column("lead_agency").vocabulary
        if defaults["lead_agency"] not in agencies:
            raise CasekitError(
                f"--map {path}: defaults: lead_agency is one of {', '.join(agencies)}."
            )
        m.lead_agency = defaults["lead_agency"]
    return m


@dataclass
class _Row:
    number: int
    sheet: str
    row: int
    cells: dict[str, Any]

    @property
    def child(self) -> str:
        return plain(self.cells.get("child_id") or "")


# --- reading ------------------------------------------------------------------------------------


def _index(number: int, mapping: AnnexMapping) -> dict[str, str]:
    fields = {**COMMON, **LISTS[number].fields}
    return header_index({f: (f, *names) for f, names in fields.items()}, mapping.headers)


def _missing(value: object) -> bool:
    """Say whether a cell holds nothing, or a word for nothing ("#N/A", "n/a", "-")."""
    return value is None or str(value).strip().lower() in _MISSING


def _read_sheet(rows: list[tuple], number: int, sheet: str, mapping: AnnexMapping,
                matching: Matching) -> list[_Row]:  # fmt: skip
    index = _index(number, mapping)
    need = {"child_id", LISTS[number].dates[0]}
    best_at = find_header_row(rows, index, need)
    if best_at is None:
        wanted = [LISTS[number].fields.get(f, COMMON.get(f, (f,)))[0] for f in sorted(need)]
        matching.notes.append(
            f"{sheet} (list {number}): no header row with {' and '.join(map(repr, wanted))} "
            "in its first ten rows; map the headers in the mapping file (headers:)."
        )
        for i, _ in data_rows(rows, -1):  # every row with a value, from row 1
            matching.skip(number, sheet, i, "", "the sheet's header row was not recognised")
        return []
    columns, unmatched = match_headers(rows[best_at], index)
    known = sorted({h for names in {**COMMON, **LISTS[number].fields}.values() for h in names})
    for _, h in unmatched:
        if header_key(h) not in IGNORED_HEADERS:
            matching.headers.append(
                {"list": number, "sheet": sheet, "header": h, "suggestion": closest(h, known)}
            )
    out = []
    for i, row in data_rows(rows, best_at, _missing):
        cells = {}
        for j, name in columns.items():
            value = row[j] if j < len(row) else None
            if _missing(value):
                continue
            cells[name] = value
        out.append(_Row(number, sheet, i, cells))
        matching.read[number] += 1
    return out


def read_annex_workbook(path: str | Path, mapping: AnnexMapping,
                        matching: Matching) -> dict[int, list[_Row]]:  # fmt: skip
    """Read the lists casekit uses from an Annex A workbook, row by row."""
    p = Path(path)
    lists: dict[int, list[_Row]] = {}
    chosen: set[int] = set()

    def wanted(title: str) -> bool:  # read each list's first sheet only
        number = mapping.sheets.get(title) or list_number(title)
        if number not in LISTS or number in chosen:
            return False
        chosen.add(number)
        return True

    for sheet in read_grid(p, "an Annex A workbook", wanted, csv=False):
        number = mapping.sheets.get(sheet.title) or list_number(sheet.title)
        if number not in LISTS:
            matching.notes.append(f"sheet {sheet.title!r}: not one of the lists casekit reads.")
        elif sheet.rows is None:
            matching.notes.append(
                f"sheet {sheet.title!r}: a second sheet for list {number}; it was not read."
            )
        else:
            lists[number] = _read_sheet(sheet.rows, number, sheet.title, mapping, matching)
    if not lists:
        raise CasekitError(
            f"{p.name}: no sheet holds list 1, 3, 4, 5, 6 or 7. Name the sheets in the "
            'mapping file (sheets:), for example:  sheets: {{"My referrals": 3}}'
        )
    if 3 not in lists:
        matching.notes.append("no list 3 (referrals): every case is made from lists 4 to 7.")
    return lists


# --- values -------------------------------------------------------------------------------------


def _date(value: object, today: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float) and 1 < value < 80_000:  # an Excel serial number
        day = excel_day(value)
    else:
        parsed = parse_agency_date(str(value))
        if parsed is None:
            raise ValueError(f"{str(value)!r} is not a date")
        day = parsed[0]
    if day > today:
        raise ValueError(f"{day.isoformat()} is in the future")
    return day


def _value(name: str, raw: object, mapping: AnnexMapping, matching: Matching) -> str | None:
    text = " ".join(str(raw).replace("\xa0", " ").split())
    if text in mapping.values.get(name, {}):
        return mapping.values[name][text]
    code = code_of(text)
    found = VALUE_CODES.get(name, {}).get(code)
    label = plain(text).lower()
    found = found or VALUE_WORDS.get(_WORDS.get(name, name), {}).get(label)
    if found is None:
        found = next((t for word, t in VALUE_KEYWORDS.get(name, ()) if word in label), None)
    if found is None:
        matching.values[(name, text)] += 1
    return found


# --- building the bundle ------------------------------------------------------------------------


@dataclass
class _Case:
    case_id: str
    child: str
    opened: dt.date
    row: _Row
    source: str
    closed: dt.date | None = None
    needs: set[str] = field(default_factory=set)


class _Builder:
    def __init__(self, mapping: AnnexMapping, matching: Matching, today: dt.date):
        self.mapping, self.matching, self.today = mapping, matching, today
        self.cases: dict[str, list[_Case]] = {}
        self.teams: dict[str, str] = {}
        self.workers: dict[str, tuple[str, str]] = {}
        self.events: list[dict[str, object]] = []
        self.decisions: list[dict[str, object]] = []

    def date(self, r: _Row, name: str, required: bool = True) -> dt.date | None:
        if name not in r.cells:
            if required:
                header = {**COMMON, **LISTS[r.number].fields}[name][0]
                self.matching.skip(r.number, r.sheet, r.row, r.child, f"no {header}")
            return None
        try:
            return _date(r.cells[name], self.today)
        except ValueError as exc:
            header = {**COMMON, **LISTS[r.number].fields}[name][0]
            if required:
                self.matching.skip(r.number, r.sheet, r.row, r.child, f"{header}: {exc}")
            else:
                self.matching.notes.append(f"{r.sheet} row {r.row}: {header}: {exc}; left empty.")
            return None

    def team_and_worker(self, r: _Row) -> tuple[str, str]:
        team = plain(r.cells.get("team") or "Not recorded")
        team_id = self.teams.setdefault(team, f"T{len(self.teams) + 1:02d}")
        worker = plain(r.cells.get("worker") or "")
        if not worker:
            return team_id, ""
        if worker not in self.workers:
            self.workers[worker] = (f"W{len(self.workers) + 1:03d}", team_id)
        return team_id, self.workers[worker][0]

    def open_case(self, r: _Row, opened: dt.date, source: str) -> _Case:
        case = _Case(f"{r.child}-{opened:%Y%m%d}", r.child, opened, r, source)
        self.cases.setdefault(r.child, []).append(case)
        self.cases[r.child].sort(key=lambda c: c.opened)
        return case

    def case_at(self, child: str, day: dt.date) -> _Case | None:
        """Return the child's latest case opened on or before ``day``."""
        earlier = [c for c in self.cases.get(child, []) if c.opened <= day]
        return earlier[-1] if earlier else None

    def event(self, case: _Case, day: dt.date, kind: str, source: str, category: str,
              summary: str) -> None:  # fmt: skip
        self.events.append(
            {"event_id": f"E{len(self.events) + 1:06d}", "case_id": case.case_id,
             "date": day.isoformat(), "source_agency": source, "kind": kind, "summary": summary,
             "category": category, "level": "child", "evidence": "agency_record"}
        )  # fmt: skip

    def decision(self, case: _Case, day: dt.date, response: str, what: str) -> None:
        self.decisions.append(
            {"decision_id": f"D{len(self.decisions) + 1:06d}", "case_id": case.case_id,
             "date": day.isoformat(), "response": response,
             "lead_agency": self.mapping.lead_agency,
             "family_engaged": "true" if self.mapping.family_engaged else "false",
             "rationale": f"{what} (Annex A). Lead agency and family engagement are not in "
             "Annex A: check the case record.",
             "decided_by": "Annex A import"}
        )  # fmt: skip


def _referrals(b: _Builder, rows: list[_Row]) -> None:
    for r in rows:
        if not r.child:
            b.matching.skip(3, r.sheet, r.row, "", "no Child Unique ID")
            continue
        opened = b.date(r, "referral_date")
        if opened is None:
            continue
        if any(c.opened == opened for c in b.cases.get(r.child, [])):
            b.matching.skip(3, r.sheet, r.row, r.child, "a second referral on the same date")
            continue
        source = r.cells.get("referral_source")
        mapped = _value("referral_source", source, b.mapping, b.matching) if source else None
        case = b.open_case(r, opened, mapped or "other")
        b.matching.imported[3] += 1
        nfa = r.cells.get("referral_nfa")
        if nfa and _value("referral_nfa", nfa, b.mapping, b.matching) == "yes":
            case.closed = opened


def _place(b: _Builder, lists: dict[int, list[_Row]]) -> list[tuple[_Row, dt.date, _Case]]:
    """Put every row of lists 4 to 7 on a case, making one where a child has none yet."""
    dated = []
    for number in (4, 5, 6, 7):
        for r in lists.get(number, []):
            if not r.child:
                b.matching.skip(number, r.sheet, r.row, "", "no Child Unique ID")
                continue
            first = LISTS[number].dates[0]
            day = b.date(r, first)
            if day is not None:
                dated.append((r, day))
    orphans: dict[str, tuple[dt.date, _Row]] = {}
    for r, day in dated:
        if b.case_at(r.child, day) is None and (
            r.child not in orphans or day < orphans[r.child][0]
        ):
            orphans[r.child] = (day, r)
    for child, (day, r) in orphans.items():
        b.open_case(r, day, "other")
        b.matching.notes.append(
            f"child {child}: no referral in list 3 on or before {day.isoformat()}; a case was "
            f"opened then, from {r.sheet} row {r.row} (referral source: other)."
        )
    placed = []
    for r, day in dated:
        case = b.case_at(r.child, day)
        assert case is not None  # a child with no case by then was given one just above
        placed.append((r, day, case))
    return placed


def _contacts(b: _Builder, rows: list[_Row]) -> None:
    for r in rows:
        if not r.child:
            b.matching.skip(1, r.sheet, r.row, "", "no Child Unique ID")
            continue
        day = b.date(r, "contact_date")
        if day is None:
            continue
        window = day + dt.timedelta(days=CONTACT_WINDOW_DAYS)
        after = [c for c in b.cases.get(r.child, []) if day <= c.opened <= window]
        case = after[0] if after else b.case_at(r.child, day)
        if case is None or (case.closed is not None and case.closed < day and not after):
            b.matching.skip(1, r.sheet, r.row, r.child,
                            "a contact that led to no referral in this workbook")  # fmt: skip
            continue
        raw = r.cells.get("contact_source")
        source = (_value("contact_source", raw, b.mapping, b.matching) if raw else None) or "other"
        label = label_of(raw) if raw else "an unrecorded source"
        b.event(case, day, "contact", source, "uncategorised", f"Contact from {label}.")
        b.matching.imported[1] += 1


def _statutory(b: _Builder, placed: list[tuple[_Row, dt.date, _Case]]) -> None:
    for r, day, case in placed:
        b.matching.imported[r.number] += 1
        if r.number == 4:
            b.event(case, day, "assessment", "social_care", "agency_action",
                    "Continuous assessment started.")  # fmt: skip
            done = b.date(r, "assessment_authorised", required=False)
            if done is not None and done >= day:
                outcome = plain(r.cells.get("assessment_outcome") or "")
                said = "Assessment authorised" + (f": {outcome}." if outcome else ".")
                b.event(case, done, "assessment", "social_care", "agency_action", said)
        elif r.number == 5:
            b.decision(case, day, "section_47", "Strategy discussion started a section 47 enquiry")
            icpc = b.date(r, "icpc_date", required=False)
            if icpc is not None and icpc >= day:
                plan = r.cells.get("icpc_plan")
                result = _value("icpc_plan", plan, b.mapping, b.matching) if plan else None
                summary = "Initial child protection conference" + (
                    {"yes": ": a child protection plan.", "no": ": no plan."}.get(result or "", ".")
                )
                b.event(case, icpc, "meeting", "social_care", "agency_action", summary)
        elif r.number == 6:
            b.decision(case, day, "child_in_need", "Child in need episode started")
            need = r.cells.get("primary_need")
            mapped = _value("primary_need", need, b.mapping, b.matching) if need else None
            if mapped:
                case.needs.add(mapped)
            closure = b.date(r, "cin_closure", required=False)
            if closure is not None and closure >= case.opened:
                case.closed = max(case.closed or closure, closure)
        elif r.number == 7:
            b.decision(case, day, "child_protection_plan", "Child protection plan started")
            end = b.date(r, "cpp_end", required=False)
            if end is not None and end >= day:
                b.decision(case, end, "child_in_need", "Child protection plan ended")


def _tables(b: _Builder) -> dict[str, pd.DataFrame]:
    cases = []
    for case in (c for cs in b.cases.values() for c in cs):
        r = case.row
        team_id, worker_id = b.team_and_worker(r)
        dob = b.date(r, "dob", required=False)
        gender, ethnicity = r.cells.get("gender"), r.cells.get("ethnicity")
        cases.append(
            {"case_id": case.case_id, "child_id": case.child, "team_id": team_id,
             "worker_id": worker_id, "opened": case.opened.isoformat(),
             "closed": case.closed.isoformat() if case.closed else "",
             "referral_source": case.source,
             "concern_flags": ";".join(sorted(case.needs)) or "other",
             "child_birth_month": f"{dob:%Y-%m}" if dob else "",
             "child_gender": (_value("gender", gender, b.mapping, b.matching) if gender else "")
             or "unknown",
             "child_ethnicity": (
                 _value("ethnicity", ethnicity, b.mapping, b.matching) if ethnicity else ""
             ) or "unknown"}
        )  # fmt: skip
    teams = [{"team_id": i, "team_name": name} for name, i in b.teams.items()]
    workers = [{"worker_id": w, "team_id": t, "role": "social_worker"}
               for w, t in b.workers.values()]  # fmt: skip
    return {
        "teams": _frame(teams, "teams"),
        "workers": _frame(workers, "workers"),
        "cases": _frame(cases, "cases"),
        "events": _frame(b.events, "events"),
        "decisions": _frame(b.decisions, "decisions"),
    }


def _frame(rows: Sequence[Mapping[str, object]], table: str) -> pd.DataFrame:
    """Rows as a table of strings in the contract's columns ("" where a row has none)."""
    return pd.DataFrame(rows, columns=list(TABLES[table].column_names), dtype=object).fillna("")


def import_annex_a(
    path: str | Path, mapping: AnnexMapping | None = None, today: dt.date | None = None
) -> tuple[dict[str, pd.DataFrame], Matching]:
    """Read an Annex A workbook into bundle tables (canonical strings) and a matching report."""
    mapping = mapping or AnnexMapping()
    matching = Matching()
    lists = read_annex_workbook(path, mapping, matching)
    b = _Builder(mapping, matching, today or dt.date.today())
    _referrals(b, lists.get(3, []))
    placed = _place(b, lists)
    _statutory(b, placed)
    _contacts(b, lists.get(1, []))
    tables = _tables(b)
    if not mapping.family_engaged and len(b.decisions):
        matching.notes.append(
            f"{len(b.decisions)} decisions: Annex A does not record whether the family was "
            "engaged, so family_engaged is false (set defaults: family_engaged in the mapping "
            f"file); lead agency is {mapping.lead_agency}."
        )
    return tables, matching


def write_report(matching: Matching, path: str | Path) -> Path:
    """Write the matching report: an editable workbook of what was not matched or placed."""
    from casekit.bundle.io import write_file_atomically

    headers = _entries(matching.headers, ["list", "sheet", "header", "suggestion"])
    headers["map to (headers:)"] = headers["suggestion"]
    values = pd.DataFrame(
        [
            {"field": name, "value": value, "rows": n,
             "suggestion": _suggest(name, value), "allowed": ", ".join(_allowed(name))}
            for (name, value), n in sorted(matching.values.items())
        ],
        columns=["field", "value", "rows", "suggestion", "allowed"],
    )  # fmt: skip
    rows = _entries(matching.rows, ["list", "sheet", "row", "child", "reason"])
    notes = pd.DataFrame({"note": matching.notes or ["Nothing to note."]})

    def write(tmp: Path) -> None:
        from casekit.render.xlsx import Sheet, write_workbook

        sheets = [Sheet(name, frame, widths=False)
                  for name, frame in (("headers", headers), ("values", values),
                                      ("rows not imported", rows), ("notes", notes))]  # fmt: skip
        write_workbook(tmp, sheets, exact=False)  # a report: it must be written, whatever the text

    return write_file_atomically(Path(path), write)


def _entries(entries: list[dict[str, object]], default: list[str]) -> pd.DataFrame:
    """Tabulate report entries in the columns they have (``default`` when there are none)."""
    columns = list(dict.fromkeys(k for e in entries for k in e)) or default
    return pd.DataFrame(entries, columns=columns)


def _allowed(name: str) -> tuple[str, ...]:
    if name in _TARGETS:
        return _TARGETS[name]
    return next((c.vocabulary for t in TABLES.values() for c in t.columns if c.name == name), ())


def _suggest(name: str, value: str) -> str:
    allowed = _allowed(name)
    low = plain(value).lower()
    for target in allowed:
        if target.replace("_", " ") in low or low in target.replace("_", " "):
            return target
    return closest(low, allowed, cutoff=0.5)

"""Write realistic, messy agency chronologies from synthetic events, for demos and tests.

Real agency files differ in headers, date styles, encodings and layout. These samples do too:
the school's is an .xlsx workbook with a title row and Excel dates; the police's a CSV with
day-first dates, approximate and uncertain dates and a restricted column; health's a Windows-1252
CSV with its own headers. Some incidents appear in both the school's and the police's files, a
day apart and in other words, as real cross-agency duplicates do.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import cast

import pandas as pd

from casekit.render.xlsx import Sheet, write_workbook

__all__ = ["write_agency_samples"]

_SIGNIFICANCE = {"high": "Red", "medium": "Amber", "low": "Green"}


def _day_first(day: pd.Timestamp) -> str:
    return day.strftime("%d/%m/%Y")


def write_agency_samples(events: pd.DataFrame, out: Path, seed: int = 0) -> list[Path]:
    """Split a chronology into a school .xlsx, a police CSV and a health CSV in ``out``.

    ``events`` is a typed events frame (as in a Casebook). Returns the three paths; each file's
    agency can be told from its name, as ``casekit chronology merge`` does.
    """
    rng = random.Random(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    school, police, health = [], [], []
    for e in events.sort_values("date").itertuples():
        agency = str(e.source_agency)
        day = cast(pd.Timestamp, e.date)  # itertuples fields are untyped; "date" is datetime64
        if agency == "education":
            school.append(
                {
                    "Date of event": day.to_pydatetime(),
                    "Details": e.summary,
                    "Significance": _SIGNIFICANCE.get(str(e.significance), ""),
                    "Action taken": e.action_taken or "",
                }
            )
        elif agency == "police":
            precision = str(e.date_precision)
            when = (
                day.strftime("%m/%Y")
                if precision == "month"
                else day.strftime("%Y")
                if precision == "year"
                else _day_first(day)
            )
            if rng.random() < 0.05:
                when = "?" + when
            police.append(
                {
                    "Date": when,
                    "Event": e.summary,
                    "Source of information": "Police",
                    "Restricted": "Y" if e.restricted else "N",
                    "Impact on child": str(e.impact or "").capitalize(),
                }
            )
            if str(e.kind) == "incident" and rng.random() < 0.5:  # the school heard of it too
                school.append(
                    {
                        "Date of event": (day + pd.Timedelta(days=1)).to_pydatetime(),
                        "Details": f"Police told the school: {e.summary}",
                        "Significance": "Amber",
                        "Action taken": "Logged by the DSL",
                    }
                )
        else:
            health.append(
                {
                    "Event date": _day_first(day),
                    "Time": "",
                    "Description": f"{e.summary} (café drop-in)"
                    if rng.random() < 0.05
                    else e.summary,
                    "Agency": {"health": "GP", "social_care": "CSC"}.get(agency, agency),
                }
            )
    paths = [out / "school.xlsx", out / "police.csv", out / "health.csv"]
    columns = ["Date of event", "Details", "Significance", "Action taken"]
    frame = pd.DataFrame(school, columns=columns)
    sheet = Sheet("Chronology", frame, title="School chronology (synthetic)", header_row=3,
                  freeze=False, widths=False,
                  number_formats={"Date of event": "DD/MM/YYYY"})  # fmt: skip
    write_workbook(paths[0], [sheet], exact=True)
    pd.DataFrame(
        police, columns=["Date", "Event", "Source of information", "Restricted", "Impact on child"]
    ).to_csv(paths[1], index=False)
    pd.DataFrame(health, columns=["Event date", "Time", "Description", "Agency"]).to_csv(
        paths[2], index=False, encoding="cp1252", errors="replace"
    )
    return paths

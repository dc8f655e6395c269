"""Pseudonymise a case bundle so that it is safe to analyse, and say what was changed.

- **IDs**: every case, child and worker ID, and every person named in a ``*_by`` column or a
  supervision's supervisor and worker, becomes a keyed pseudonym: HMAC-SHA256 under a secret
  key, so it is the same in every run with the same key and cannot be reversed without it.
  IDs quoted in free text are replaced by the same pseudonyms. The key is never written out;
  the report gives only its fingerprint.
- **Dates of birth and postcodes**: a column whose header names a birth date becomes a birth
  month (``YYYY-MM``); a postcode column, and any full postcode in free text, is cut to its
  sector (``SW1A 1AA`` → ``SW1A 1``).
- **Names**: names from a list (and the people in the ``*_by`` columns) are redacted from free
  text as ``[name]``; a column named as holding names is redacted and then dropped.
- **Retention**: a case closed longer ago than the retention period (default 6 years) is
  dropped with all its records.

>>> key = bytes(32)
>>> pseudonym(key, "case", "C00001") == pseudonym(key, "case", "C00001")
True
>>> pseudonym(key, "case", "C00001")
'C-9fe016f8df4a'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .contract import TABLES
from .disclosure_check import BIRTH_HEADER, FULL_POSTCODE
from .errors import CasekitError

__all__ = [
    "pseudonym",
    "new_key",
    "read_key",
    "read_names",
    "Report",
    "pseudonymise_tables",
    "RETENTION_YEARS",
]

RETENTION_YEARS = 6
"""Cases closed longer ago than this are dropped (the usual retention for closed cases)."""

_PREFIX = {"case": "C", "child": "K", "worker": "W", "person": "P"}
_ID_COLUMNS = {"case_id": "case", "child_id": "child", "worker_id": "worker"}
_PEOPLE_COLUMNS = {
    ("events", "recorded_by"),
    ("judgements", "judged_by"),
    ("decisions", "decided_by"),
    ("supervisions", "supervisor"),
    ("supervisions", "worker"),
}
_POSTCODE = re.compile(FULL_POSTCODE, re.IGNORECASE)
_TOKEN = re.compile(r"[\w-]+")


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """Return the keyed pseudonym of one ``value`` of a ``kind`` (case, child, worker, person)."""
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{_PREFIX[kind]}-{digest[:12]}"


def new_key(path: str | Path) -> Path:
    """Write a new random key to ``path`` (readable by its owner only); never overwrite one."""
    out = Path(path)
    if out.exists():
        raise CasekitError(
            f"--key-file {path} already exists: use it, or choose another path for a new key."
        )
    if not out.parent.exists():
        raise CasekitError(f"--key-file {path}: the folder {out.parent} does not exist.")
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return out


def read_key(path: str | Path) -> bytes:
    """Read a key written by :func:`new_key` (64 hex digits)."""
    p = Path(path)
    if not p.exists():
        raise CasekitError(
            f"--key-file {path}: no such key file. Make one with --new-key (keep it safe, apart "
            "from the data: with the same key the pseudonyms are the same in every run)."
        )
    text = p.read_text(encoding="utf-8", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise CasekitError(
            f"--key-file {path}: not a casekit key (expected at least 32 hex digits). Make one "
            "with --new-key."
        )
    return key


def read_names(path: str | Path) -> list[str]:
    """Read names to redact: one per line (a CSV's first column), blank lines skipped."""
    p = Path(path)
    if not p.exists():
        raise CasekitError(f"--names {path}: no such file. Give a text file, one name a line.")
    names = []
    for line in p.read_text(encoding="utf-8-sig", errors="replace").splitlines():
        name = line.split(",")[0].strip().strip('"')
        if name:
            names.append(name)
    return names


@dataclass
class Report:
    """What a pseudonymisation changed, and how many times."""

    key_fingerprint: str
    retention_years: int
    as_of: dt.date
    replaced: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        """Write the report as Markdown."""
        lines = [
            "# Pseudonymisation report",
            "",
            f"- Made on {dt.date.today().isoformat()}, retention as of {self.as_of.isoformat()}.",
            f"- Key fingerprint: `{self.key_fingerprint}` (the key itself is not written "
            "anywhere; the same key gives the same pseudonyms).",
            "",
            "## What was changed",
            "",
            "| change | times |",
            "|---|---:|",
        ]
        lines += [f"| {what} | {n:,} |" for what, n in sorted(self.replaced.items())]
        lines += ["", f"## Dropped (cases closed more than {self.retention_years} years ago)", ""]
        if self.dropped:
            lines += ["| table | rows |", "|---|---:|"]
            lines += [f"| {t} | {n:,} |" for t, n in self.dropped.items()]
        else:
            lines.append("Nothing.")
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _names_pattern(names: list[str], whole: list[str]) -> re.Pattern[str] | None:
    """Match any of ``names`` or their parts (3 letters or more), or any of ``whole`` as is."""
    parts = set()
    for name in [*names, *whole]:
        clean = " ".join(name.replace("\xa0", " ").split())
        if len(clean) >= 2:
            parts.add(clean)
            if name in names:
                parts.update(p for p in clean.split() if len(p) >= 3)
    if not parts:
        return None
    alternatives = sorted(parts, key=len, reverse=True)
    body = "|".join(r"\s+".join(map(re.escape, p.split())) for p in alternatives)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def _retained(tables: dict[str, pd.DataFrame], cutoff: dt.date, report: Report) -> None:
    cases = tables["cases"]
    closed = pd.to_datetime(cases["closed"].replace("", None), errors="coerce")
    old = set(cases.loc[closed.notna() & (closed.dt.date < cutoff), "case_id"])
    if not old:
        return
    for name, frame in tables.items():
        if "case_id" in frame.columns:
            keep = ~frame["case_id"].isin(old)
            if (~keep).any():
                report.dropped[name] += int((~keep).sum())
                tables[name] = frame[keep].reset_index(drop=True)


def pseudonymise_tables(
    tables: dict[str, pd.DataFrame],
    key: bytes,
    names: list[str] | None = None,
    names_column: str | None = None,
    retention_years: int = RETENTION_YEARS,
    as_of: dt.date | None = None,
) -> tuple[dict[str, pd.DataFrame], Report]:
    """Pseudonymise canonical string tables (``Casebook.canonical()``); return them and a report.

    ``names_column`` is ``TABLE.COLUMN``: its values join ``names`` and the column is dropped.
    """
    as_of = as_of or dt.date.today()
    report = Report(hashlib.sha256(key).hexdigest()[:12], retention_years, as_of)
    tables = {t: f.copy() for t, f in tables.items()}
    names = list(names or [])
    if names_column:
        table, _, column = names_column.partition(".")
        if table not in tables or column not in tables[table].columns:
            raise CasekitError(
                f"--names-column {names_column}: no such column; write it as TABLE.COLUMN, "
                "for example cases.child_name."
            )
        names += [v for v in tables[table][column].unique() if v]
        tables[table] = tables[table].drop(columns=[column])
        report.replaced[f"column {names_column} dropped (names)"] += 1
    if retention_years > 0:
        cutoff = as_of.replace(year=as_of.year - retention_years)
        _retained(tables, cutoff, report)

    mapping: dict[str, str] = {}  # every case, child and worker id -> its pseudonym
    people: dict[str, str] = {}  # whoever a *_by column names -> a pseudonym
    whole: list[str] = []
    for frame in tables.values():
        for column, kind in _ID_COLUMNS.items():
            if column in frame.columns:
                for value in frame[column].unique():
                    if value:
                        mapping.setdefault(value, pseudonym(key, kind, value))
    for table, column in _PEOPLE_COLUMNS:
        frame = tables.get(table)
        if frame is not None and column in frame.columns:
            for value in frame[column].unique():
                if value and value not in people:
                    people[value] = mapping.get(value) or pseudonym(key, "person", value)
                    if " " in value.strip():
                        whole.append(value)  # perhaps a person's name: redact it from text
    both = {**people, **mapping}
    if len(set(both.values())) < len(both):
        raise CasekitError("two different IDs share a pseudonym: use a new key (--new-key).")
    pattern = _names_pattern(names, whole)
    contract_text = {
        (t.name, c.name) for t in TABLES.values() for c in t.columns if c.kind == "text"
    }

    def scrub(text: str, where: str) -> str:
        if not text:
            return text
        if pattern is not None:
            text, n = pattern.subn("[name]", text)
            report.replaced["names redacted from free text"] += n
        text, n = _POSTCODE.subn(lambda m: f"{m.group(1).upper()} {m.group(2)}", text)
        report.replaced["full postcodes in free text cut to the sector"] += n

        def swap(m: re.Match[str]) -> str:
            token = m.group(0)
            if token in mapping:
                report.replaced[f"IDs quoted in free text ({where})"] += 1
                return mapping[token]
            return token

        return _TOKEN.sub(swap, text)

    for table, frame in tables.items():
        for column in frame.columns:
            values = frame[column]
            if column in _ID_COLUMNS or (table, column) in _PEOPLE_COLUMNS:
                known = mapping if column in _ID_COLUMNS else people
                hits = values.isin(known.keys())
                report.replaced[f"{column} replaced by a pseudonym"] += int(hits.sum())
                frame[column] = values.map(known).fillna(values)
            elif BIRTH_HEADER.search(column) and column != (
                "child_birth_month"
            ):
                parsed = pd.to_datetime(
                    values.replace("", None), errors="coerce", format="mixed", dayfirst=True
                )
                frame[column] = parsed.dt.strftime("%Y-%m").fillna("")
                report.replaced[f"{table}.{column}: dates of birth cut to the month"] += int(
                    parsed.notna().sum()
                )
            elif "postcode" in column.lower():
                frame[column] = values.map(
                    lambda v: (
                        f"{m.group(1).upper()} {m.group(2)}"
                        if (m := _POSTCODE.search(v))
                        else v.strip().upper()
                    )
                )
                report.replaced[f"{table}.{column}: postcodes cut to the sector"] += int(
                    values.str.len().gt(0).sum()
                )
            elif (table, column) in contract_text or column not in TABLES[table].column_names:
                where = f"{table}.{column}"
                frame[column] = [scrub(v, where) for v in values]
    report.replaced = Counter({k: v for k, v in report.replaced.items() if v})
    return tables, report

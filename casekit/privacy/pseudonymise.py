"""Pseudonymise a case bundle so that it is safe to analyse, and say what was changed.

- **IDs**: every case, child and worker ID, and every person named in a ``*_by`` column or a
  supervision's supervisor and worker, becomes a keyed pseudonym: HMAC-SHA256 under a secret
  key, so it is the same in every run with the same key and cannot be reversed without it.
  IDs quoted in free text are replaced by the same pseudonyms, however they are spelled
  (``c00001``, ``C 00001``, ``C-00001``); the IDs of records dropped for retention become
  ``[removed]``. The key is never written out; the report gives only its fingerprint. A weak
  key (too short, too few distinct bytes, or a repeated pattern) is refused.
- **Dates of birth and postcodes**: a column whose header names a birth date becomes a birth
  month (``YYYY-MM``) in every date form the importers read; a postcode column, and any full
  postcode in free text, is cut to its sector (``SW1A 1AA`` → ``SW1A 1``).
- **Other identifiers in free text** (:mod:`casekit.privacy.identifiers`): e-mail addresses, phone
  numbers, NHS numbers, UPNs and dates of birth introduced as such ("DOB 03/04/2010") are
  masked (``[email]``, ``[phone]``, ``[NHS number]``, ``[UPN]``, ``[date of birth]``).
- **Names**: names from a list (and the people in the ``*_by`` columns) are redacted from free
  text as ``[name]``; a column named as holding names is redacted and then dropped.
- **Retention**: a case closed longer ago than the retention period (default 6 years) is
  dropped with all its records.
- **The worker's wellbeing**: the support notes of reflective supervision
  (``supervisions.support``) are about the worker, not the case, and private to the session:
  they are emptied.

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

from casekit.contract import TABLES
from casekit.errors import CasekitError
from casekit.privacy.identifiers import (
    BIRTH_HEADER,
    FULL_POSTCODE,
    KINDS,
    IdReplacer,
    birth_month,
    scan,
)

__all__ = [
    "pseudonym",
    "new_key",
    "check_key",
    "read_key",
    "read_names",
    "Report",
    "pseudonymise_tables",
    "RETENTION_YEARS",
    "DROPPED",
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
DROPPED = "[removed]"
"""What free text says instead of the ID of a record dropped for retention."""
KEY_BYTES = 32
"""The length of a key: :func:`new_key` writes this many random bytes."""
_MAKE_ONE = (
    "Make one with --new-key (keep it safe, apart from the data: with the same key the "
    "pseudonyms are the same in every run)."
)


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
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    return out


def check_key(key: bytes, where: str = "the key") -> None:
    """Refuse a weak key: under 32 bytes, under 16 distinct byte values, a repeat or a count.

    Anyone who can guess the key can work out every pseudonym from the IDs it could stand for,
    so a key must be as random as :func:`new_key` makes it.

    >>> check_key(bytes.fromhex("5f0c8e7a1b9d2e4f6a3c8b7d9e1f0a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0d1e3f"))
    >>> check_key(bytes(range(32)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    casekit.errors.CasekitError: the key: a weak key (bytes counting up by a fixed step); ...
    >>> check_key(bytes(32))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    casekit.errors.CasekitError: the key: a weak key (only 1 distinct byte value); it is ...
    """
    problem = None
    if len(key) < KEY_BYTES:
        problem = f"too short ({len(key)} bytes; a key has at least {KEY_BYTES})"
    elif len(set(key)) < 16:
        problem = f"only {len(set(key))} distinct byte value{'s' if len(set(key)) > 1 else ''}"
    else:
        period = next(
            (p for p in range(1, len(key) // 2 + 1) if key == (key[:p] * len(key))[: len(key)]),
            None,
        )
        steps = {(b - a) % 256 for a, b in zip(key, key[1:], strict=False)}
        if period is not None:
            problem = f"the same {period} bytes repeated"
        elif len(steps) == 1:
            problem = "bytes counting up by a fixed step"
    if problem:
        raise CasekitError(f"{where}: a weak key ({problem}); it is refused. {_MAKE_ONE}")


def read_key(path: str | Path) -> bytes:
    """Read a key written by :func:`new_key` (64 hex digits), refusing a weak one."""
    p = Path(path)
    if not p.exists():
        raise CasekitError(f"--key-file {path}: no such key file. {_MAKE_ONE}")
    text = p.read_text(encoding="utf-8", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if not key:
        raise CasekitError(
            f"--key-file {path}: not a casekit key (expected {2 * KEY_BYTES} hex digits). "
            + _MAKE_ONE
        )
    check_key(key, f"--key-file {path}")
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


def _identifiers(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, str], dict[str, None]]:
    """Every ID (value -> kind) and every person named (in order) in ``tables``."""
    ids: dict[str, str] = {}
    people: dict[str, None] = {}
    for frame in tables.values():
        for column, kind in _ID_COLUMNS.items():
            if column in frame.columns:
                for value in frame[column].unique():
                    if value:
                        ids.setdefault(value, kind)
    for table, column in _PEOPLE_COLUMNS:
        listing = tables.get(table)
        if listing is not None and column in listing.columns:
            people.update((v, None) for v in listing[column].unique() if v)
    return ids, people


def _birth_column(column: str) -> bool:
    """Whether a column's header names a date of birth (the contract's birth month is one)."""
    return BIRTH_HEADER.search(column) is not None and column != "child_birth_month"


def _birth_months(values: pd.Series, where: str, report: Report) -> pd.Series:
    """Cut a birth-date column to months; a value that is not a date is removed and noted."""
    months = {v: birth_month(v) for v in values.unique() if v}
    out = values.map(lambda v: (months[v] or "") if v else "")
    report.replaced[f"{where}: dates of birth cut to the month"] += int(
        sum(1 for v in values if v and months[v])
    )
    unread = [i + 2 for i, v in enumerate(values) if v and months[v] is None]
    if unread:
        report.replaced[f"{where}: dates of birth not read as a date, removed"] += len(unread)
        rows = ", ".join(map(str, unread[:10])) + (" …" if len(unread) > 10 else "")
        report.notes.append(
            f"{where}: {len(unread)} value(s) not read as a date of birth were removed (rows "
            f"{rows}; header = row 1, blank rows not counted). Write them as YYYY-MM-DD or "
            "DD/MM/YYYY and run again to keep their month."
        )
    return out


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
    A weak ``key`` is refused (:func:`check_key`).
    """
    check_key(key)
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
    support = tables.get("supervisions", pd.DataFrame()).get("support")
    if support is not None:
        written = int((support.fillna("").astype(str).str.strip() != "").sum())
        tables["supervisions"]["support"] = ""
        if written:
            report.replaced["supervision support notes emptied (the worker's wellbeing)"] += written
    for table, frame in tables.items():  # before retention, so that notes give the rows read
        for column in frame.columns:
            if _birth_column(column):
                frame[column] = _birth_months(frame[column], f"{table}.{column}", report)
    every_id, everyone = _identifiers(tables)  # before retention: dropped IDs must go too
    if retention_years > 0:
        cutoff = as_of.replace(year=as_of.year - retention_years)
        _retained(tables, cutoff, report)

    kept_ids, kept_people = _identifiers(tables)
    mapping = {value: pseudonym(key, kind, value) for value, kind in kept_ids.items()}
    people = {p: mapping.get(p) or pseudonym(key, "person", p) for p in kept_people}
    both = {**people, **mapping}
    if len(set(both.values())) < len(both):
        raise CasekitError("two different IDs share a pseudonym: use a new key (--new-key).")
    # in free text: every ID, and every person named with a digit (a collar number, say)
    in_text = {v: both.get(v, DROPPED) for v in [*every_id, *everyone] if v in every_id or (
        any(c.isdigit() for c in v))}  # fmt: skip
    ids = IdReplacer(in_text)
    whole = [p for p in everyone if " " in p.strip()]  # perhaps a person's name: redact it
    pattern = _names_pattern(names, whole)
    contract_text = {
        (t.name, c.name) for t in TABLES.values() for c in t.columns if c.kind == "text"
    }
    found: Counter[str] = Counter()

    def scrub(text: str, where: str) -> str:
        if not text:
            return text
        text, swapped = ids.sub(text)
        if swapped:
            removed = sum(1 for r in swapped if r == DROPPED)
            report.replaced[f"IDs quoted in free text ({where})"] += len(swapped) - removed
            dropped = f"IDs of dropped records in free text ({where}) → {DROPPED}"
            report.replaced[dropped] += removed
        text, _ = scan(text, found)
        if pattern is not None:
            text, n = pattern.subn("[name]", text)
            report.replaced["names redacted from free text"] += n
        return text

    for table, frame in tables.items():
        for column in frame.columns:
            values = frame[column]
            where = f"{table}.{column}"
            if column in _ID_COLUMNS or (table, column) in _PEOPLE_COLUMNS:
                known = mapping if column in _ID_COLUMNS else people
                hits = values.isin(known.keys())
                report.replaced[f"{column} replaced by a pseudonym"] += int(hits.sum())
                frame[column] = values.map(known).fillna(values)
            elif _birth_column(column):
                continue  # already cut to the month
            elif "postcode" in column.lower():
                frame[column] = values.map(
                    lambda v: (
                        f"{m.group(1).upper()} {m.group(2)}"
                        if (m := FULL_POSTCODE.search(v))
                        else v.strip().upper()
                    )
                )
                report.replaced[f"{where}: postcodes cut to the sector"] += int(
                    values.str.len().gt(0).sum()
                )
            elif (table, column) in contract_text or column not in TABLES[table].column_names:
                frame[column] = [scrub(v, where) for v in values]
    for kind in KINDS:
        report.replaced[f"{kind.name} in free text → {kind.shown_as}"] += found[kind.name]
    report.replaced = Counter({k: v for k, v in report.replaced.items() if v})
    return tables, report

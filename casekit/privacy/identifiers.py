"""Find and mask identifiers: the one set of patterns that pseudonymise and disclosure-check share.

Two kinds of identifier are handled here.

- **Direct identifiers in free text**, found by pattern: e-mail addresses, dates of birth
  introduced as such ("DOB 03/04/2010", "d.o.b. 3.4.10", "born 2010-04-03", "date of birth: 3
  April 2010"), NHS numbers (10 digits, with a valid check digit), UPNs (a letter, 11 digits and a
  digit or letter, any case), UK phone numbers (landline or mobile, ``0…`` or ``+44…``, with spaces
  or hyphens) and full postcodes (any case, with or without the space). :func:`scan` finds them
  all; :func:`mask` replaces each with its mask (a postcode is cut to its sector). An ordinary
  date ("seen on 03/04/2024") is not a date of birth and is left alone.
- **The bundle's own IDs**, in any spelling: :class:`IdReplacer` finds every ID it was given
  however it is written in free text (any case; a space, hyphen or underscore between its letter
  and digit parts, or none) and swaps in its replacement. Leading zeros count as written:
  ``C00001`` is not ``C1``.

>>> mask("DOB 03/04/2010, tel 07700 900123, seen on 03/04/2024 at SW1A 1AA")[0]
'DOB [date of birth], tel [phone], seen on 03/04/2024 at SW1A 1'
>>> IdReplacer({"C00001": "C-1a2b"}).sub("c 00001 and C-00001 and XC00001")[0]
'C-1a2b and C-1a2b and XC00001'
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from casekit.bundle.dates import excel_day, parse_agency_date

__all__ = [
    "BIRTH_HEADER",
    "FULL_POSTCODE",
    "KINDS",
    "Kind",
    "IdReplacer",
    "birth_month",
    "id_key",
    "mask",
    "nhs_valid",
    "scan",
]

BIRTH_HEADER = re.compile(r"birth|\bdob\b", re.IGNORECASE)
"""A column header that names a date of birth."""
_AREAS = (
    "AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY "
    "E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE "
    "LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL "
    "SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE"
).split()
"""The UK's postcode areas (with Guernsey, Jersey and the Isle of Man)."""
FULL_POSTCODE = re.compile(
    rf"(?<![^\W_])((?:{'|'.join(sorted(_AREAS, key=len, reverse=True))})\d[A-Z\d]?)"
    r"[ \t\xa0]*(\d)[ABD-HJLNP-UW-Z]{2}(?![^\W_])",
    re.IGNORECASE,
)
"""A full UK postcode in any case, with or without the space; groups: outward code, sector.

Only real postcode areas and unit letters count, so ``Y10 2nd`` is not a postcode."""

_NOT_ALNUM_BEFORE = r"(?<![^\W_])"  # a word starts here (an underscore separates words too)
_NOT_ALNUM_AFTER = r"(?![^\W_])"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"  # 03/04/2010, 3.4.10, 03-04-2010
    r"|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}"  # 2010-04-03
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{2,4}}"  # 3 April 2010
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})(?!\d)"  # April 3rd, 2010
)
_BIRTH_DATE = re.compile(
    rf"{_NOT_ALNUM_BEFORE}(?:d\.?[ ]?o\.?[ ]?b\b\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?)"
    rf"(?:\s*[:=\-–]\s*|\s+)(?:(?:is|was|on|in)\s+)?({_DATE})",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+\-']+@[\w\-]+(?:\.[\w\-]+)+")
_NHS = re.compile(r"(?<![\d\-])(\d{3})[ \-]?(\d{3})[ \-]?(\d{4})(?![\d\-])")
_UPN = re.compile(rf"{_NOT_ALNUM_BEFORE}[A-Z]\d{{11}}[0-9A-Z]{_NOT_ALNUM_AFTER}", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?44[ \-]?(?:\(0\)[ \-]?)?\(?|\(?0)"  # +44, 0044, +44 (0), 0, (0
    r"\d(?:\)?[ \-]?\d){8,9}(?![\w])"  # then 9 or 10 more digits, spaced or hyphenated
)
_MAYBE = re.compile(r"[\d@]")


def nhs_valid(digits: str) -> bool:
    """Check an NHS number's modulus 11 check digit.

    >>> nhs_valid("9434765919"), nhs_valid("9434765918")
    (True, False)
    """
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _phone_digits_ok(match: re.Match[str]) -> bool:
    """Check that a UK number has 9 or 10 digits after its 0, +44, 0044 or +44 (0)."""
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        digits = digits[2:]
    elif text.startswith("0044"):
        digits = digits[4:]
    digits = digits.removeprefix("0")
    return len(digits) in (9, 10)


@dataclass(frozen=True)
class Kind:
    """One kind of identifier: what it is called, how to find it, and what it becomes."""

    name: str
    """Short name, used in reports (``phone numbers``)."""
    label: str
    """What a finding looks like, in disclosure-check's words (``a UK phone number``)."""
    pattern: re.Pattern[str]
    shown_as: str
    """What a match becomes (``[phone]``), or says so in words (``the sector``)."""
    cut: Callable[[re.Match[str]], str] | None = None
    """Makes the replacement from the match, when it is not ``shown_as`` itself."""
    valid: Callable[[re.Match[str]], bool] | None = None
    """Whether a match really is one (a check digit, say); every match is when None."""
    group: int = 0
    """The part of the match that is the identifier (a birth date, not the "DOB" before it)."""
    partly_shown: bool = True
    """Whether a report may show its first and last two characters (not so a date of birth)."""

    def masked(self, match: re.Match[str]) -> str:
        """Return the text that replaces the identifier in ``match``."""
        return self.cut(match) if self.cut else self.shown_as


KINDS: tuple[Kind, ...] = (
    Kind("e-mail addresses", "an e-mail address", _EMAIL, "[email]"),
    Kind("dates of birth", "a date of birth", _BIRTH_DATE, "[date of birth]", group=1,
         partly_shown=False),
    Kind("NHS numbers", "an NHS number", _NHS, "[NHS number]",
         valid=lambda m: nhs_valid("".join(m.groups()))),
    Kind("UPNs", "a UPN (unique pupil number)", _UPN, "[UPN]"),
    Kind("phone numbers", "a UK phone number", _PHONE, "[phone]", valid=_phone_digits_ok),
    Kind("full postcodes", "a full postcode", FULL_POSTCODE, "the sector",
         cut=lambda m: f"{m.group(1).upper()} {m.group(2)}"),
)  # fmt: skip
"""Every kind, in the order they are looked for: an e-mail address before the numbers in it."""


def scan(text: str, counts: Counter[str] | None = None) -> tuple[str, list[tuple[Kind, str]]]:
    """Mask every identifier in ``text``; return the masked text and what was found (kind, raw).

    Kinds are looked for in turn, each in the text the earlier ones left, so that nothing is
    found twice (the digits of an e-mail address are not a phone number as well). ``counts``,
    when given, gains one per identifier under its kind's name.
    """
    found: list[tuple[Kind, str]] = []
    if not _MAYBE.search(text):  # every identifier has a digit or an @: most text has neither
        return text, found
    for kind in KINDS:

        def swap(m: re.Match[str], kind: Kind = kind) -> str:
            if kind.valid is not None and not kind.valid(m):
                return m.group(0)
            found.append((kind, m.group(kind.group)))
            if kind.group == 0:
                return kind.masked(m)
            start, end = m.span(kind.group)
            whole = m.group(0)
            base = m.start(0)
            return whole[: start - base] + kind.masked(m) + whole[end - base :]

        text = kind.pattern.sub(swap, text)
    if counts is not None:
        counts.update(kind.name for kind, _ in found)
    return text, found


def mask(text: str, counts: Counter[str] | None = None) -> tuple[str, int]:
    """Mask every identifier in ``text``; return the masked text and how many were masked."""
    masked, found = scan(text, counts)
    return masked, len(found)


# --- dates of birth in columns ------------------------------------------------------------------

_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")


def birth_month(value: object) -> str | None:
    """Cut a date of birth to its month (``YYYY-MM``), or return None if it is not a date.

    Every form the importers read: UK day-first, ISO, ``3 April 2010``, a month, a date with a
    time of day (as a workbook's datetime is written), an Excel serial number, or a date or
    datetime object. A year alone is kept as the year: a month is not made up.

    >>> [birth_month(v) for v in ("2009-12-01", "01/12/2009", "40148", "2009-12", "2009")]
    ['2009-12', '2009-12', '2009-12', '2009-12', '2009']
    >>> birth_month("2009-12-01T10:30:00"), birth_month("soon")
    ('2009-12', None)
    """
    if isinstance(value, dt.date):  # a datetime is a date too
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    text = str(value).strip()
    if not text:
        return None
    if _SERIAL.fullmatch(text):  # an Excel serial number (10000 is 1927-05-18)
        day = excel_day(float(text))
        return f"{day.year:04d}-{day.month:02d}"
    parsed = parse_agency_date(text)
    if parsed is None:
        return None
    day, precision, _ = parsed
    return str(day.year) if precision == "year" else f"{day.year:04d}-{day.month:02d}"


# --- the bundle's own IDs, in any spelling ------------------------------------------------------

_RUN = re.compile(r"[^\W\d_]+|\d+")
_SEPARATORS = frozenset(" -_\t\xa0")


def id_key(value: str) -> tuple[str, ...]:
    """Normalise an ID: its runs of letters and of digits, lower case (``C-00001`` → c, 00001).

    >>> id_key("C 00001") == id_key("c00001") == id_key("C_00001") == ("c", "00001")
    True
    """
    return tuple(m.group(0).lower() for m in _RUN.finditer(value))


class IdReplacer:
    """Find the given IDs in free text, however they are spelled, and replace them.

    ``replacements`` maps each original ID to its replacement (a pseudonym, or a fixed mask for
    a record that was dropped). An ID is found as whole words only: its runs of letters and
    digits in order, with at most a few separators between them (a space, hyphen or underscore,
    or any other character the IDs themselves use), and no letter or digit just before or after.
    Two IDs that only differ in spelling are told apart when the text spells one exactly;
    otherwise the text gets ``ambiguous``.
    """

    def __init__(self, replacements: Mapping[str, str], ambiguous: str = "[ID]") -> None:
        """Index the IDs by their normalised form and by the run each starts with."""
        self.exact = {k: v for k, v in replacements.items() if id_key(k)}
        self.by_key: dict[tuple[str, ...], str] = {}
        separators = set(_SEPARATORS)
        for original, replacement in self.exact.items():
            key = id_key(original)
            separators.update(c for c in original if not (c.isalnum()))
            known = self.by_key.get(key)
            self.by_key[key] = replacement if known in (None, replacement) else ambiguous
        self.separators = frozenset(separators)
        self.longest = max((len(k) for k in self.by_key), default=0)
        firsts = {k[0] for k in self.by_key}
        words = sorted((f for f in firsts if not f.isdigit()), key=len, reverse=True)
        alternatives = [re.escape(w) + r"(?![^\W\d_])" for w in words]
        if any(f.isdigit() for f in firsts):
            alternatives.append(r"\d")
        self.start = (
            re.compile(rf"{_NOT_ALNUM_BEFORE}(?:{'|'.join(alternatives)})", re.IGNORECASE)
            if alternatives
            else None
        )

    def _gap_ok(self, gap: str) -> bool:
        return len(gap) <= 3 and all(c in self.separators for c in gap)

    def _match_at(self, text: str, pos: int) -> tuple[int, str] | None:
        """Find the longest ID that starts at ``pos``: (where it ends, its replacement), or None."""
        runs: list[re.Match[str]] = []
        at = pos
        while len(runs) < self.longest:
            m = _RUN.search(text, at)
            if m is None or (runs and not self._gap_ok(text[at : m.start()])):
                break
            if not runs and m.start() != pos:
                return None
            runs.append(m)
            at = m.end()
        for n in range(len(runs), 0, -1):
            end = runs[n - 1].end()
            if end < len(text) and (text[end].isalnum()):
                continue  # the ID would end inside a word
            key = tuple(r.group(0).lower() for r in runs[:n])
            found = self.by_key.get(key)
            if found is not None:
                spelled = text[pos:end]
                return end, self.exact.get(spelled, found)
        return None

    def sub(self, text: str) -> tuple[str, list[str]]:
        """Replace every ID in ``text``; return the new text and the replacements made."""
        if self.start is None or not text:
            return text, []
        out: list[str] = []
        done = 0
        made: list[str] = []
        for m in self.start.finditer(text):
            pos = m.start()
            if pos < done:
                continue
            hit = self._match_at(text, pos)
            if hit is None:
                continue
            end, replacement = hit
            out += [text[done:pos], replacement]
            done = end
            made.append(replacement)
        if not made:
            return text, made
        out.append(text[done:])
        return "".join(out), made

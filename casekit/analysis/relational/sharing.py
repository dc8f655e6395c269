"""The information-sharing flags: ``sharing_without_basis``, ``shared_despite_refusal``.

``sharing_without_basis``: a known ``info_sharing`` row with ``lawful_basis`` = not_recorded, no
``purpose``, ``not_sought`` consent with no reason, or ``lawful_basis`` = consent while consent
was not given (a missing consent is not given); the reason lists every gap.
``shared_despite_refusal``: consent refused and no ``override_reason``. Blank text is missing,
empty or only whitespace. Both are ``open`` while the case is open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casekit.analysis.relational.decisions import flag_rows
from casekit.analysis.relational.known import Known, team_status
from casekit.engine.text import blank, cat, day, quote, words

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["INFORMATION_QUOTE", "RAISES", "sharing_flags"]

RAISES = ("sharing_without_basis", "shared_despite_refusal")
"""The flags this module raises."""
INFORMATION_QUOTE = 120
"""Characters of what was shared that a reason quotes."""
REFUSED = (
    " went ahead with consent refused, and no override_reason is recorded (why sharing "
    "without consent was necessary and proportionate)."
)


def sharing_flags(k: Known, t: dict[str, Any]) -> list[ir.Table]:
    """Raise the two sharing flags on the known ``info_sharing`` rows."""
    import ibis

    s = k.info_sharing
    no_basis = (s.lawful_basis == "not_recorded").fill_null(False)
    no_purpose = blank(s.purpose)
    no_reason = (s.consent == "not_sought").fill_null(False) & blank(s.not_sought_reason)
    on_consent = (s.lawful_basis == "consent").fill_null(False) & (
        s.consent.isnull() | (s.consent != "given")
    )
    refused = (s.consent == "refused").fill_null(False) & blank(s.override_reason)
    s = s.mutate(
        _no_basis=no_basis,
        _no_purpose=no_purpose,
        _no_reason=no_reason,
        _on_consent=on_consent,
        _refused=refused,
    )
    s = s.filter(s._no_basis | s._no_purpose | s._no_reason | s._on_consent | s._refused)
    what = cat(
        "Sharing ",
        s.share_id,
        " (",
        words(s.from_agency),
        " to ",
        words(s.to_agency),
        ", ",
        day(s.date),
        ", ",
        quote(s.information, INFORMATION_QUOTE),
        ")",
    )
    consent_words = s.consent.substitute(
        {"refused": "was refused", "not_sought": "was not sought"}, else_="is not recorded"
    ).fill_null("is not recorded")
    gaps = cat(
        ibis.ifelse(s._no_basis, "no lawful basis recorded; ", ""),
        ibis.ifelse(s._no_purpose, "no purpose recorded; ", ""),
        ibis.ifelse(s._no_reason, "consent not sought with no reason given; ", ""),
    )
    gaps = ibis.ifelse(
        s._on_consent,
        cat(gaps, "the lawful basis is consent but consent ", consent_words),
        gaps.substr(0, gaps.length() - 2),  # the last gap's "; "
    )
    s = s.mutate(_what=what, _gaps=gaps)
    without = s.filter(s._no_basis | s._no_purpose | s._no_reason | s._on_consent)
    despite = s.filter(s._refused)
    out = [
        flag_rows(
            without,
            "sharing_without_basis",
            "share_id",
            cat(without._what, ": ", without._gaps, "."),
            without.date,
        ),
        flag_rows(
            despite, "shared_despite_refusal", "share_id", cat(despite._what, REFUSED), despite.date
        ),
    ]
    return [team_status(k, rows) for rows in out]

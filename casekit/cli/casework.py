"""Casework commands: ``flags``, ``flag-guide``, ``chronology merge|export``, ``supervision``."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from casekit.bundle.io import write_file_atomically
from casekit.cli.common import (
    file_and_name,
    keep_inputs,
    out_file,
    overwrite_argument,
    parse_date,
    reason_and_user,
)
from casekit.errors import CasekitError, printable, shown

__all__ = ["add_chronology", "add_flag_guide", "add_flags", "add_supervision"]


def _engine(value: str) -> str:
    """Check an ``--engine`` value: duckdb, postgres, spark, or a Spark Connect URL."""
    text = value.strip()
    if text.startswith("sc://") or text.lower() in ("pandas", "duckdb", "postgres", "spark"):
        return text if text.startswith("sc://") else text.lower()
    raise argparse.ArgumentTypeError(
        f"{shown(value)}: choose pandas, duckdb, postgres or spark, or a Spark Connect URL "
        "(sc://host:15002)"
    )


def _flags_on_engine(args: argparse.Namespace) -> Any:
    """Raise the flags on ``--engine``, printing which flags pandas raised instead."""
    from casekit.analysis.proportionality import PandasFlags, flags
    from casekit.engine.backends import refuse_password
    from casekit.store.load import source

    if "://" in args.data:
        refuse_password(args.data.strip())  # before anything else is said about the URL
    data: str | Path = source(args.data)  # a store's URL as given, else the path resolved
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PandasFlags)
        table = flags(data, as_of=args.as_of, status=args.status, engine=args.engine)
    for note in caught:
        if issubclass(note.category, PandasFlags):
            print(f"note: {note.message}", file=sys.stderr)
    return table


FLAGS_HEADER = b"case_id,flag,subject_id,"
"""How a flags CSV casekit wrote begins: ``--overwrite`` replaces only such a file."""
EVENTS_HEADER = b"event_id,"
"""How a chronology casekit wrote as CSV (export, merge) begins."""


def _check_flags_out(args: argparse.Namespace) -> None:
    """Refuse an --out for the flags that is no .csv file, is (or is inside) an input, or exists.

    An existing file is replaced only with ``--overwrite``, and only if it is a flags table.
    """
    if "://" in str(args.out) or "@" in str(args.out):  # a pasted URL: never repeated
        raise CasekitError(
            f"--out {shown(args.out)}: looks like a URL; the flags are written to a .csv file "
            "(the engine's store is given with --data)."
        )
    out = Path(args.out)
    if out.suffix.lower() != ".csv" and not out.is_dir():
        raise CasekitError(
            f"--out {printable(out)}: the flags are written as CSV; name a .csv file."
        )
    out_file(args, FLAGS_HEADER)  # nor an input, nor inside --data's folder


def _cmd_flags(args: argparse.Namespace) -> int:
    from casekit.analysis.proportionality import flags
    from casekit.render.xlsx import write_people_csv
    from casekit.store.load import load

    if args.out is not None:  # before the work: a wrong --out is said at once
        _check_flags_out(args)
    if args.engine == "pandas":  # the reference the engines are tested against
        table = flags(load(args.data), as_of=args.as_of, status=args.status, engine="pandas")
    else:
        table = _flags_on_engine(args)
    table = table.assign(date=table["date"].dt.strftime("%Y-%m-%d"))
    if args.out is None:
        write_people_csv(table, sys.stdout)
        return 0
    out = write_file_atomically(Path(args.out), lambda tmp: write_people_csv(table, tmp))
    counts = table["flag"].value_counts()
    still = int((table["status"] == "open").sum())
    each = ", ".join(f"{n} {flag}" for flag, n in counts.items() if n)
    print(f"wrote {len(table)} flags ({still} open) to {out}" + (f": {each}" if each else ""))
    return 0


def _cmd_flag_guide(args: argparse.Namespace) -> int:
    from casekit.analysis.flag_guide import to_markdown

    print(to_markdown(), end="")
    return 0


def _cmd_chronology_merge(args: argparse.Namespace) -> int:
    from casekit.ingest.merge import load_mapping, merge_files
    from casekit.render.xlsx import Sheet, write_workbook

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise CasekitError(f"--out {out}: write the merged chronology to a .csv or .xlsx file.")
    if not out.parent.exists():
        raise CasekitError(f"--out {out}: the folder {out.parent} does not exist.")
    out_file(args, EVENTS_HEADER)  # nor an input; an existing file only with --overwrite
    files = [file_and_name(spec) for spec in args.files]
    merged = merge_files(files, args.case, load_mapping(args.map), args.window)
    if out.suffix.lower() == ".csv":  # interchange: `casekit import` reads it back exactly
        write_file_atomically(out, lambda tmp: merged.to_csv(tmp, index=False, lineterminator="\n"))
    else:
        sheet = Sheet("events", merged, freeze=False, widths=False)
        write_file_atomically(
            out,
            lambda tmp: write_workbook(
                tmp, [sheet], exact=True, source=out.name, instead="merge to a .csv file instead"
            ),
        )
    duplicates = int((merged["duplicate_of"] != "").sum())
    review = int((merged["needs_review"] != "").sum())
    print(
        f"merged {len(merged)} entries from {len(files)} file(s) into {out}: "
        f"{duplicates} marked as likely duplicates (kept, see duplicate_of); "
        f"{review} need a practitioner's review (see needs_review)."
    )
    return 0


def _cmd_chronology_export(args: argparse.Namespace) -> int:
    from casekit.analysis.export import chronology_view, export_chronology, export_logged
    from casekit.store.db import open_store
    from casekit.store.load import is_store, load

    known_at = args.as_known_at.isoformat() if args.as_known_at else None
    keep_inputs(args, args.out)
    if Path(args.out).suffix.lower() in (".html", ".htm", ".xlsx", ".csv"):  # else: said below
        out_file(args, EVENTS_HEADER)
    logged = ""
    if is_store(args.data):  # a store logs the export in its access log
        with open_store(args.data, user=args.user, create=False) as store:
            view, out = export_logged(
                store, args.case, args.out, known_at, args.min_significance, reason=args.reason
            )
        logged = f" (logged in the store's access log as {store.user!r})"
    else:
        view = chronology_view(load(args.data), args.case, known_at, args.min_significance)
        out = export_chronology(view, args.out)
        if args.reason:
            logged = " (a bundle has no access log: --reason was not recorded)"
    print(f"wrote {len(view.events)} entries of case {args.case} to {out}{logged}")
    return 0


def _cmd_supervision_export(args: argparse.Namespace) -> int:
    from casekit.analysis.supervision_record import export_logged
    from casekit.store.db import open_store

    if Path(args.out).suffix.lower() in (".html", ".docx"):  # else: said below
        out_file(args, b"<")
    keep_inputs(args, args.out)
    with open_store(args.store, user=args.user, create=False) as store:
        out = export_logged(store, args.id, args.out, args.include_support, reason=args.reason)
    left = "with the support notes" if args.include_support else "support notes left out"
    print(
        f"wrote supervision record {args.id} to {out} ({left}; logged in the store's access "
        f"log as {store.user!r})"
    )
    return 0


def add_flag_guide(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit flag-guide``: print the flag guide as Markdown."""
    p = sub.add_parser(
        "flag-guide",
        help="print the guide to the proportionality flags as Markdown",
        description="Print the flag guide: each flag's meaning, what to ask in supervision, and "
        "a worked example with the flags casekit raises on it, as the Markdown page "
        "docs/flags.md (regenerate it with `make docs`).",
    )
    p.set_defaults(run=_cmd_flag_guide)


def add_flags(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit flags``: the proportionality flags as a CSV table."""
    p = sub.add_parser(
        "flags",
        help="raise the proportionality flags as a CSV table",
        description="Raise every proportionality flag of the practice principles, each with "
        "the case, the subject (decision, plan action, sharing record or case), a reason "
        "that names the evidence, the date it arose and its status: open (it still calls for "
        "action at the as-of date) or past.",
    )
    p.add_argument("--data", required=True, help="the bundle or casebook store")
    p.add_argument(
        "--as-of",
        type=parse_date,
        default=None,
        help="count only what was known by this date (default today)",
    )
    p.add_argument(
        "--status",
        choices=["open", "past", "all"],
        default="all",
        help="keep open flags (for supervision), past ones (history) or all (default)",
    )
    p.add_argument("--out", default=None, help="a .csv file (default: print to the screen)")
    overwrite_argument(p, "flags")
    p.add_argument(
        "--engine",
        type=_engine,
        default="duckdb",
        metavar="duckdb|postgres|spark|sc://...|pandas",
        help="the engine that raises the flags with their relational definition: duckdb (the "
        "default: in this process, no set-up, out of core over a Parquet dataset), postgres "
        "(inside the store --data names: only flag rows leave it), spark (local mode) or a "
        "Spark Connect URL; pandas is the reference definition the engines are tested against",
    )
    p.set_defaults(run=_cmd_flags)


def add_chronology(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit chronology`` with its actions ``merge`` and ``export``."""
    chron = sub.add_parser(
        "chronology",
        help="merge, analyse and export chronologies",
        description="Work with a case's chronology.",
    )
    csub = chron.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = csub.add_parser(
        "merge",
        help="merge agencies' chronologies into one composite chronology",
        description="Merge CSV and .xlsx agency chronologies for one case. Headers agencies "
        "use are recognised; UK day-first, month-only (03/2024) and year-only dates are read; "
        "a leading ? marks an uncertain date. Every entry keeps its agency, file and row; "
        "likely cross-agency duplicates are marked (duplicate_of), never deleted.",
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE[=AGENCY]",
        help="an agency's chronology; name its agency after = unless the file has "
        "an agency column or is named after one (police.csv)",
    )
    p.add_argument("--case", required=True, help="the case id the entries belong to")
    p.add_argument("--out", required=True, help="the merged chronology: a .csv or .xlsx file")
    overwrite_argument(p, "the chronology")
    p.add_argument(
        "--map",
        type=Path,
        default=None,
        help="a YAML mapping file for headers and values casekit does not know",
    )
    p.add_argument(
        "--window",
        type=int,
        default=2,
        help="days apart that two agencies' entries can be one happening (default 2)",
    )
    p.set_defaults(run=_cmd_chronology_merge)

    p = csub.add_parser(
        "export",
        help="export a case's chronology as HTML, xlsx or CSV",
        description="Write a case's chronology as a printable HTML record, a formatted "
        "workbook, or CSV in the contract's columns (chosen by the --out suffix).",
    )
    p.add_argument("--data", required=True, help="the bundle or casebook store")
    p.add_argument("--case", required=True, help="the case id")
    p.add_argument("--out", type=Path, required=True, help="a .html, .xlsx or .csv file")
    overwrite_argument(p, "the export")
    p.add_argument(
        "--as-known-at",
        type=parse_date,
        default=None,
        help="show only what had been recorded by this date (YYYY-MM-DD)",
    )
    p.add_argument(
        "--min-significance",
        choices=("low", "medium", "high"),
        default=None,
        help="leave out entries below this significance",
    )
    reason_and_user(p, "export")
    p.set_defaults(run=_cmd_chronology_export)


def add_supervision(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit supervision`` with its action ``export``."""
    sup = sub.add_parser(
        "supervision",
        help="export reflective supervision records",
        description="Work with the records the reflective supervision notebook saves.",
    )
    ssub = sup.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = ssub.add_parser(
        "export",
        help="export a saved supervision session for the case file, as HTML or Word",
        description="Write one saved supervision session (the child's voice and when they "
        "were last seen alone, its four stages, the functions, hypotheses and how each will be "
        "tested with the family, the actions agreed and whose interests they serve, GRACES "
        "reflection, decisions, judgements and the chronology entries it cites) as a printable "
        "HTML page or a .docx document, chosen by the --out suffix. The support notes (the "
        "worker's wellbeing) are left out unless --include-support is given.",
    )
    p.add_argument("--store", required=True, help="casebook store: a .sqlite path or a URL")
    p.add_argument("--id", required=True, help="the supervision_id")
    p.add_argument("--out", type=Path, required=True, help="a .html or .docx file")
    overwrite_argument(p, "the record")
    p.add_argument(
        "--include-support",
        action="store_true",
        help="include the support notes (the worker's wellbeing), left out by default",
    )
    reason_and_user(p, "export")
    p.set_defaults(run=_cmd_supervision_export)

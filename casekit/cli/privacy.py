"""Privacy commands: ``pseudonymise`` and ``disclosure-check``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path

from casekit.cli.common import output_arguments, parse_date, report_file, write_checked
from casekit.errors import CasekitError, conninfo_refusal, is_conninfo

__all__ = ["add_disclosure_check", "add_pseudonymise"]


def _cmd_pseudonymise(args: argparse.Namespace) -> int:
    from casekit.bundle.io import write_file_atomically
    from casekit.privacy.pseudonymise import new_key, pseudonymise_tables, read_key, read_names
    from casekit.store.load import load

    source, out, key_file = Path(args.bundle), Path(args.out), Path(args.key_file)
    report_path = report_file(args, out, "pseudonymisation.md")
    if not source.exists():
        if is_conninfo(args.bundle):
            raise CasekitError(conninfo_refusal("the bundle", args.bundle))
        raise CasekitError(f"{source}: no such bundle. Check the path.")
    if out.resolve() == source.resolve():
        raise CasekitError("--out: write the pseudonymised copy somewhere new, not over it.")
    if out.resolve() in key_file.resolve().parents:
        raise CasekitError("--key-file: keep the key apart from the data, not inside --out.")
    if args.new_key:
        new_key(key_file)
        print(f"wrote a new key to {key_file}: keep it safe, apart from the data.")
    key = read_key(key_file)
    names = read_names(args.names) if args.names else []
    tables, report = pseudonymise_tables(
        load(source).canonical(),
        key,
        names=names,
        names_column=args.names_column,
        retention_years=args.retention_years,
        as_of=args.as_of,
    )
    written = write_checked(tables, out, args)
    write_file_atomically(report_path, report.to_markdown().encode("utf-8"))
    changes = sum(report.replaced.values())
    dropped = sum(report.dropped.values())
    print(
        f"wrote {written} ({changes:,} changes, {dropped:,} rows past retention dropped); "
        f"report: {report_path}"
    )
    return 0


def _cmd_disclosure_check(args: argparse.Namespace) -> int:
    from casekit.privacy.check import check_path

    findings, files = check_path(args.path, ignore=args.ignore_column or ())
    if args.format == "json":
        report = {
            "path": str(args.path),
            "files": files,
            "passed": not findings,
            "findings": [dataclasses.asdict(f) for f in findings],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        shown = findings if args.all else findings[:50]
        for f in shown:
            print(f)
        if len(shown) < len(findings):
            print(f"... and {len(findings) - len(shown)} more (--all lists every one)")
        kinds = Counter(f.kind for f in findings)
        summary = ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in kinds.items())
        if findings:
            print(f"{args.path}: {summary} in {files} file(s); not safe to leave the team.",
                  file=sys.stderr)  # fmt: skip
        else:
            print(f"{args.path}: {files} file(s) checked; no disclosure risk found.")
    return 2 if findings else 0


def add_pseudonymise(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit pseudonymise``: a pseudonymised copy of a bundle."""
    p = sub.add_parser(
        "pseudonymise",
        help="write a pseudonymised copy of a bundle that is safe to analyse",
        description="Replace every case, child, worker and staff ID with a keyed HMAC-SHA256 "
        "pseudonym (stable for the same key, irreversible without it), cut dates of birth to "
        "the month and postcodes to the sector, redact listed names from free text, and drop "
        "cases closed longer ago than the retention period. Writes a report of what changed.",
    )
    p.add_argument("bundle", help="the bundle to pseudonymise")
    p.add_argument("--key-file", required=True, help="the secret key (keep it apart from data)")
    p.add_argument("--new-key", action="store_true", help="make a new key at --key-file first")
    p.add_argument("--names", help="a text file of names to redact from free text, one a line")
    p.add_argument(
        "--names-column", help="TABLE.COLUMN holding names: redacted from text, then dropped"
    )
    p.add_argument(
        "--retention-years",
        type=int,
        default=6,
        help="drop cases closed longer ago than this (default 6; 0 keeps everything)",
    )
    p.add_argument(
        "--as-of", type=parse_date, help="the date retention counts from (default today)"
    )
    p.add_argument("--report", type=Path, help="where to write the report (default beside --out)")
    output_arguments(p)
    p.set_defaults(run=_cmd_pseudonymise)


def add_disclosure_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit disclosure-check``: check outputs before they leave the team."""
    p = sub.add_parser(
        "disclosure-check",
        help="check outputs for small counts, recoverable cells and raw identifiers",
        description="Scan a review folder, or any CSV, .xlsx or HTML output, before it leaves "
        "the team: counts from 1 to 5 that are shown, hidden cells that can be worked out "
        "from the totals, and text that looks like a raw identifier (a UPN, an NHS number, a "
        "full postcode, an e-mail address, a full date of birth). Exit code 0: nothing found; "
        "2: findings (each with file, sheet, row, column and how to fix it).",
    )
    p.add_argument("path", help="a folder, or a .csv, .xlsx or .html file")
    p.add_argument(
        "--ignore-column",
        action="append",
        metavar="NAME",
        help="a column that holds numbers but not counts (repeat for more)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    p.add_argument("--all", action="store_true", help="list every finding, not the first 50")
    p.set_defaults(run=_cmd_disclosure_check)

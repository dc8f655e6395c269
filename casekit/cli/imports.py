"""Importers of other systems' files: ``import-annex-a`` and ``import-csv``."""

from __future__ import annotations

import argparse
from pathlib import Path

from casekit.cli.common import file_and_name, output_arguments, report_file, write_checked
from casekit.errors import CasekitError

__all__ = ["add_import_annex_a", "add_import_csv"]


def _cmd_import_annex_a(args: argparse.Namespace) -> int:
    from casekit.ingest.annex_import import import_annex_a, load_annex_mapping, write_report

    out = Path(args.out)
    report_path = report_file(args, out, "matching.xlsx")
    mapping = load_annex_mapping(args.map)
    tables, matching = import_annex_a(args.workbook, mapping)
    written = write_checked(tables, out, args)
    report = write_report(matching, report_path)
    read, imported = sum(matching.read.values()), sum(matching.imported.values())
    unmatched = len(matching.headers) + len(matching.values)
    print(
        f"wrote {written}: {len(tables['cases'])} cases, {len(tables['events'])} events, "
        f"{len(tables['decisions'])} decisions from {read} rows ({imported} imported, "
        f"{len(matching.rows)} not imported); {unmatched} unmatched header(s) or value(s). "
        f"Matching report: {report}"
    )
    return 0


def _cmd_import_csv(args: argparse.Namespace) -> int:
    from casekit.ingest.annex_import import write_report
    from casekit.ingest.extract import ExtractRefused, import_extract, load_extract_mapping

    out = Path(args.out)
    report_path = report_file(args, out, "matching.xlsx")
    files = [file_and_name(spec) for spec in args.files]
    try:
        tables, matching = import_extract(files, load_extract_mapping(args.map))
    except ExtractRefused as exc:
        write_report(exc.matching, report_path)
        raise CasekitError(f"{exc} The matching report is {report_path}.") from None
    written = write_checked(tables, out, args)
    report = write_report(matching, report_path)
    sizes = ", ".join(f"{len(f)} {t}" for t, f in tables.items())
    unmatched = len(matching.headers) + len(matching.values)
    print(
        f"wrote {written} ({sizes}) from {sum(matching.read.values())} rows; "
        f"{len(matching.rows)} not imported; {unmatched} unmatched header(s) or value(s). "
        f"Matching report: {report}"
    )
    return 0


def add_import_annex_a(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit import-annex-a``: an Ofsted Annex A workbook as a bundle."""
    p = sub.add_parser(
        "import-annex-a",
        help="import an Ofsted Annex A workbook as a case bundle",
        description="Read lists 1 (contacts), 3 (referrals), 4 (assessments), 5 (section 47 "
        "and ICPCs), 6 (children in need) and 7 (child protection) of an Annex A workbook: "
        "referrals become cases, contacts and assessments events, and section 47, child in "
        "need and child protection starts decisions. Writes a matching report (.xlsx) of every "
        "header and value it could not match (with suggestions) and every row it could not "
        "place (with the reason); fix them in a mapping file and pass it with --map.",
    )
    p.add_argument("workbook", help="the Annex A workbook (.xlsx)")
    p.add_argument("--map", help="a mapping file (YAML): sheets, headers, values, defaults")
    p.add_argument("--report", type=Path, help="the matching report (default beside --out)")
    output_arguments(p)
    p.set_defaults(run=_cmd_import_annex_a)


def add_import_csv(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit import-csv``: CSV or xlsx extracts onto bundle tables."""
    p = sub.add_parser(
        "import-csv",
        help="import CSV or xlsx extracts onto bundle tables",
        description="Read case-management extracts onto contract tables: one table per CSV "
        "file or workbook sheet (name it FILE=TABLE, or in the mapping file, or by the file's "
        "own name). Headers and values are matched to the contract's; what is not matched, "
        "and every row the contract refuses, goes into the matching report (.xlsx) with a "
        "suggestion or the reason. Fix them in a mapping file and pass it with --map.",
    )
    p.add_argument("files", nargs="+", help="extracts: FILE or FILE=TABLE (.csv or .xlsx)")
    p.add_argument("--map", help="a mapping file (YAML): tables, headers, values")
    p.add_argument("--report", type=Path, help="the matching report (default beside --out)")
    output_arguments(p)
    p.set_defaults(run=_cmd_import_csv)

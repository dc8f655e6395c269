"""Commands on bundles as a whole: ``validate``, ``import``, ``export`` and ``contract``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from casekit.bundle.damage import Damage, damage_by_table, summary
from casekit.cli.common import output_arguments, parse_date, protected
from casekit.errors import BundleInvalid, Problem, format_problems

__all__ = ["add_contract", "add_export", "add_import", "add_validate"]


def _cmd_validate(args: argparse.Namespace) -> int:
    from casekit.bundle.dataset import is_dataset
    from casekit.store.load import load

    if "://" not in str(args.path) and is_dataset(args.path):
        return _validate_dataset(args)
    try:
        casebook = load(args.path, today=args.today)
        problems = casebook.notes
        valid = True
    except BundleInvalid as exc:
        problems, valid = exc.problems, False
    sizes = {t: len(f) for t, f in casebook.tables.items()} if valid else {}
    return _report(args, problems, valid, sizes, "case bundle", damage_by_table(problems))


def _validate_dataset(args: argparse.Namespace) -> int:
    from casekit.bundle.dataset import LIMIT, check_dataset

    found = check_dataset(args.path, args.today, limit=None if args.all else LIMIT)
    damage = found.damage or damage_by_table(found.problems)  # no table read: its layout
    return _report(args, found.problems, found.valid, found.rows, "case dataset", damage)


def _report(
    args: argparse.Namespace,
    problems: list[Problem],
    valid: bool,
    sizes: dict[str, int],
    what: str,
    damage: list[Damage],
) -> int:
    """Print what a check found, as text or JSON; return the exit status (2 if invalid).

    An invalid bundle or dataset ends with how many records break a rule and how many rules
    are broken, table by table, with where to look (listed problems alone can stand for many
    more records: a dataset lists the first of each rule).
    """
    errors = [p for p in problems if p.severity == "error"]
    if args.format == "json":
        report = {
            "path": str(args.path),
            "valid": valid,
            "errors": len(errors),
            "records": sum(d.records for d in damage),
            "tables": [d.to_dict() for d in damage],
            "problems": [p.to_dict() for p in problems],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        if problems:
            print(format_problems(problems, None if args.all else 25))
        if valid:
            counts = ", ".join(f"{n} {t}" for t, n in sizes.items() if n)
            print(f"{args.path}: valid {what} ({counts}).")
        else:
            print(summary(args.path, what.split()[-1], damage), file=sys.stderr)
    return 0 if valid else 2


def _cmd_import(args: argparse.Namespace) -> int:
    from casekit.store.db import open_store, safe_url
    from casekit.store.load import load

    path = Path(args.bundle)
    if path.suffix.lower() == ".csv":  # one table's rows, e.g. a merged agency chronology
        from casekit.bundle.casebook import load_table_file

        casebook = load_table_file(path, args.table)
    else:
        casebook = load(args.bundle)
    with open_store(args.into, user=args.user) as store:
        counts = store.import_casebook(casebook)
    print(
        f"imported into {safe_url(args.into)}: " + ", ".join(f"{n} {t}" for t, n in counts.items())
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from casekit.bundle.io import write_bundle
    from casekit.store.db import open_store, safe_url

    with open_store(args.store, create=False) as store:
        casebook = store.casebook()
    out = write_bundle(
        casebook.canonical(), args.out, args.form, args.overwrite, protected=protected(args)
    )
    print(f"exported {safe_url(args.store)} to {out}")
    return 0


def _cmd_contract(args: argparse.Namespace) -> int:
    from casekit.contract import to_markdown

    print(to_markdown(), end="")
    return 0


def add_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit validate``: check a bundle against the data contract."""
    p = sub.add_parser(
        "validate",
        help="check a case bundle against the data contract",
        description="Check a bundle (CSV folder, .xlsx, Parquet folder or "
        "casebook store) and list every problem with its file, row and column. A partitioned "
        "Parquet dataset (<table>/part-NNNNN.parquet) is checked out of core by DuckDB, "
        "within $CASEKIT_DUCKDB_MEMORY (default 2GB), listing the first 20 problems of each "
        "rule (--all: every one).",
    )
    p.add_argument("path", help="the bundle: a folder, an .xlsx file, a .sqlite store or a URL")
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default), json for machines",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="list every problem in full (default: 25 lines per rule, then a summary)",
    )
    p.add_argument(
        "--today",
        type=parse_date,
        default=None,
        help="the date after which a date counts as 'in the future' (default: today)",
    )
    p.set_defaults(run=_cmd_validate)


def add_import(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit import``: a bundle into a casebook store."""
    p = sub.add_parser(
        "import",
        help="import a bundle into a casebook store",
        description="Validate a bundle and add all of it to a casebook store in "
        "one transaction (nothing is written if anything is wrong).",
    )
    p.add_argument("bundle", help="the bundle to import, or one table's rows as a .csv file")
    p.add_argument("--into", required=True, help="casebook store: a .sqlite path or a URL")
    p.add_argument(
        "--table",
        default="events",
        help="for a .csv file: the table its rows belong to (default events)",
    )
    p.add_argument(
        "--user",
        default=None,
        help="who is importing (default: $JUPYTERHUB_USER, else $CASEKIT_USER, else your login)",
    )
    p.set_defaults(run=_cmd_import)


def add_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit export``: a casebook store as a bundle."""
    p = sub.add_parser(
        "export",
        help="export a casebook store as a bundle",
        description="Write the store's current records as a bundle.",
    )
    p.add_argument("store", help="casebook store: a .sqlite path or a URL")
    output_arguments(p)
    p.set_defaults(run=_cmd_export)


def add_contract(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit contract``: print the data contract as Markdown."""
    p = sub.add_parser(
        "contract",
        help="print the data contract as Markdown",
        description="Print the data contract: every table, column, vocabulary and integrity "
        "rule, as the Markdown page docs/data-contract.md (regenerate it with `make docs`).",
    )
    p.set_defaults(run=_cmd_contract)

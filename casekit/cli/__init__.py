"""The ``casekit`` command: one entry point with a subcommand for each job.

Exit codes: 0 done, 2 a user error (explained, no traceback), 1 an internal error (a bug).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from casekit import __version__
from casekit.bundle.io import write_file_atomically
from casekit.errors import BundleInvalid, CasekitError, format_problems

__all__ = ["main", "build_parser"]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD"
        ) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def _cmd_validate(args: argparse.Namespace) -> int:
    from casekit.store.load import load

    try:
        casebook = load(args.path, today=args.today)
        problems = casebook.notes
        valid = True
    except BundleInvalid as exc:
        problems, valid = exc.problems, False
    errors = [p for p in problems if p.severity == "error"]
    if args.format == "json":
        report = {
            "path": str(args.path),
            "valid": valid,
            "errors": len(errors),
            "problems": [p.to_dict() for p in problems],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        if problems:
            print(format_problems(problems, None if args.all else 25))
        if valid:
            sizes = ", ".join(f"{len(f)} {t}" for t, f in casebook.tables.items() if len(f))
            print(f"{args.path}: valid case bundle ({sizes}).")
        else:
            print(
                f"{args.path}: {len(errors)} problem(s); the bundle is not valid.", file=sys.stderr
            )
    return 0 if valid else 2


def _cmd_synth(args: argparse.Namespace) -> int:
    from casekit.bundle.io import write_bundle
    from casekit.synth.generator import generate

    if (args.out is None) == (args.annex_a is None):
        raise CasekitError("give --out (a bundle) or --annex-a (a workbook), one of the two.")
    if args.annex_a is not None:
        from casekit.outputs import check_file_target, is_workbook
        from casekit.synth.annex import annex_a_workbook

        check_file_target(args.annex_a, "--annex-a", args.overwrite, looks_ours=is_workbook)
        rows = annex_a_workbook(
            args.annex_a,
            cases=args.cases,
            seed=args.seed,
            radicalisation_share=args.radicalisation_share,
        )
        listed = ", ".join(f"list {n}: {k} rows" for n, k in rows.items())
        print(f"wrote {args.annex_a} (synthetic Annex A, seed {args.seed}: {listed})")
        return 0
    tables = generate(
        seed=args.seed,
        n_cases=args.cases,
        n_teams=args.teams,
        start=args.start,
        end=args.end,
        radicalisation_share=args.radicalisation_share,
    )
    out = write_bundle(tables, args.out, args.form, overwrite=args.overwrite)
    sizes = ", ".join(f"{len(f)} {t}" for t, f in tables.items())
    print(f"wrote {out} (seed {args.seed}: {sizes})")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from casekit.store.db import open_store
    from casekit.store.load import load

    path = Path(args.bundle)
    if path.suffix.lower() == ".csv":  # one table's rows, e.g. a merged agency chronology
        from casekit.bundle.casebook import load_table_file

        casebook = load_table_file(path, args.table)
    else:
        casebook = load(args.bundle)
    with open_store(args.into, user=args.user) as store:
        counts = store.import_casebook(casebook)
    print(f"imported into {args.into}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from casekit.bundle.io import write_bundle
    from casekit.store.db import open_store

    with open_store(args.store, create=False) as store:
        casebook = store.casebook()
    out = write_bundle(
        casebook.canonical(), args.out, args.form, args.overwrite, protected=_protected(args)
    )
    print(f"exported {args.store} to {out}")
    return 0


def _file_and_name(spec: str) -> tuple[Path, str | None]:
    """Split ``FILE=NAME`` (an agency, a table) into the path and the name; plain FILE has none."""
    path, sep, name = spec.rpartition("=")
    if sep and name and "/" not in name:
        return Path(path), name
    return Path(spec), None


def _cmd_chronology_merge(args: argparse.Namespace) -> int:
    from casekit.ingest.merge import load_mapping, merge_files
    from casekit.render.xlsx import Sheet, write_workbook

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise CasekitError(f"--out {out}: write the merged chronology to a .csv or .xlsx file.")
    if not out.parent.exists():
        raise CasekitError(f"--out {out}: the folder {out.parent} does not exist.")
    _keep_inputs(args, out)
    files = [_file_and_name(spec) for spec in args.files]
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
    from casekit.analysis.export import chronology_view, export_chronology
    from casekit.store.load import load

    known_at = args.as_known_at.isoformat() if args.as_known_at else None
    _keep_inputs(args, args.out)
    view = chronology_view(load(args.data), args.case, known_at, args.min_significance)
    out = export_chronology(view, args.out)
    print(f"wrote {len(view.events)} entries of case {args.case} to {out}")
    return 0


def _cmd_supervision_export(args: argparse.Namespace) -> int:
    from casekit.analysis.supervision_record import export_record, supervision_record
    from casekit.store.db import open_store

    _keep_inputs(args, args.out)
    with open_store(args.store, create=False) as store:
        record = supervision_record(store, args.id)
        out = export_record(record, args.out, include_support=args.include_support)
    left = "with the support notes" if args.include_support else "support notes left out"
    print(f"wrote supervision record {args.id} to {out} ({left})")
    return 0


def _protected(args: argparse.Namespace) -> dict[str, str | Path | None]:
    """Every file a command reads (its inputs, the key file): no output may replace one."""
    found: dict[str, str | Path | None] = {"the key file": getattr(args, "key_file", None)}
    for name in ("bundle", "workbook", "data", "map", "names", "store"):
        value = getattr(args, name, None)
        if value and "://" not in str(value):
            found[f"an input (--{name} {value})"] = value
    for spec in getattr(args, "files", None) or []:
        path = _file_and_name(spec)[0]
        found[f"an input ({path})"] = path
    return found


def _keep_inputs(args: argparse.Namespace, out: Path) -> None:
    """Refuse an --out that would replace the key file or one of the command's inputs."""
    from casekit.outputs import protect_paths

    protect_paths(out, _protected(args), "--out")


def _report_path(args: argparse.Namespace, out: Path, suffix: str) -> Path:
    """Where a command's report goes: --report, else beside --out; its folder must exist.

    A report never replaces the key file or an input, and never goes inside --out.
    """
    from casekit.outputs import protect_paths

    path = Path(args.report or out.parent / f"{out.name}-{suffix}")
    if args.report and not path.parent.exists():  # the default's folder is made with --out
        raise CasekitError(f"--report {path}: the folder {path.parent} does not exist.")
    protect_paths(path, {**_protected(args), "--out": out}, "--report")
    if out.resolve() in path.resolve().parents:
        raise CasekitError(f"--report {path}: put the report beside --out {out}, not inside it.")
    return path


def _write_checked(tables: dict, out: Path, args: argparse.Namespace) -> Path:
    """Write a bundle a command made, then load it back: an invalid one is a bug, said as one."""
    from casekit.bundle.io import write_bundle
    from casekit.store.load import load

    written = write_bundle(
        tables, out, args.form, overwrite=args.overwrite, protected=_protected(args)
    )
    load(written)
    return written


def _cmd_import_annex_a(args: argparse.Namespace) -> int:
    from casekit.ingest.annex_import import import_annex_a, load_annex_mapping, write_report

    out = Path(args.out)
    report_path = _report_path(args, out, "matching.xlsx")
    mapping = load_annex_mapping(args.map)
    tables, matching = import_annex_a(args.workbook, mapping)
    written = _write_checked(tables, out, args)
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
    report_path = _report_path(args, out, "matching.xlsx")
    files = [_file_and_name(spec) for spec in args.files]
    try:
        tables, matching = import_extract(files, load_extract_mapping(args.map))
    except ExtractRefused as exc:
        write_report(exc.matching, report_path)
        raise CasekitError(f"{exc} The matching report is {report_path}.") from None
    written = _write_checked(tables, out, args)
    report = write_report(matching, report_path)
    sizes = ", ".join(f"{len(f)} {t}" for t, f in tables.items())
    unmatched = len(matching.headers) + len(matching.values)
    print(
        f"wrote {written} ({sizes}) from {sum(matching.read.values())} rows; "
        f"{len(matching.rows)} not imported; {unmatched} unmatched header(s) or value(s). "
        f"Matching report: {report}"
    )
    return 0


def _cmd_pseudonymise(args: argparse.Namespace) -> int:
    from casekit.bundle.io import write_file_atomically
    from casekit.privacy.pseudonymise import new_key, pseudonymise_tables, read_key, read_names
    from casekit.store.load import load

    source, out, key_file = Path(args.bundle), Path(args.out), Path(args.key_file)
    report_path = _report_path(args, out, "pseudonymisation.md")
    if not source.exists():
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
    written = _write_checked(tables, out, args)
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


def _cmd_app(args: argparse.Namespace) -> int:
    from casekit.app.server import add_user, run

    if args.add_user:
        if not args.users:
            raise CasekitError("--add-user NAME needs --users FILE, the file to add NAME to.")
        print(f"set {args.add_user!r}'s password in {add_user(args.users, args.add_user)}")
        return 0
    return run(
        args.store,
        args.case,
        args.port,
        args.password,
        args.user,
        args.browser,
        args.users,
        args.reports,
        args.notebooks,
    )


def _cmd_flags(args: argparse.Namespace) -> int:
    from casekit.analysis.proportionality import flags
    from casekit.render.xlsx import write_people_csv
    from casekit.store.load import load

    table = flags(load(args.data), as_of=args.as_of, status=args.status)
    table = table.assign(date=table["date"].dt.strftime("%Y-%m-%d"))
    if args.out is None:
        write_people_csv(table, sys.stdout)
        return 0
    _keep_inputs(args, Path(args.out))
    out = write_file_atomically(Path(args.out), lambda tmp: write_people_csv(table, tmp))
    counts = table["flag"].value_counts()
    still = int((table["status"] == "open").sum())
    print(
        f"wrote {len(table)} flags ({still} open) to {out}: "
        + ", ".join(f"{n} {flag}" for flag, n in counts.items() if n)
    )
    return 0


def _cmd_review(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from casekit.review.run import TeamResult, plan, run_reviews

    teams = "all" if args.team == "all" else [t.strip() for t in args.team.split(",") if t.strip()]
    scopes = plan(
        args.data,
        teams,
        args.from_,
        args.to,
        args.as_of,
        args.suppress,
        args.seen_alone_days,
        args.min_judgements,
    )
    print(
        f"reviewing {len(scopes)} team(s), {scopes[0].period}, as known on "
        f"{scopes[0].as_of.date()}, into {args.out}",
        file=sys.stderr,
    )
    with tqdm(total=len(scopes), unit="team", file=sys.stderr, disable=None) as bar:

        def progress(result: TeamResult) -> None:
            bar.update(1)
            if not result.ok:
                tqdm.write(f"team {result.team_id}: failed: {result.error}", file=sys.stderr)

        results = run_reviews(
            args.data, args.out, scopes, jobs=args.jobs, notebook=args.notebook, progress=progress
        )
    failed = [r for r in results if not r.ok]
    print(
        f"wrote {len(results) - len(failed)} review(s) and {Path(args.out) / 'index.html'}"
        + (f"; {len(failed)} failed: {', '.join(r.team_id for r in failed)}" if failed else ""),
        file=sys.stderr,
    )
    return 1 if failed else 0


def _cmd_contract(args: argparse.Namespace) -> int:
    from casekit.contract import to_markdown

    print(to_markdown(), end="")
    return 0


def _cmd_flag_guide(args: argparse.Namespace) -> int:
    from casekit.analysis.flag_guide import to_markdown

    print(to_markdown(), end="")
    return 0


def _output_arguments(p: argparse.ArgumentParser, required: bool = True) -> None:
    """Add the options every command that writes a bundle shares."""
    p.add_argument("--out", type=Path, required=required, help="folder (or .xlsx file) to write")
    p.add_argument(
        "--form",
        choices=("csv", "xlsx", "parquet"),
        default="csv",
        help="bundle form (default csv)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing bundle at --out")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for ``casekit`` and all its subcommands."""
    parser = argparse.ArgumentParser(
        prog="casekit",
        description="Proportionate safeguarding casework under the Prevent duty.",
        epilog="Exit codes: 0 done, 2 user error (explained), 1 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"casekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "validate",
        help="check a case bundle against the data contract",
        description="Check a bundle (CSV folder, .xlsx, Parquet folder or "
        "casebook store) and list every problem with its file, row and column.",
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
        type=_date,
        default=None,
        help="the date after which a date counts as 'in the future' (default: today)",
    )
    p.set_defaults(run=_cmd_validate)

    from casekit.synth.generator import DEFAULT_END, DEFAULT_RADICALISATION_SHARE, DEFAULT_START

    p = sub.add_parser(
        "synth",
        help="generate a synthetic case bundle",
        description="Write a complete, valid synthetic bundle with every table. "
        "The same seed always gives byte-identical files.",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--cases", type=_positive, default=360, help="number of cases (default 360)")
    p.add_argument("--teams", type=_positive, default=6, help="number of teams (default 6)")
    p.add_argument(
        "--start",
        type=_date,
        default=DEFAULT_START,
        help=f"first referral date (default {DEFAULT_START})",
    )
    p.add_argument(
        "--end",
        type=_date,
        default=DEFAULT_END,
        help=f"last date in the data (default {DEFAULT_END})",
    )
    p.add_argument(
        "--radicalisation-share",
        type=float,
        default=DEFAULT_RADICALISATION_SHARE,
        metavar="SHARE",
        help="share of cases that are radicalisation (Prevent) cases, above 0 and at most 1 "
        f"(default {DEFAULT_RADICALISATION_SHARE}: over-sampled so that a team review has some)",
    )
    p.add_argument(
        "--annex-a",
        type=Path,
        metavar="FILE.xlsx",
        help="write a synthetic Ofsted Annex A workbook instead of a bundle",
    )
    _output_arguments(p, required=False)
    p.set_defaults(run=_cmd_synth)

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
        "--user", default=None, help="who is importing (default: $CASEKIT_USER or your login name)"
    )
    p.set_defaults(run=_cmd_import)

    p = sub.add_parser(
        "export",
        help="export a casebook store as a bundle",
        description="Write the store's current records as a bundle.",
    )
    p.add_argument("store", help="casebook store: a .sqlite path or a URL")
    _output_arguments(p)
    p.set_defaults(run=_cmd_export)

    p = sub.add_parser(
        "contract",
        help="print the data contract as Markdown",
        description="Print the data contract: every table, column, vocabulary and integrity "
        "rule, as the Markdown page docs/data-contract.md (regenerate it with `make docs`).",
    )
    p.set_defaults(run=_cmd_contract)

    p = sub.add_parser(
        "flag-guide",
        help="print the guide to the proportionality flags as Markdown",
        description="Print the flag guide: each flag's meaning, what to ask in supervision, and "
        "a worked example with the flags casekit raises on it, as the Markdown page "
        "docs/flags.md (regenerate it with `make docs`).",
    )
    p.set_defaults(run=_cmd_flag_guide)

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
        type=_date,
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
    p.set_defaults(run=_cmd_flags)

    p = sub.add_parser(
        "app",
        help="serve the practitioner and supervisor notebooks as an app on localhost",
        description="Serve casekit's notebooks as a Voila app, bound to 127.0.0.1 only and "
        "answering only local host names. Open the printed http://127.0.0.1:PORT/?token=... "
        "address (a new token every start), or log in with the --password you set, and "
        "choose a notebook.",
    )
    p.add_argument(
        "--store",
        default="",
        help="casebook store (.sqlite path or URL); default "
        "$CASEKIT_STORE, else a demo store made from the synthetic data",
    )
    p.add_argument("--case", default="", help="open this case straight away")
    p.add_argument("--port", type=_positive, default=8866, help="port (default 8866)")
    p.add_argument("--browser", action="store_true", help="open a web browser")
    p.add_argument(
        "--password",
        action="store_true",
        help="ask for a password to log in with instead of a token "
        "(or set $CASEKIT_APP_PASSWORD_HASH to a jupyter_server password hash)",
    )
    p.add_argument(
        "--user",
        default="",
        help="the name entries and sessions are recorded under "
        "(default $CASEKIT_USER, else your login name)",
    )
    p.add_argument(
        "--users",
        default="",
        metavar="FILE",
        help="log in with a name and password from FILE (made with --add-user); "
        "entries are then recorded under the name logged in with",
    )
    p.add_argument(
        "--add-user",
        default="",
        metavar="NAME",
        help="ask for NAME's password and save its hash in the --users FILE, then stop",
    )
    p.add_argument(
        "--reports",
        default="",
        metavar="FOLDER",
        help="the folder casekit review --out wrote, whose pages the home page links to "
        "(default reports/ in the casekit folder, where make review writes)",
    )
    p.add_argument(
        "--notebooks",
        default="",
        metavar="DIR",
        help="serve the notebooks from DIR, a private folder where casekit keeps its copies "
        "(never over ones you changed) and supervision records are saved (default: a "
        "checkout's notebooks/, else ~/.local/share/casekit/notebooks)",
    )
    p.set_defaults(run=_cmd_app)

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
    p.add_argument(
        "--as-known-at",
        type=_date,
        default=None,
        help="show only what had been recorded by this date (YYYY-MM-DD)",
    )
    p.add_argument(
        "--min-significance",
        choices=("low", "medium", "high"),
        default=None,
        help="leave out entries below this significance",
    )
    p.set_defaults(run=_cmd_chronology_export)

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
    _output_arguments(p)
    p.set_defaults(run=_cmd_import_annex_a)

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
    _output_arguments(p)
    p.set_defaults(run=_cmd_import_csv)

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
    p.add_argument("--as-of", type=_date, help="the date retention counts from (default today)")
    p.add_argument("--report", type=Path, help="where to write the report (default beside --out)")
    _output_arguments(p)
    p.set_defaults(run=_cmd_pseudonymise)

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
    p.add_argument(
        "--include-support",
        action="store_true",
        help="include the support notes (the worker's wellbeing), left out by default",
    )
    p.set_defaults(run=_cmd_supervision_export)

    from casekit.review.sections import MIN_JUDGEMENTS, SEEN_ALONE_DAYS

    p = sub.add_parser(
        "review",
        help="team caseload reviews: one self-contained HTML page per team, and an index",
        description="Run notebooks/caseload_review.ipynb with papermill for each team, export "
        "each as HTML without code, write every table as CSV and .xlsx, and an index.html.",
    )
    p.add_argument("--data", required=True, help="the bundle to review")
    p.add_argument("--out", type=Path, required=True, help="folder for the reviews")
    p.add_argument("--team", default="all", help="a team_id, several separated by commas, or all")
    p.add_argument("--from", dest="from_", type=_date, help="first day of the period (YYYY-MM-DD)")
    p.add_argument("--to", type=_date, help="last day of the period (default: --as-of)")
    p.add_argument(
        "--as-of", type=_date, help="review as known on this date (default: latest in the data)"
    )
    p.add_argument(
        "--suppress", action="store_true", help="for publication: counts 1-5 as c, no case lists"
    )
    p.add_argument(
        "--seen-alone-days",
        type=_positive,
        default=SEEN_ALONE_DAYS,
        help="list a child not seen alone for more than this many working days under what "
        f"needs attention (default {SEEN_ALONE_DAYS})",
    )
    p.add_argument(
        "--min-judgements",
        type=_positive,
        default=MIN_JUDGEMENTS,
        help="judgements a case needs before its safety trend is stated (at least 2; "
        f"default {MIN_JUDGEMENTS})",
    )
    p.add_argument("--jobs", type=_positive, default=1, help="teams to run at once (default 1)")
    p.add_argument("--notebook", type=Path, help="run your own copy of the review notebook")
    p.set_defaults(run=_cmd_review)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``casekit`` with ``argv``; return its exit code (0 done, 2 user error, 1 bug)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    name = " ".join(filter(None, [args.command, getattr(args, "action", None)]))
    try:
        return run(args)
    except CasekitError as exc:
        print(f"casekit {name}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("casekit: interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130
    except Exception as exc:  # a full disk is one line; anything else is a bug, said plainly
        from casekit.outputs import write_failure

        failure = write_failure(exc)
        if failure is not None:  # one line, with no record's data in it
            print(f"casekit {name}: {failure}", file=sys.stderr)
            return 2
        print(
            f"casekit {name}: internal error (a bug in casekit, not your data). "
            "Please report it with the details below.",
            file=sys.stderr,
        )
        traceback.print_exc()
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

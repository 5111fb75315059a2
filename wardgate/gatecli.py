"""The gate's files: `wardgate baseline` (today's findings, to gate only on new ones) and `wardgate merge`
(the reports of `check --shard I/N` runs joined into one verdict, reports/merge.py)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from reports import baseline as baseline_file
from reports.merge import merge as merge_reports
from reports.model import Report

from . import __version__
from .cliutil import (
    EXIT_INTERNAL,
    EXIT_PASS,
    EXIT_USAGE,
    Parser,
    add_report_options,
    load,
    missing_path,
    outputs,
    use_color,
    write_reports,
)
from .files import scan_root
from .paths import check_inside
from .pipeline import RunOptions, run
from .progress import Progress


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    base = sub.add_parser("baseline", help="write today's findings as a baseline (gate only on new ones)")
    base.set_defaults(command_main=baseline)
    base.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    base.add_argument("--output", "-o", type=Path, default=None, metavar="FILE",
                      help="baseline file (default: .wardgate-baseline.json in the scan root)")
    base.add_argument("--config", type=Path, default=None, help="wardgate.toml or pyproject.toml to use")
    base.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: CPU count)")

    merge_ = sub.add_parser("merge", help="merge JSON reports of `check --shard I/N` runs into one verdict")
    merge_.set_defaults(command_main=merge)
    merge_.add_argument("reports", nargs="+", type=Path, metavar="REPORT.json")
    add_report_options(merge_)
    merge_.add_argument("--link-base", default=None, metavar="URL", help="absolute links in Markdown reports")


def baseline(args: argparse.Namespace) -> int:
    if missing_path(args.paths):
        return EXIT_USAGE
    config = load(args)
    check_inside(config, scan_root(list(args.paths)))  # config paths stay inside the repository
    result = run(config, RunOptions(targets=list(args.paths), jobs=args.jobs, no_llm=True), Progress(enabled=True))
    errors = result.report.stats.errors
    if errors:
        for err in errors:
            print(f"wardgate: {err}", file=sys.stderr)
        print("wardgate: the analysis did not complete; no baseline written", file=sys.stderr)
        return EXIT_INTERNAL
    data = baseline_file.build(result.report.findings)
    dest = args.output or (result.root / baseline_file.DEFAULT_FILE)
    dest.write_text(baseline_file.dumps(data), encoding="utf-8")
    total = sum(e["count"] for e in data["findings"])
    print(f"wardgate: wrote {dest} ({total} finding(s), {len(data['findings'])} entries)", file=sys.stderr)
    return EXIT_PASS


def merge(args: argparse.Namespace) -> int:
    shards = []
    for p in args.reports:
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"wardgate: error: {p}: not a readable JSON report ({exc})", file=sys.stderr)
            return EXIT_USAGE
        try:
            shards.append(Report.model_validate_json(text))
        except ValidationError as exc:
            what = "not a readable JSON report" if exc.errors()[0]["type"] == "json_invalid" else \
                "not a wardgate JSON report"
            print(f"wardgate: error: {p}: {what} ({exc.error_count()} problem(s): {exc.errors()[0]['msg']})",
                  file=sys.stderr)
            return EXIT_USAGE
    report = merge_reports(shards, __version__)
    if report.stats.merged is not None and report.stats.merged.warning:
        print(f"wardgate: warning: {report.stats.merged.warning}", file=sys.stderr)
    write_reports(report, args.format, outputs(args.output), color=use_color(args.color), link_base=args.link_base)
    return report.gate.exit_code

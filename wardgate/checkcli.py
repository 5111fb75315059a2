"""`wardgate check`: run the pipeline and gate (exit 0 pass, 1 fail, 2 usage, 3 could not judge)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from checks.finding import Severity
from checks.tools import ADAPTERS
from reports.baseline import BaselineError

from . import trust
from .approvals import ENV_VAR, parse_roles
from .cliutil import (
    EXIT_PASS,
    EXIT_USAGE,
    Parser,
    UsageError,
    add_report_options,
    load,
    missing_path,
    outputs,
    use_color,
    write_reports,
)
from .config import Config, ConfigError
from .files import scan_root
from .fixes import apply_fixes
from .git import DiffError, resolve_base
from .paths import check_inside
from .pipeline import RunOptions, RunResult, run
from .progress import Progress
from .shard import parse as parse_shard

if TYPE_CHECKING:
    from reports.coverage_file import CoverageData


def add_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    check = sub.add_parser("check", help="analyse PATHs and apply the gate")
    check.set_defaults(command_main=main)
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    add_report_options(check)
    check.add_argument("--no-llm", action="store_true", help="skip the LLM reviewer (stage 2)")
    check.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: CPU count)")
    check.add_argument("--fail-on", choices=[s.value for s in Severity], default=None,
                       help="lowest severity that fails the gate (default: config, else high)")
    check.add_argument("--config", type=Path, default=None, help="wardgate.toml or pyproject.toml to use")
    check.add_argument("--select", default=None, metavar="PREFIX,...",
                       help="only these rule-id prefixes (e.g. WG1,bandit:B105); tools that cannot report "
                            "any of them are not run")
    check.add_argument("--fix", action="store_true", help="apply safe automatic fixes, then report what remains")
    check.add_argument("--no-cache", action="store_true",
                       help="do not read or write the content-addressed cache (default: .wardgate-cache/)")
    check.add_argument("--exit-zero", action="store_true",
                       help="exit 0 when the gate fails (still 2 on usage errors and 3 when the analysis failed)")
    check.add_argument("--statistics", action="store_true",
                       help="print the number of findings per rule and the tools used, instead of each finding")
    _add_gate_options(check)
    check.add_argument("--approved-by", default=None, metavar="ROLE,...",
                       help="roles that approved this change (default: $WARDGATE_APPROVED_BY); in diff mode a "
                            "required role missing from the list fails the gate (wardgate/approvals/)")


def _add_gate_options(check: argparse.ArgumentParser) -> None:
    g = check.add_argument_group("diff-aware gating, baseline, sharding (reports/, wardgate/git.py)")
    g.add_argument("--diff", nargs="?", const="", default=None, metavar="BASE",
                   help="gate only on findings touching lines changed since BASE (default: the merge base "
                        "with the default branch); only changed files are analysed")
    g.add_argument("--staged", action="store_true", help="gate only on lines changed in the index (pre-commit)")
    g.add_argument("--baseline", type=Path, default=None, metavar="FILE",
                   help="gate only on findings not in this baseline (see `wardgate baseline`)")
    g.add_argument("--coverage", type=Path, default=None, metavar="FILE",
                   help="with --diff/--staged: gate on the changed lines' test coverage, from coverage.py's "
                        "Cobertura XML (`coverage xml`, pytest-cov) or JSON report ([tool.wardgate.coverage])")
    g.add_argument("--shard", default=None, metavar="I/N",
                   help="analyse only shard I of N (by a hash of each path); join with `wardgate merge`")
    g.add_argument("--link-base", default=None, metavar="URL",
                   help="absolute links in Markdown reports (default: from GITHUB_SERVER_URL, "
                        "GITHUB_REPOSITORY and GITHUB_SHA when set)")


def main(args: argparse.Namespace) -> int:
    if missing_path(args.paths):
        return EXIT_USAGE
    if args.statistics and args.format != "text":
        print("wardgate: error: --statistics replaces the text report; use it with --format text", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        print("wardgate: error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    options = _options(args)
    # In diff mode the configuration comes from the diff base (wardgate/trust.py).
    config = _trusted_config(args, options) if options.diff is not None or options.staged else load(args)
    check_inside(config, scan_root(options.targets))  # exit 2 naming the key
    if args.select is not None:
        config = _select(config, args.select)
    to = outputs(args.output)
    result = _run(config, options)
    if args.fix:
        fixed = apply_fixes(result.root, result.report.findings)
        if fixed:
            print(f"wardgate: fixed {fixed} finding(s); re-analysing", file=sys.stderr)
            result = _run(config, options)
    report = result.report
    write_reports(report, "statistics" if args.statistics else args.format, to,
                  color=use_color(args.color), link_base=args.link_base)
    for err in report.stats.errors:
        print(f"wardgate: {err}", file=sys.stderr)
    if args.exit_zero and report.gate.verdict == "fail":
        return EXIT_PASS
    return report.gate.exit_code


def _options(args: argparse.Namespace) -> RunOptions:
    if args.staged and args.diff is not None:
        raise UsageError("--diff and --staged exclude each other")
    options = RunOptions(targets=list(args.paths), jobs=args.jobs, no_llm=args.no_llm, fail_on=args.fail_on,
                         no_cache=args.no_cache, diff=args.diff, staged=args.staged,
                         approved_by=parse_roles(args.approved_by if args.approved_by is not None
                                                 else os.environ.get(ENV_VAR)))
    if args.baseline is not None:
        if not args.baseline.is_file():
            raise UsageError(f"--baseline {args.baseline}: no such file (create it with `wardgate baseline`)")
        options.baseline = args.baseline
    if args.shard is not None:
        try:
            options.shard = parse_shard(args.shard)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    options.coverage = _coverage(args)
    return options


def _coverage(args: argparse.Namespace) -> CoverageData | None:
    """`--coverage FILE`, read before the analysis so that a bad file is exit 2 at once."""
    if args.coverage is None:
        return None
    if args.diff is None and not args.staged:
        raise UsageError("--coverage gates the changed lines: use it with --diff [BASE] or --staged")
    from reports.coverage_file import CoverageError, load  # xml and defusedxml: only for --coverage

    try:
        return load(args.coverage)
    except CoverageError as exc:
        raise UsageError(str(exc)) from None


def _trusted_config(args: argparse.Namespace, options: RunOptions) -> Config:
    """The configuration of a diff run, read from the diff base; the change's edits to it go to
    `options.trust_findings` (wardgate/trust.py)."""
    if args.config is not None and not args.config.is_file():
        raise ConfigError(f"{args.config}: no such configuration file")
    root = scan_root(options.targets)
    first = options.targets[0] if options.targets else Path(".")
    start = first.resolve() if first.is_dir() else first.resolve().parent
    try:
        base, _ = resolve_base(root, options.diff or None, staged=options.staged)
    except DiffError as exc:
        raise UsageError(str(exc)) from None
    trusted = trust.load(root, start, args.config, base, staged=options.staged)
    options.trust_findings = trusted.changes
    return trusted.config


def _select(config: Config, spec: str) -> Config:
    """`--select`: replace the config's `select` and switch off the tools none of whose rules match."""
    prefixes = [p.strip() for p in spec.split(",") if p.strip()]
    if not prefixes:
        raise ConfigError("--select: give at least one rule-id prefix, e.g. --select WG1,bandit:B105")
    tools = config.tools.model_copy()
    for name, adapter in ADAPTERS.items():
        ids = [meta.id.rstrip("*") for meta in adapter.RULES]
        if not any(i.startswith(p) or p.startswith(i) for i in ids for p in prefixes):
            setattr(tools, name, getattr(tools, name).model_copy(update={"enabled": False}))
    return config.model_copy(update={"select": prefixes, "tools": tools})


def _run(config: Config, options: RunOptions) -> RunResult:
    try:
        return run(config, options, Progress(enabled=True))
    except (DiffError, BaselineError) as exc:
        raise UsageError(str(exc)) from None

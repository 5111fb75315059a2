"""`wardgate` command line. Exit codes: 0 gate passed, 1 gate failed, 2 usage/config error,
3 internal or tool failure (fail closed: never 0 when a stage crashed)."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from checks.finding import Severity

from . import __version__
from .config import Config, ConfigError, find_config, load_config

if TYPE_CHECKING:
    from reports.coverage_file import CoverageData

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
FORMATS = ("text", "json", "sarif", "sarif-github", "markdown", "github", "junit")


class UsageError(Exception):
    """A bad --diff base, --shard or --baseline file (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 already; keep its message short
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"wardgate: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="wardgate", description="Static-analysis and CI quality gate for Django code in medicine.")
    p.add_argument("--version", action="version", version=f"wardgate {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = sub.add_parser("check", help="analyse PATHs and apply the gate")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    check.add_argument("--format", choices=FORMATS, default="text", help="report on stdout (default: text)")
    check.add_argument("--output", action="append", default=[], metavar="FORMAT:PATH",
                       help="also write a report to PATH (repeatable)")
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
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                       help="colour the text report (auto: on a terminal, unless NO_COLOR is set)")
    check.add_argument("--exit-zero", action="store_true",
                       help="exit 0 when the gate fails (still 2 on usage errors and 3 when the analysis failed)")
    check.add_argument("--statistics", action="store_true",
                       help="print the number of findings per rule and the tools used, instead of each finding")
    _add_gate_options(check)
    check.add_argument("--approved-by", default=None, metavar="ROLE,...",
                       help="roles that approved this change (default: $WARDGATE_APPROVED_BY); in diff mode a "
                            "required role missing from the list fails the gate (wardgate/approvals/)")

    rules = sub.add_parser("rules", help="list every rule with id, category, severity and rationale")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    explain = sub.add_parser("explain", help="show a rule's documentation and examples (any case; ruff and "
                                                "bandit rules show the tool's own documentation)")
    explain.add_argument("rule_id")

    base = sub.add_parser("baseline", help="write today's findings as a baseline (gate only on new ones)")
    base.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    base.add_argument("--output", "-o", type=Path, default=None, metavar="FILE",
                      help="baseline file (default: .wardgate-baseline.json in the scan root)")
    base.add_argument("--config", type=Path, default=None, help="wardgate.toml or pyproject.toml to use")
    base.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: CPU count)")

    facts = sub.add_parser("facts", help="show the project model: patient-data models, audit, endpoints and access")
    facts.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    facts.add_argument("--format", choices=("text", "json"), default="text")
    facts.add_argument("--config", type=Path, default=None, help="wardgate.toml or pyproject.toml to use")
    facts.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: CPU count)")

    merge = sub.add_parser("merge", help="merge JSON reports of `check --shard I/N` runs into one verdict")
    merge.add_argument("reports", nargs="+", type=Path, metavar="REPORT.json")
    merge.add_argument("--format", choices=FORMATS, default="text", help="report on stdout (default: text)")
    merge.add_argument("--output", action="append", default=[], metavar="FORMAT:PATH",
                       help="also write a report to PATH (repeatable)")
    merge.add_argument("--link-base", default=None, metavar="URL", help="absolute links in Markdown reports")
    merge.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                       help="colour the text report (auto: on a terminal, unless NO_COLOR is set)")
    return p


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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _stop_on_sigterm()
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "facts":
            from .factscli import facts

            return facts(args, _load(args))
        if args.command in ("baseline", "merge"):
            from . import gatecli

            return gatecli.baseline(args) if args.command == "baseline" else gatecli.merge(args)
        return _explain(args)
    except ConfigError as exc:
        print(f"wardgate: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"wardgate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("wardgate: interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception:  # noqa: BLE001 - fail closed with a readable message, never exit 0
        print("wardgate: internal error (this is a bug in wardgate; please report it):", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return EXIT_INTERNAL


def _stop_on_sigterm() -> None:
    """SIGTERM (CI cancelling a job) stops the run like Ctrl-C: workers and tool process groups are
    killed on the way out (pipeline.run, checks/processes.py) and the exit code is 3."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def _load(args: argparse.Namespace) -> Config:
    if args.config is not None:
        if not args.config.is_file():
            raise ConfigError(f"{args.config}: no such configuration file")
        return load_config(args.config)
    first = args.paths[0] if getattr(args, "paths", None) else Path(".")
    start = first.resolve() if first.is_dir() else first.resolve().parent
    return load_config(find_config(start))


def _select(config: Config, spec: str) -> Config:
    """`--select`: replace the config's `select` and switch off the tools none of whose rules match."""
    from checks.tools import ADAPTERS

    prefixes = [p.strip() for p in spec.split(",") if p.strip()]
    if not prefixes:
        raise ConfigError("--select: give at least one rule-id prefix, e.g. --select WG1,bandit:B105")
    tools = config.tools.model_copy()
    for name, adapter in ADAPTERS.items():
        ids = [meta.id.rstrip("*") for meta in adapter.RULES]
        if not any(i.startswith(p) or p.startswith(i) for i in ids for p in prefixes):
            setattr(tools, name, getattr(tools, name).model_copy(update={"enabled": False}))
    return config.model_copy(update={"select": prefixes, "tools": tools})


def _outputs(specs: Sequence[str]) -> list[tuple[str, Path]]:
    from reports.writers import WRITERS

    out = []
    for spec in specs:
        fmt, sep, dest = spec.partition(":")
        if not sep or not dest or fmt not in WRITERS:
            raise ConfigError(f"--output {spec!r}: expected FORMAT:PATH with FORMAT one of {', '.join(WRITERS)}")
        out.append((fmt, Path(dest)))
    return out


def _check(args: argparse.Namespace) -> int:

    from .pipeline import RunOptions, run
    from .progress import Progress

    for p in args.paths:
        if not p.exists():
            print(f"wardgate: error: {p}: no such file or directory", file=sys.stderr)
            return EXIT_USAGE
    if args.statistics and args.format != "text":
        print("wardgate: error: --statistics replaces the text report; use it with --format text", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        print("wardgate: error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    from .approvals import ENV_VAR, attach, parse_roles
    from .gatecli import gate_options, run_guarded, trusted_config

    approved = parse_roles(args.approved_by if args.approved_by is not None else os.environ.get(ENV_VAR))
    options = RunOptions(targets=list(args.paths), jobs=args.jobs, no_llm=args.no_llm, fail_on=args.fail_on,
                         no_cache=args.no_cache, approved_by=approved)
    gate_options(args, options)
    # In diff mode the configuration comes from the diff base (wardgate/trust.py).
    config = trusted_config(args, options) if options.diff is not None or options.staged else _load(args)
    from .files import scan_root
    from .paths import check_inside

    check_inside(config, scan_root(options.targets))  # exit 2 naming the key
    if args.select is not None:
        config = _select(config, args.select)
    outputs = _outputs(args.output)
    coverage = _coverage(args)

    result = run_guarded(run, config, options, Progress(enabled=True))
    if args.fix:
        from .fixes import apply_fixes

        fixed = apply_fixes(result.root, result.report.findings)
        if fixed:
            print(f"wardgate: fixed {fixed} finding(s); re-analysing", file=sys.stderr)
            result = run(config, options, Progress(enabled=True))
    report = attach(result, config, diff=options.diff, staged=options.staged, approved_by=approved)
    if coverage is not None:
        from .coverage import attach as attach_coverage

        report = attach_coverage(report, result, config, coverage)
    from .gatecli import write_reports

    write_reports(report, "statistics" if args.statistics else args.format, outputs,
                  color=use_color(args.color), link_base=args.link_base)
    for err in report.stats.get("errors", []):
        print(f"wardgate: {err}", file=sys.stderr)
    if args.exit_zero and report.gate.verdict == "fail":
        return EXIT_PASS
    return report.gate.exit_code


def _coverage(args: argparse.Namespace) -> CoverageData | None:
    """`--coverage FILE`, read before the analysis so that a bad file is exit 2 at once."""
    if args.coverage is None:
        return None
    if args.diff is None and not args.staged:
        raise UsageError("--coverage gates the changed lines: use it with --diff [BASE] or --staged")
    from .coverage import CoverageError, load

    try:
        return load(args.coverage)
    except CoverageError as exc:
        raise UsageError(str(exc)) from None


def use_color(choice: str) -> bool:
    """`--color`: always, never, or auto = stdout is a terminal and NO_COLOR (no-color.org) is unset."""
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _rules(args: argparse.Namespace) -> int:
    import json

    from checks.registry import all_rules

    rules = sorted(all_rules().values(), key=lambda r: r.id)
    if args.format == "json":
        print(json.dumps([r.model_dump(mode="json", exclude={"doc"}) for r in rules], indent=2))
        return EXIT_PASS
    width = max(len(r.id) for r in rules)
    for r in rules:
        print(f"{r.id:<{width}}  {r.category.value:<11} {r.severity.value:<8} {r.tool:<8} {r.summary}")
    return EXIT_PASS


def _explain(args: argparse.Namespace) -> int:
    from .explain import explain

    text = explain(args.rule_id)
    if text is None:
        print(f"wardgate: unknown rule {args.rule_id!r}; `wardgate rules` lists them", file=sys.stderr)
        return EXIT_USAGE
    print(text, end="")
    return EXIT_PASS


if __name__ == "__main__":
    raise SystemExit(main())

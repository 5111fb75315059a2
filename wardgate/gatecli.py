"""The gate-related parts of the CLI: diff/baseline/shard options, report writing, and the
`baseline` and `merge` subcommands (kept here so wardgate/cli.py stays small)."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from checks.finding import Category, Finding, Severity
from reports import baseline as baseline_file
from reports.baseline import BaselineError
from reports.gate import evaluate
from reports.model import Condition, Report

from .approvals import _with_conditions
from .git import DiffError


def gate_options(args: argparse.Namespace, options: Any) -> None:
    from .cli import UsageError
    from .shard import parse

    if args.staged and args.diff is not None:
        raise UsageError("--diff and --staged exclude each other")
    options.diff, options.staged = args.diff, args.staged
    if args.baseline is not None:
        if not args.baseline.is_file():
            raise UsageError(f"--baseline {args.baseline}: no such file (create it with `wardgate baseline`)")
        options.baseline = args.baseline
    if args.shard is not None:
        try:
            options.shard = parse(args.shard)
        except ValueError as exc:
            raise UsageError(str(exc)) from None


def trusted_config(args: argparse.Namespace, options: Any) -> Any:
    """The configuration of a diff run, read from the diff base; the change's edits to it go to
    `options.trust_findings` (wardgate/trust.py)."""
    from .cli import UsageError
    from .files import scan_root
    from .git import resolve_base
    from .config import ConfigError
    from .trust import load

    if args.config is not None and not args.config.is_file():
        raise ConfigError(f"{args.config}: no such configuration file")
    root = scan_root(options.targets)
    first = options.targets[0] if options.targets else Path(".")
    start = first.resolve() if first.is_dir() else first.resolve().parent
    try:
        base, _ = resolve_base(root, options.diff or None, staged=options.staged)
    except DiffError as exc:
        raise UsageError(str(exc)) from None
    trusted = load(root, start, args.config, base, staged=options.staged)
    options.trust_findings = trusted.changes
    return trusted.config


def run_guarded(run: Callable[..., Any], *a: Any) -> Any:
    from .cli import UsageError

    try:
        return run(*a)
    except (DiffError, BaselineError) as exc:
        raise UsageError(str(exc)) from None


def write_reports(report: Report, fmt: str, outputs: Sequence[tuple[str, Path]], *, color: bool,
                  link_base: str | None) -> None:
    from reports.writers import WRITERS
    from reports.writers.text import render_statistics

    render = render_statistics if fmt == "statistics" else WRITERS[fmt]
    sys.stdout.write(render(report, color=color, link_base=link_base))
    sys.stdout.flush()
    for ofmt, dest in outputs:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(WRITERS[ofmt](report, color=False, link_base=link_base), encoding="utf-8")


def baseline(args: argparse.Namespace) -> int:
    from .cli import EXIT_INTERNAL, EXIT_PASS, EXIT_USAGE, _load
    from .pipeline import RunOptions, run
    from .progress import Progress

    for p in args.paths:
        if not p.exists():
            print(f"wardgate: error: {p}: no such file or directory", file=sys.stderr)
            return EXIT_USAGE
    config = _load(args)
    from .files import scan_root
    from .paths import check_inside

    check_inside(config, scan_root(list(args.paths)))  # config paths stay inside the repository
    result = run(config, RunOptions(targets=list(args.paths), jobs=args.jobs, no_llm=True), Progress(enabled=True))
    errors = result.report.stats.get("errors", [])
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


def merge_reports(reports: Sequence[dict[str, Any]]) -> Report:
    """One report from shard reports: findings joined, run-wide findings (config problems) kept
    once, an unused config suppression kept only when every shard reported it, gate re-evaluated."""
    from . import __version__

    if not reports:
        raise ValueError("no reports to merge")
    findings: list[Finding] = []
    run_wide: dict[str, tuple[Finding, int]] = {}
    errors: list[str] = []
    stats: dict[str, Any] = {"files_analysed": 0, "files_not_analysed": 0, "files_total": 0, "seconds": 0.0}
    totals = set()
    for data in reports:
        for raw in data.get("findings", []):
            f = Finding.model_validate(raw)
            if f.properties.get("run_wide"):
                prev = run_wide.get(f.fingerprint)
                run_wide[f.fingerprint] = (f, (prev[1] if prev else 0) + 1)
            else:
                findings.append(f)
        st = data.get("stats", {})
        errors.extend(e for e in st.get("errors", []) if e not in errors)
        for k in ("files_analysed", "files_not_analysed", "seconds"):
            stats[k] = round(stats[k] + st.get(k, 0), 3)
        stats["files_total"] = max(stats["files_total"], st.get("files_total", 0))
        totals.add((st.get("shard") or {}).get("total", 1))
    n = len(reports)
    for f, count in run_wide.values():
        if "config_suppression" in f.properties and count < n:
            continue  # some shard used the entry
        findings.append(f)
    findings.sort(key=Finding.sort_key)
    gcfg = reports[0].get("stats", {}).get("gate_config", {})
    fail_on = Severity(gcfg.get("fail_on", "high"))
    gate = evaluate(findings, fail_on=fail_on,
                    max_per_category={Category(k): v for k, v in gcfg.get("max_per_category", {}).items()},
                    max_per_severity={Severity(k): v for k, v in gcfg.get("max_per_severity", {}).items()},
                    errors=errors)
    stats.update({"errors": errors, "gate_config": gcfg,
                  "merged": {"reports": n, "shards": sorted(totals)},
                  "tools": _merge_tools([d.get("stats", {}).get("tools", {}) for d in reports])})
    if len(totals) > 1 or (totals and max(totals) != n):
        stats["merged"]["warning"] = f"{n} report(s) for shard count(s) {sorted(totals)}: coverage may be incomplete"
    # Diff mode: the approval and change-metrics conditions stand (a role one shard requires is required).
    gate = _with_conditions(gate, _merge_conditions(reports))
    # Every shard measured the whole diff's coverage (the diff is not sharded): keep it and its conditions.
    coverage = next((d["coverage"] for d in reports if d.get("coverage")), None)
    if coverage is not None:
        from reports.coverage_gate import conditions
        from reports.gate import add_conditions

        gate = add_conditions(gate, conditions(coverage))
    return Report(version=__version__, findings=findings, gate=gate, stats=stats, coverage=coverage,
                  approvals=_merge_approvals([d["approvals"] for d in reports if d.get("approvals") is not None]),
                  change_metrics=next((d["change_metrics"] for d in reports if d.get("change_metrics")), None),
                  test_suggestions=_unique([s for d in reports for s in d.get("test_suggestions") or []]) or None)


_DIFF_CONDITIONS = ("approval:", "metrics:")


def _merge_conditions(reports: Sequence[dict[str, Any]]) -> list[Condition]:
    """Approval and change-metrics conditions of every report, by id; one that failed anywhere failed."""
    by_id: dict[str, Condition] = {}
    for data in reports:
        for raw in data.get("gate", {}).get("conditions", []):
            if not str(raw.get("id", "")).startswith(_DIFF_CONDITIONS):
                continue
            c = Condition.model_validate(raw)
            prev = by_id.get(c.id)
            if prev is None or (prev.held and not c.held):
                by_id[c.id] = c
    return list(by_id.values())


def _merge_approvals(approvals: list[dict[str, Any]]) -> dict[str, Any] | None:
    """One `approvals` from the shards': required roles united (reasons joined), missing united."""
    if not approvals:
        return None
    out = {**approvals[0], "required": [], "missing": sorted({m for a in approvals for m in a.get("missing", [])})}
    roles: dict[str, dict[str, Any]] = {}
    for a in approvals:
        for r in a.get("required", []):
            cur = roles.setdefault(r["role"], {**r, "reasons": []})
            cur["reasons"] = _unique([*cur["reasons"], *r.get("reasons", [])])
            if r.get("why") and r["why"] not in cur["why"]:
                cur["why"] = f"{cur['why']}; {r['why']}" if cur["why"] else r["why"]
    out["required"] = [roles[k] for k in sorted(roles)]
    return out


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _merge_tools(tools: Sequence[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for t in tools:
        for name, st in t.items():
            cur = out.setdefault(name, {"status": st.get("status"), "seconds": 0.0, "files": 0, "findings": 0,
                                        "message": st.get("message", "")})
            if st.get("status") == "failed":
                cur["status"], cur["message"] = "failed", st.get("message", "")
            for k in ("seconds", "files", "findings"):
                cur[k] = round(cur[k] + st.get(k, 0), 3)
    return out


def merge(args: argparse.Namespace) -> int:
    from .cli import EXIT_USAGE, _outputs

    datas = []
    for p in args.reports:
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"wardgate: error: {p}: not a readable JSON report ({exc})", file=sys.stderr)
            return EXIT_USAGE
        if not isinstance(data, dict) or "findings" not in data or "gate" not in data:
            print(f"wardgate: error: {p}: not a wardgate JSON report", file=sys.stderr)
            return EXIT_USAGE
        datas.append(data)
    report = merge_reports(datas)
    if "warning" in report.stats["merged"]:
        print(f"wardgate: warning: {report.stats['merged']['warning']}", file=sys.stderr)
    from .cli import use_color

    write_reports(report, args.format, _outputs(args.output), color=use_color(args.color), link_base=args.link_base)
    return report.gate.exit_code

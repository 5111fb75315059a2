"""SARIF 2.1.0 for GitHub code scanning and auditors.

`render` is the complete audit log: suppressed results carry SARIF `suppressions` with their
justification, baselined ones `baselineState`. GitHub ignores both and would open alerts for
them, so `render_github` (format `sarif-github`) leaves suppressed and baseline-unchanged
results out. Rules come from the registry (help = the rule's Markdown doc); GitHub's limits are
respected: 25,000 results and rules per run, 20 tags per rule, 10 MB gzipped (results are cut,
most severe kept, with a notification saying so).
"""
from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from checks.finding import Category, Finding, Severity
from checks.registry import help_uri, rule_for, unknown_rule
from checks.rulemeta import RuleMeta

from .. import approvals_render, coverage_render
from ..fingerprint import LINE_HASH
from ..model import Report
from ..stats import BaselineEntry, ToolStat

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS, MAX_RULES, MAX_TAGS, MAX_LOCATIONS = 25_000, 25_000, 20, 1_000
MAX_GZIP_BYTES = 10 * 1024 * 1024
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}
# GitHub: > 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "1.0"}
SECURITY_CATEGORIES = frozenset({Category.SECRET, Category.PERMISSION, Category.PHI, Category.AUDIT_TRAIL,
                                 Category.DOSAGE, Category.SECURITY})


def render(report: Report, **_: object) -> str:
    return json.dumps(build(report), indent=2, ensure_ascii=False) + "\n"


def render_github(report: Report, **_: object) -> str:
    return json.dumps(build(report, upload=True), ensure_ascii=False) + "\n"


def _meta(rule_id: str, f: Finding | None = None) -> RuleMeta:
    meta = rule_for(rule_id)
    if meta is None:
        meta = unknown_rule(rule_id, f.category if f else Category.QUALITY)
    return meta.model_copy(update={"help_uri": help_uri(rule_id, f.help_uri if f else None) or meta.help_uri})


def artifact_uri(path: str) -> str:
    """A relative URI reference (RFC 3986): spaces, newlines, `#`, `%` and non-ASCII percent-encoded."""
    return quote(path, safe="/")


def _rule(meta: RuleMeta) -> dict[str, Any]:
    tags = list(dict.fromkeys([
        *(["security"] if meta.category in SECURITY_CATEGORIES else []),
        meta.category.value,
        *(["medical"] if meta.category.is_medical else []),
        *([f"external/cwe/cwe-{meta.cwe}"] if meta.cwe else []),
        *([f"hipaa/{meta.hipaa}"] if meta.hipaa else []),
        *meta.tags,
    ]))[:MAX_TAGS]
    props: dict[str, Any] = {"tags": tags, "category": meta.category.value, "tool": meta.tool}
    if meta.confidence:
        props["precision"] = {"high": "high", "medium": "medium", "low": "low"}.get(meta.confidence, "medium")
    if meta.category in SECURITY_CATEGORIES:
        props["security-severity"] = SECURITY_SEVERITY[meta.severity]
    doc = meta.doc or meta.summary
    out: dict[str, Any] = {
        "id": meta.id, "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": _first_paragraph(doc) or meta.summary},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVEL[meta.severity]},
        "properties": props,
    }
    if meta.help_uri:
        out["helpUri"] = meta.help_uri
    return out


def _first_paragraph(doc: str) -> str:
    body = doc.split("## What it does", 1)[-1].strip()
    return body.split("\n\n", 1)[0].strip()


def _region(f: Finding) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": f.start_line, "endLine": max(f.end_line, f.start_line)}
    if f.start_column:
        region["startColumn"] = f.start_column
        if f.end_column and (f.end_line > f.start_line or f.end_column > f.start_column):
            region["endColumn"] = f.end_column
    if f.snippet:
        region["snippet"] = {"text": f.snippet}
    return region


def _result(f: Finding, index: int, meta: RuleMeta) -> dict[str, Any]:
    props: dict[str, Any] = {"category": f.category.value, "severity": f.severity.value, "tool": f.tool}
    if f.sources:
        props["sources"] = f.sources
    if f.in_diff is not None:
        props["inDiff"] = f.in_diff
    if f.review is not None:
        props["review"] = f.review.model_dump(mode="json", exclude_none=True)
    if f.category in SECURITY_CATEGORIES and f.severity is not meta.severity:
        props["security-severity"] = SECURITY_SEVERITY[f.severity]
    res: dict[str, Any] = {
        "ruleId": f.rule_id, "ruleIndex": index, "level": LEVEL[f.severity],
        "message": {"text": f.message + (f"\n\nFix: {f.fix}" if f.fix else "")},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(f.path),
                                                                 "uriBaseId": "%SRCROOT%"},
                                            "region": _region(f)}}],
        "partialFingerprints": {"wardgate/v1": f.fingerprint,
                                LINE_HASH: str(f.properties.get(LINE_HASH, f.fingerprint[:16] + ":1"))},
        "properties": props,
    }
    if f.flow:
        res["codeFlows"] = [_code_flow(f)]
    if f.suppression is not None:
        sup: dict[str, Any] = {"kind": "inSource" if f.suppression.kind == "inline" else "external",
                               "status": f.suppression.status, "justification": f.suppression.justification}
        if f.suppression.source:
            sup["properties"] = {"source": f.suppression.source, "wardgateKind": f.suppression.kind}
        res["suppressions"] = [sup]
    if f.baseline_state:
        res["baselineState"] = f.baseline_state
    return res


def _code_flow(f: Finding) -> dict[str, Any]:
    """A flow finding's path (source -> calls -> sink) as one SARIF threadFlow; call steps have no location."""
    steps = f.flow or []
    locations = []
    for i, s in enumerate(steps):
        loc: dict[str, Any] = {"message": {"text": s.label}}
        if s.path is not None and s.line is not None:
            loc["physicalLocation"] = {"artifactLocation": {"uri": s.path, "uriBaseId": "%SRCROOT%"},
                                       "region": {"startLine": s.line}}
        kinds = ["source"] if i == 0 else ["sink"] if i == len(steps) - 1 else ["call"]
        locations.append({"location": loc, "kinds": kinds, "nestingLevel": 0})
    return {"message": {"text": " -> ".join(s.label for s in steps)},
            "threadFlows": [{"locations": locations}]}


def _absent(entry: BaselineEntry, index: int) -> dict[str, Any]:
    return {"ruleId": entry.rule_id, "ruleIndex": index, "kind": "pass", "level": "none",
            "message": {"text": f"Baseline finding no longer present ({entry.count} occurrence(s))."},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(entry.path),
                                                                     "uriBaseId": "%SRCROOT%"}}}],
            "partialFingerprints": {"wardgate/v1": entry.fingerprint}, "baselineState": "absent"}


def build(report: Report, *, upload: bool = False) -> dict[str, Any]:
    findings = [f for f in report.findings
                if not upload or (f.suppression is None and f.baseline_state != "unchanged")]
    notifications: list[dict[str, Any]] = []
    if len(findings) > MAX_RESULTS:
        findings = sorted(findings, key=lambda f: (-f.severity.rank, f.path, f.start_line))[:MAX_RESULTS]
        notifications.append(_note("warning", f"{len(report.findings)} results exceed GitHub's limit of "
                                   f"{MAX_RESULTS} per run: only the {MAX_RESULTS} most severe are included."))
    rule_ids = list(dict.fromkeys([f.rule_id for f in findings]))
    absent = [] if upload or report.stats.baseline is None else report.stats.baseline.absent
    rule_ids += [e.rule_id for e in absent if e.rule_id not in rule_ids]
    by_id = {f.rule_id: f for f in findings}
    metas = {rid: _meta(rid, by_id.get(rid)) for rid in rule_ids}
    index = {rid: i for i, rid in enumerate(rule_ids)}
    results = [_result(f, index[f.rule_id], metas[f.rule_id]) for f in findings]
    results += [_absent(e, index[e.rule_id]) for e in absent]
    tools = report.stats.tools
    for name, t in sorted(tools.items()):
        if t.status == "failed":
            notifications.append(_note("error", f"{name} failed: {t.message}", name))
    for err in report.stats.errors:
        if not any(err.endswith(n["message"]["text"]) or n["message"]["text"].endswith(err) for n in notifications):
            notifications.append(_note("error", err))
    llm = report.stats.llm
    if llm is not None and llm.status in ("skipped", "failed") and llm.reason:
        notifications.append(_note("note", f"LLM review {llm.status}: {llm.reason}", "llm"))
    notifications += approvals_render.sarif_notifications(report)
    notifications += coverage_render.sarif_notifications(report)
    invocation: dict[str, Any] = {"executionSuccessful": not report.stats.errors and
                                  not any(t.status == "failed" for t in tools.values()),
                                  "toolExecutionNotifications": notifications}
    props: dict[str, Any] = {"gate": report.gate.model_dump(mode="json"), "profile": "github" if upload else "audit"}
    for key, part in (("diff", report.stats.diff), ("shard", report.stats.shard), ("merged", report.stats.merged)):
        if part is not None:
            props[key] = part.model_dump(mode="json")
    props.update(approvals_render.sarif_properties(report))
    if report.coverage is not None:
        props["coverage"] = report.coverage.model_dump(mode="json")
    shard = report.stats.shard
    category = "wardgate" + (f"/shard-{shard.index}" if shard is not None else "")
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "wardgate", "version": report.version, "semanticVersion": report.version,
                            "informationUri": "https://github.com/wardgate/wardgate",
                            "rules": [_rule(metas[r]) for r in rule_ids][:MAX_RULES]},
                 **({"extensions": ran} if (ran := _tools_run(tools)) else {})},
        "automationDetails": {"id": f"{category}/"},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": _root_uri(report.root)}},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": props,
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return _fit(log)


def _tools_run(tools: Mapping[str, ToolStat]) -> list[dict[str, Any]]:
    """The external tools that ran, each with its version and executable (stats.tools)."""
    return [{"name": name, "version": t.version, "properties": {"executable": t.executable}}
            for name, t in sorted(tools.items()) if t.status == "ok" and t.version]


def _root_uri(root: str) -> str:
    from pathlib import Path

    try:
        return Path(root).resolve().as_uri() + "/"
    except ValueError:
        return "file:///"


def _note(level: str, text: str, tool: str | None = None) -> dict[str, Any]:
    n: dict[str, Any] = {"level": level, "message": {"text": text}}
    if tool:
        n["descriptor"] = {"id": tool}
    return n


def _fit(log: dict[str, Any]) -> dict[str, Any]:
    """Halve the results (most severe kept, already ordered by rank) until the gzip fits."""
    run = log["runs"][0]
    size = len(gzip.compress(json.dumps(log).encode("utf-8")))
    total = len(run["results"])
    while size > MAX_GZIP_BYTES and run["results"]:
        order = {"error": 0, "warning": 1, "note": 2, "none": 3}
        run["results"] = sorted(run["results"], key=lambda r: order.get(r.get("level", "none"), 3))
        run["results"] = run["results"][: len(run["results"]) // 2]
        size = len(gzip.compress(json.dumps(log).encode("utf-8")))
    if len(run["results"]) < total:
        run["invocations"][0]["toolExecutionNotifications"].append(_note(
            "warning", f"SARIF truncated to {len(run['results'])} of {total} results to stay under GitHub's "
            "10 MB gzipped upload limit; the JSON report has them all."))
    return log

"""radon adapter: the JSON of `radon cc -j -s --show-closures FILES` and `radon mi -j FILES`, from
radon's own functions run on one parse of each file (radon_measure.py: one interpreter, where the
two commands start two and parse every file three times). Up to 50 files (a pre-commit run) it
runs in wardgate's process, more in a subprocess of its own (off wardgate's GIL, with the
tool timeout). `radon` must be on PATH like the other tools.

radon ranks cyclomatic complexity (CC) A 1-5, B 6-10, C 11-20, D 21-30, E 31-40, F 41+, and the
maintainability index (MI) A 20-100, B 10-19, C 0-9.

| radon result                                                  | wardgate                               |
|---------------------------------------------------------------|----------------------------------------|
| function, method or closure with CC rank >= `cc_min_rank`     | rule_id `radon:CC`, category `quality` |
|   rank C                                                      | severity `low`                         |
|   rank D, E, F                                                | severity `medium`                      |
|   range                                                       | `def` line .. last line of the body |
| file with MI rank >= `mi_min_rank`                            | `radon:MI`, `quality`, `low`, line 1 |
| `{"error": ...}` for a file (radon cannot parse it)           | no finding: a `WG007` note (once per file) |

Classes themselves are not reported (their methods are). The message names the function (with its
class, `Klass.method`), its complexity and rank; `properties` carries `complexity`/`rank` (`mi`/`rank`).

Not measured: Django migrations (generated code), and for MI only, files over 150 kB (radon's MI
is pathologically slow on them; complexity is still measured).

Options (`[tool.wardgate.tools.radon]`): `cc_min_rank` (default "C"), `mi_min_rank` (default "C").
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..finding import Category, Finding, Severity
from ..rulemeta import RuleMeta
from ..source import MIGRATION_PATH
from .base import (
    DEFAULT_TIMEOUT,
    ParseContext,
    ToolFailure,
    ToolOutput,
    ToolResult,
    execute,
    load_json,
    skipped_file,
)

NAME = "radon"
EXECUTABLE = "radon"
RANKS = "ABCDEF"

_DOC = """## What it does
{what}

## Why is this bad?
{why}

## Example
{example}

Use instead:
{instead}
"""

RULES: tuple[RuleMeta, ...] = (
    RuleMeta(
        id="radon:CC", name="high-cyclomatic-complexity", category=Category.QUALITY, severity=Severity.LOW,
        tool=NAME, summary="Function with high cyclomatic complexity (radon rank C or worse)",
        doc=_DOC.format(
            what="Reports a function or method whose cyclomatic complexity (radon) has rank `cc_min_rank` "
                 "(default C, 11-20 paths) or worse; D/E/F (21+) are `medium`.",
            why="Every independent path through a function needs its own test. A dose or triage function "
                "with 25 branches is one nobody can review with confidence.",
            example="A `def triage(patient):` with 30 nested `if`/`elif` branches.",
            instead="Split it into small named helpers, or a lookup table for the branch data."),
        help_uri="https://radon.readthedocs.io/en/latest/intro.html#cyclomatic-complexity",
    ),
    RuleMeta(
        id="radon:MI", name="low-maintainability-index", category=Category.QUALITY, severity=Severity.LOW,
        tool=NAME, summary="File with a low maintainability index (radon rank C or worse)",
        doc=_DOC.format(
            what="Reports a file whose maintainability index (radon) has rank `mi_min_rank` (default C, "
                 "below 10) or worse.",
            why="A low index combines size, complexity and Halstead volume: the file is hard to change "
                "safely.",
            example="A 3,000-line `views.py` with long, deeply nested functions.",
            instead="Split the module by responsibility and simplify its longest functions."),
        help_uri="https://radon.readthedocs.io/en/latest/intro.html#maintainability-index",
    ),
)


def command(exe: str, files: Sequence[str], options: dict[str, Any]) -> list[str]:
    """The measuring subprocess (see radon_measure.py) for `files`, run in the scan root."""
    at_most = _mi_at_most(options)
    return [sys.executable, str(Path(__file__).with_name("radon_measure.py")), ".", str(MI_MAX_BYTES),
            "none" if at_most is None else str(at_most), *files]


def _mi_at_most(options: dict[str, Any]) -> float | None:
    """The highest MI reported (None: all). radon ranks MI C up to 9, B up to 19, A above; D-F: none."""
    rank = _rank_option(options, "mi_min_rank")
    return None if rank == "A" else {"B": 19.0, "C": 9.0}.get(rank, -1.0)


# Django migrations are generated: complexity metrics say nothing about them, and radon's
# maintainability index is pathologically slow on big ones (232 s for one 280 kB squashed
# migration in ohcnetwork/care, against 1 s for `radon cc` on all 947 files).
MI_MAX_BYTES = 150_000
# Up to this many files (a pre-commit run) radon runs in-process: an interpreter start-up would
# cost more than the analysis. Bigger runs use a subprocess, off wardgate's GIL.
IN_PROCESS_MAX_FILES = 50


def run(exe: str, root: Path, files: Sequence[str], options: dict[str, Any],
        timeout: float = DEFAULT_TIMEOUT, niceness: int = 0) -> ToolResult:
    files = [f for f in files if not MIGRATION_PATH.search(f)]
    if not files:
        return ToolResult()
    if len(files) <= IN_PROCESS_MAX_FILES:
        try:
            from .radon_measure import measure

            report = measure(root, files, MI_MAX_BYTES, _mi_at_most(options))
        except Exception as exc:  # radon crashing is a tool failure, never a silent pass
            raise ToolFailure(NAME, f"crashed: {type(exc).__name__}: {exc}") from exc
        return findings(report, ParseContext(root=root, files=tuple(files), options=options))
    return parse(execute(NAME, command(exe, files, options), root, timeout, niceness),
                 ParseContext(root=root, files=tuple(files), options=options))


def parse(output: ToolOutput, ctx: ParseContext) -> ToolResult:
    """The measuring subprocess's output -> findings."""
    return findings(load_json(NAME, output), ctx)


def findings(report: dict[str, Any], ctx: ParseContext) -> ToolResult:
    """{"cc": radon cc JSON, "mi": radon mi JSON} -> `radon:CC` and `radon:MI` findings, and one
    WG007 note per file radon could not analyse."""
    result = parse_cc(report["cc"], ctx)
    mi = parse_mi(report["mi"], ctx)
    noted = {n.path for n in result.file_notes}
    result.findings += mi.findings
    result.file_notes += [n for n in mi.file_notes if n.path not in noted]
    return result


def parse_cc(report: dict[str, Any], ctx: ParseContext) -> ToolResult:
    """`radon cc -j` JSON -> `radon:CC` findings."""
    min_rank = _rank_option(ctx.options, "cc_min_rank")
    result = ToolResult()
    for name, blocks in report.items():
        path = ctx.rel(name)
        if isinstance(blocks, dict):
            result.file_notes.append(skipped_file(NAME, path, str(blocks.get("error", "unknown error"))))
            continue
        for block in blocks:
            if block.get("type") not in ("function", "method"):
                continue
            rank = str(block.get("rank", "A"))
            if RANKS.find(rank) < RANKS.index(min_rank):
                continue
            qualname = f"{block['classname']}.{block['name']}" if block.get("classname") else block["name"]
            line = int(block.get("lineno") or 1)
            result.findings.append(Finding(
                rule_id="radon:CC", category=Category.QUALITY,
                severity=Severity.LOW if rank == "C" else Severity.MEDIUM, tool=NAME, path=path,
                start_line=line, end_line=max(line, int(block.get("endline") or line)),
                message=f"`{qualname}` has cyclomatic complexity {block.get('complexity')} (rank {rank})",
                start_column=int(block.get("col_offset", 0)) + 1, snippet=ctx.line_text(path, line),
                properties={"function": qualname, "complexity": block.get("complexity"), "rank": rank},
            ))
    return result


def parse_mi(report: dict[str, Any], ctx: ParseContext) -> ToolResult:
    """`radon mi -j` JSON -> `radon:MI` findings."""
    min_rank = _rank_option(ctx.options, "mi_min_rank")
    result = ToolResult()
    for name, data in report.items():
        path = ctx.rel(name)
        if "error" in data:
            result.file_notes.append(skipped_file(NAME, path, str(data["error"])))
            continue
        rank = str(data.get("rank", "A"))
        if RANKS.find(rank) < RANKS.index(min_rank):
            continue
        mi = float(data.get("mi", 0.0))
        result.findings.append(Finding(
            rule_id="radon:MI", category=Category.QUALITY, severity=Severity.LOW, tool=NAME, path=path,
            start_line=1, end_line=1, message=f"Maintainability index {mi:.1f} (rank {rank})",
            properties={"mi": round(mi, 2), "rank": rank},
        ))
    return result


def _rank_option(options: dict[str, Any], key: str) -> str:
    rank = str(options.get(key, "C")).upper()
    if len(rank) != 1 or rank not in RANKS:
        raise ValueError(f"[tool.wardgate.tools.radon] {key} must be one of A-F, not {options.get(key)!r}")
    return rank

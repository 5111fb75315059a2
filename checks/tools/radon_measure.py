"""radon's cyclomatic complexity and maintainability index of many files, one parse per file.

`radon cc` and `radon mi` each parse every file, and `mi` walks it for complexity once more.
This calls the radon functions their CLI harvesters call (so the numbers are radon's, to the
digit) on a single `ast` tree per file, and prints the same JSON: for each file, `radon cc -j
-s --show-closures` blocks under "cc" and `radon mi -j` under "mi" (or {"error": ...}).

Run as a script, it imports nothing from wardgate (it starts as fast as radon itself):

    python radon_measure.py ROOT MI_MAX_BYTES MI_AT_MOST FILE...

MI is left out for files over MI_MAX_BYTES (radon's raw-metrics pass is pathologically slow
on some big generated files), and for files whose MI provably exceeds MI_AT_MOST, the highest
score wardgate reports ("none": keep every file): radon's raw-metrics pass (`radon.raw.analyze`,
re-tokenizing line by line) is two thirds of MI's cost, and `mi_lower_bound` shows most files
clear the threshold without it.
"""
from __future__ import annotations

import ast
import json
import math
import sys
import tokenize
import warnings
from io import BytesIO
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a script, this folder comes first on sys.path: its radon.py is not radon
    sys.path.pop(0)

from radon.complexity import SCORE, add_inner_blocks, cc_rank, sorted_results
from radon.metrics import h_visit_ast, mi_compute, mi_rank
from radon.raw import analyze
from radon.visitors import ComplexityVisitor, Function


def cc_to_dict(obj: Any) -> dict[str, Any]:
    """radon.cli.tools.cc_to_dict, the JSON of one `radon cc -j` block. Not imported: importing radon.cli reads
    radon.cfg, setup.cfg and pyproject.toml from the working directory (the scanned project's files then configure
    radon, and a `%` in them, a logging format or a URL, makes the import raise)."""
    result: dict[str, Any] = {"type": ("method" if obj.is_method else "function") if isinstance(obj, Function)
                              else "class", "rank": cc_rank(obj.complexity)}
    for a in set(Function._fields) - {"is_method", "closures"}:
        v = getattr(obj, a, None)
        if v is not None:
            result[a] = v
    for key in ("methods", "closures"):
        if hasattr(obj, key):
            result[key] = [cc_to_dict(x) for x in getattr(obj, key)]
    return result


def measure(root: Path, files: list[str], mi_max_bytes: int, mi_at_most: float | None = None,
            ) -> dict[str, dict[str, Any]]:
    cc: dict[str, Any] = {}
    mi: dict[str, Any] = {}
    for rel in files:
        try:
            data = (root / rel).read_bytes()
            text = data.decode(tokenize.detect_encoding(BytesIO(data).readline)[0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning from the analysed code
                tree = ast.parse(text)
            visitor = ComplexityVisitor.from_ast(tree)
            blocks = sorted_results(add_inner_blocks(visitor.blocks), order=SCORE)
        except Exception as exc:  # noqa: BLE001 - like radon's harvesters: the file's error, the run goes on
            cc[rel] = mi[rel] = {"error": str(exc)}
            continue
        if blocks:
            cc[rel] = [cc_to_dict(b) for b in blocks]
        if len(data) > mi_max_bytes:
            continue
        try:  # radon.metrics.mi_parameters with count_multi=True (`radon mi`'s default), minus its parse
            volume, complexity = h_visit_ast(tree).total.volume, visitor.total_complexity
            if mi_at_most is not None and mi_lower_bound(text, tree, volume, complexity) > mi_at_most:
                continue  # provably not reported
            raw = analyze(text)
            comments = (raw.comments + raw.multi) / float(raw.sloc) * 100 if raw.sloc else 0
            score = mi_compute(volume, complexity, raw.lloc, comments)
            mi[rel] = {"mi": score, "rank": mi_rank(score)}
        except Exception as exc:  # noqa: BLE001
            mi[rel] = {"error": str(exc)}
    return {"cc": cc, "mi": mi}


def mi_lower_bound(text: str, tree: ast.Module, volume: float, complexity: int) -> float:
    """A score radon's MI of this file cannot be below, without its raw metrics.

    radon.metrics.mi_compute(V, G, L, C) = 100/171 * (171 - 5.2 ln V - 0.23 G - 16.2 ln L
    + 50 sin(sqrt(2.46 * radians(C)))), clamped to 0..100 (100 when V or L is 0). V and G are
    known; the raw metrics give L (logical lines) and C (comment and docstring lines per 100
    source lines). Bounds, from radon.raw.analyze:
    - L <= 2 * (lines + semicolons): each line group counts 1, or 2 for `if x: y`, per `;` part;
    - the sine is >= 0 while C <= 229 (sqrt(2.46 * radians(229)) < pi), and >= -1 always;
    - C <= ('#' characters + lines of lone-literal statements such as docstrings) / lines where
      another statement starts (each of those is a source line).
    """
    if volume <= 0:
        return 100.0
    lloc_max = 2 * (len(text.splitlines()) + 1 + text.count(";"))
    doc_lines = 0
    code_lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Constant, ast.JoinedStr)):
            doc_lines += (node.end_lineno or node.lineno) - node.lineno + 1
        elif isinstance(node, ast.stmt):
            code_lines.add(node.lineno)
    comment_max = (text.count("#") + doc_lines) / len(code_lines) * 100 if code_lines else None
    sine_min = 0.0 if comment_max is not None and comment_max <= 229 else -1.0
    score = (171 - 5.2 * math.log(volume) - 0.23 * complexity - 16.2 * math.log(lloc_max) + 50 * sine_min)
    return min(max(0.0, score * 100 / 171), 100.0)


if __name__ == "__main__":
    at_most = None if sys.argv[3] == "none" else float(sys.argv[3])
    json.dump(measure(Path(sys.argv[1]), sys.argv[4:], int(sys.argv[2]), at_most), sys.stdout)

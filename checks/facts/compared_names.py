"""Names that some code compares with something (for WG407: a stored limit nobody enforces).

Per file: every attribute name and string constant inside a comparison (`dose > rx.max_dosage`,
`attrs["dose"] <= limits["max_daily_dose"]`), inside `min()`/`max()` (clamping), inside `F()`
(`filter(dose__gt=F("max_dosage"))`) and inside Min/Max validators. Tests and migrations do not
enforce anything and are left out.
"""
from __future__ import annotations

import ast

from ..names import ImportMap, last_part
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk

NAME = "compared_names"
_CLAMPS = frozenset({"min", "max", "F", "clamp", "clip", "MaxValueValidator", "MinValueValidator"})


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> frozenset[str] | None:
    if src.looks_like_test or src.looks_like_migration or src.tree is None:
        return None
    out: set[str] = set()
    for node in src.nodes:
        if isinstance(node, ast.Compare):
            parts: list[ast.AST] = [node]
        elif isinstance(node, ast.Call) and last_part(imports.qualname(node.func) or "") in _CLAMPS:
            parts = [*node.args, *(k.value for k in node.keywords)]
        else:
            continue
        for part in parts:
            for n in walk(part):
                if isinstance(n, ast.Attribute):
                    out.add(n.attr)
                elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier():
                    out.add(n.value)
                elif isinstance(n, ast.Name):
                    out.add(n.id)
    return frozenset(out) or None


def merge(per_file: dict[str, frozenset[str]], vocab: Vocabulary) -> frozenset[str]:
    return frozenset().union(*per_file.values()) if per_file else frozenset()


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()

"""`ast.walk` without its per-node generators: the same nodes in the same (breadth-first)
order, as a list, in about two thirds of the time. The checks walk function bodies often."""
from __future__ import annotations

from ast import AST


def walk(node: AST) -> list[AST]:
    out = [node]
    append = out.append
    i = 0
    while i < len(out):
        current = out[i]
        i += 1
        for name in current._fields:
            value = getattr(current, name, None)
            if isinstance(value, AST):
                append(value)
            elif type(value) is list:
                for item in value:
                    if isinstance(item, AST):
                        append(item)
    return out


def children(node: AST) -> list[AST]:
    """`ast.iter_child_nodes` as a list."""
    out: list[AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, AST):
            out.append(value)
        elif type(value) is list:
            out.extend(item for item in value if isinstance(item, AST))
    return out

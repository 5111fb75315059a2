"""checks/walk.py: the same nodes as `ast.walk`, and a memo that never answers for another node."""
from __future__ import annotations

import ast

from checks.walk import memoized, walk

CODE = "def f(a):\n    if a:\n        return [x for x in a]\n    return None\n\n\nclass C:\n    y = f(1)\n"


def test_walk_is_ast_walk() -> None:
    tree = ast.parse(CODE)
    assert walk(tree) == list(ast.walk(tree))
    with memoized():
        fn = tree.body[0]
        assert walk(fn) is walk(fn)  # shared within the block
        assert walk(fn) == list(ast.walk(fn))
    assert walk(tree.body[0]) is not walk(tree.body[0])  # and only there


def test_memo_never_answers_for_a_node_made_later() -> None:
    with memoized():
        for _ in range(1000):  # freed nodes' ids are reused at once
            node = ast.Name(id="x", ctx=ast.Load())
            assert walk(node) == [node, node.ctx]
            call = ast.Call(func=ast.Name(id="g", ctx=ast.Load()), args=[], keywords=[])
            assert walk(call)[0] is call

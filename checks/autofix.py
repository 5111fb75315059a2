"""libcst autofixes behind `wardgate check --fix` (imported only when fixing: libcst is costly to load)."""
from __future__ import annotations

from collections.abc import Collection

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider


def replace_with_env_lookup(text: str, lines: Collection[int], names: Collection[str], lookup: str) -> str | None:
    """Replace the value assigned to one of `names` on `lines` with `lookup` (an `os.environ[...]`
    expression), adding `import os` after the docstring/`__future__` imports when missing. A value that
    already reads a variable (`getenv("SECRET_KEY", "…")`) keeps reading that one: the deployment sets it."""
    try:
        wrapper = MetadataWrapper(cst.parse_module(text))
    except cst.ParserSyntaxError:
        return None
    fixer = _EnvFixer(set(lines), set(names), lookup)
    module = wrapper.visit(fixer)
    if not fixer.changed:
        return None
    if not _imports_os(module):
        body = list(module.body)
        at = 0
        while at < len(body) and _is_preamble(body[at]):
            at += 1
        module = module.with_changes(body=[*body[:at], cst.parse_statement("import os\n"), *body[at:]])
    return module.code


class _EnvFixer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, lines: set[int], names: set[str], lookup: str) -> None:
        super().__init__()
        self.lines, self.names, self.lookup, self.changed = lines, names, lookup, False

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        line = self.get_metadata(PositionProvider, original).start.line
        targets = {t.target.value if isinstance(t.target, cst.Name) else
                   t.target.attr.value if isinstance(t.target, cst.Attribute) else None for t in original.targets}
        if line in self.lines and targets & self.names:
            self.changed = True
            variable = _variable_read(original.value)
            lookup = f"os.environ[{variable}]" if variable else self.lookup
            return updated.with_changes(value=cst.parse_expression(lookup))
        return updated


def _variable_read(value: cst.BaseExpression) -> str | None:
    """The quoted variable name an environment lookup reads (its first argument), e.g. `"SECRET_KEY"`."""
    if isinstance(value, cst.BooleanOperation):  # os.environ.get("X") or "literal"
        value = value.left
    if isinstance(value, cst.Call) and value.args and value.args[0].keyword is None:
        first = value.args[0].value
        if isinstance(first, cst.SimpleString):
            return first.value
    return None


def _imports_os(module: cst.Module) -> bool:
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import) and any(
                        a.asname is None and isinstance(a.name, cst.Name) and a.name.value == "os" for a in small.names):
                    return True
    return False


def _is_preamble(stmt: cst.CSTNode) -> bool:
    """Docstring and `from __future__` imports stay first."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString):
        return True
    return isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name) and small.module.value == "__future__"

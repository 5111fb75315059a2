"""Resolving names to qualified names through a module's imports, with the stdlib `ast`.

`from django.contrib.auth import decorators as d` then `@d.login_required` resolves to
`django.contrib.auth.decorators.login_required`; `from .models import Patient` inside
`clinic/views.py` resolves to `clinic.models.Patient`. This is the cheap, per-file part
of what libcst's QualifiedNameProvider does, at a fraction of its cost.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .walk import walk


@dataclass
class ImportMap:
    module: str  # dotted name of the module being analysed
    is_package: bool = False
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    defined: set[str] = field(default_factory=set)  # top-level classes/functions/assignments
    stars: list[str] = field(default_factory=list)  # modules star-imported (`from .views import *`)

    @classmethod
    def build(cls, tree: ast.Module, module: str, is_package: bool = False,
              nodes: list[ast.AST] | None = None) -> ImportMap:
        """`nodes`: the tree's nodes when the caller has already walked it (SourceFile.nodes)."""
        imap = cls(module=module, is_package=is_package)
        for node in nodes if nodes is not None else walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        imap.aliases[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        imap.aliases.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom):
                base = imap._absolute(node.module, node.level)
                for a in node.names:
                    if a.name == "*":
                        imap.stars.append(base)
                        continue
                    imap.aliases[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
        for stmt in tree.body:
            if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                imap.defined.add(stmt.name)
            elif isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        imap.defined.add(t.id)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                imap.defined.add(stmt.target.id)
        return imap

    def _absolute(self, module: str | None, level: int) -> str:
        if level == 0:
            return module or ""
        parts = self.module.split(".") if self.module else []
        # A module's own package is its parent; a package's __init__ is its own package.
        drop = level - 1 if self.is_package else level
        base = parts[: len(parts) - drop] if drop <= len(parts) else []
        if module:
            base = [*base, *module.split(".")]
        return ".".join(base)

    def star_candidates(self, name: str) -> list[str]:
        """Where a bare name may come from when the module star-imports: every star module is a
        candidate (which one defines it is known only across files)."""
        if "." in name or name in self.aliases or name in self.defined:
            return []
        return [f"{m}.{name}" for m in self.stars if m]

    def qualname(self, node: ast.AST | None) -> str | None:
        """Qualified name of a Name/Attribute chain (or of the callee of a Call), else None."""
        if isinstance(node, ast.Call):
            node = node.func
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id in self.defined and self.module:
                return f"{self.module}.{node.id}"
            return node.id
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        return None


def dotted(node: ast.AST | None) -> str | None:
    """The source spelling of a Name/Attribute chain (`self.request.user`), unresolved."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def last_part(qualname: str | None) -> str:
    return qualname.rsplit(".", 1)[-1] if qualname else ""


def matches(qualname: str | None, *candidates: str) -> bool:
    """True if `qualname` equals a candidate, or ends with it on a dotted boundary.

    Candidates are full names such as `django.contrib.auth.decorators.login_required`;
    a suffix match lets re-exports (`django.contrib.auth.mixins.LoginRequiredMixin` vs
    a project's own `accounts.mixins.LoginRequiredMixin`) be told apart by the caller.
    """
    if not qualname:
        return False
    for c in candidates:
        if qualname == c or qualname.endswith("." + c) or c.endswith("." + qualname):
            return True
    return False

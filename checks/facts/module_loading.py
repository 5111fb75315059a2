"""Which modules of an app package Django never imports.

Django imports `<app>.models` and `<app>.admin` (autodiscovery) and nothing below them: a module of a `models/` or
`admin/` package runs only if the package's `__init__`, one of the modules it reaches, or some other project module
imports it. A module nothing imports (its import commented out, "not used") defines no model and registers no admin.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable

from ..names import ImportMap
from ..source import SourceFile


def imported_names(src: SourceFile, imports: ImportMap) -> list[str]:
    """What the file imports, as absolute dotted names: `from x import Y` gives `x.Y`, a star import its module,
    `import a.b` gives `a.b`."""
    return sorted({*imports.aliases.values(), *imports.stars,
                   *(a.name for n in src.nodes if isinstance(n, ast.Import) for a in n.names)})


def _candidates(names: Iterable[str]) -> set[str]:
    """The modules a list of imported names may load: each name (`from pkg import module`) and its parent
    (`from pkg.module import Name`)."""
    return {c for name in names for c in (name, name.rsplit(".", 1)[0])}


def _imported(module: str, candidates: set[str]) -> bool:
    """`module` (`project.apps.clinic.models.visit`) is among `candidates`, spelled in full or by a tail of two parts
    or more (`apps.clinic.models.visit`, when the project root is on `sys.path`)."""
    parts = module.split(".")
    return module in candidates or any(".".join(parts[i:]) in candidates for i in range(1, len(parts) - 1))


def unloaded_modules(package: str, modules: dict[str, list[str]], outside: Iterable[str] = ()) -> set[str]:
    """Modules under a `<app>.<package>` package (`models`, `admin`) that nothing imports.

    `modules`: each module in such packages (a package's `__init__` under the package's own name) -> the names it
    imports; `outside`: the names imported by the project's other modules (a view importing `clinic.models.visit`
    loads it too, and so does another app's models module). Reachability starts at each package's `__init__`."""
    elsewhere = _candidates(outside)
    wanted = {m: _candidates(names) for m, names in modules.items()}
    out: set[str] = set()
    for root in (m for m in modules if m.endswith("." + package) or m == package):
        members = [m for m in modules if m.startswith(root + ".")]
        others = [c for m, c in wanted.items() if m != root and not m.startswith(root + ".")]
        # loaded: the package itself, and its modules that another module imports (a view, another app's models)
        reached = {root} | {m for m in members if _imported(m, elsewhere) or any(_imported(m, c) for c in others)}
        todo = list(reached)
        while todo:
            current = todo.pop()
            names = wanted[current]
            # Python 2's implicit relative import (`from visit import Visit` in `clinic/models/__init__.py`)
            names = names | {f"{where}.{n}" for n in names if "." not in n
                             for where in (current, current.rsplit(".", 1)[0])}
            for m in members:
                if m not in reached and _imported(m, names):
                    reached.add(m)
                    todo.append(m)
        out |= {m for m in members if m not in reached}
    return out

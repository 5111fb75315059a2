"""wardgate's own `checks` and `reports` packages, loaded from where wardgate is installed.

`checks` and `reports` are common names: a hospital's Django project may well have a `reports`
app. `python -m wardgate` puts the current directory first on sys.path, and `PYTHONPATH=.`
does the same for the console script, so a plain `import checks` could pick up the scanned
project's package. wardgate/__init__.py therefore loads both packages from the folder that holds
the `wardgate` package itself (site-packages, or a checkout for an editable install) before
anything imports them; their submodules then resolve through the packages' own `__path__`.
A foreign package of the same name imported earlier in the process is a clash, reported in one line.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

NAMES = ("checks", "reports")
HOME = Path(__file__).resolve().parent.parent  # the folder that holds wardgate/, checks/, reports/


class ImportClash(ImportError):
    """A package named like one of wardgate's own was imported from somewhere else."""


def load() -> None:
    """Load both packages, or stop: with one line on stderr and exit 2 when wardgate runs as the
    command, with ImportClash when a program imports it."""
    try:
        _load_all()
    except ImportClash as exc:
        if not _started_as_command():
            raise
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def _started_as_command() -> bool:
    first = sys.argv[0] if sys.argv else ""
    return first == "-m" or Path(first).name.startswith("wardgate")  # `-m` while runpy imports the package


def _load_all() -> None:
    for name in NAMES:
        folder = HOME / name
        loaded = sys.modules.get(name)
        if loaded is None:
            _load(name, folder)
        elif _folder(loaded) != folder:
            raise ImportClash(f"wardgate: the `{name}` package already imported from {_folder(loaded)} is "
                              f"not wardgate's own ({folder}): something imported it before wardgate (a "
                              "sitecustomize or .pth file, or the program that imports wardgate)")


def _load(name: str, folder: Path) -> None:
    init = folder / "__init__.py"
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(folder)])
    if spec is None or spec.loader is None or not init.is_file():
        raise ImportClash(f"wardgate: its `{name}` package is missing from {HOME}; reinstall wardgate")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise


def _folder(module: ModuleType) -> Path | None:
    if getattr(module, "__file__", None):
        return Path(module.__file__).resolve().parent  # type: ignore[arg-type]
    paths = list(getattr(module, "__path__", []))  # a namespace package: a folder without __init__.py
    return Path(paths[0]).resolve() if paths else None

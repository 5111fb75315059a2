"""Reading source files safely: a bad file becomes one `wardgate` finding, never a crash.

Every stage-1 consumer (wardgate's own checks and the external tools) only sees files
that passed `load_source`; the rest are reported once, here, with the reason.
"""
from __future__ import annotations

import ast
import os
import re
import stat
import subprocess
import sys
import tokenize
import warnings
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from io import BytesIO
from pathlib import Path

from .finding import Category, Finding, Severity
from .newer_syntax import rewrite as rewrite_newer_syntax
from .python2_syntax import rewrite as rewrite_python2
from .walk import walk

BINARY_SNIFF_BYTES = 8192
DEFAULT_MAX_FILE_SIZE = 1_000_000

# Rule ids of wardgate's own problems with a file (documented in checks/internal.py).
UNREADABLE = "WG001"
BINARY = "WG002"
NOT_UTF8 = "WG003"
TOO_LARGE = "WG004"
SYNTAX_ERROR = "WG005"
NEWER_SYNTAX = "WG006"
PYTHON2 = "WG016"
TOO_DEEP = "WG015"
# Files not analysed at all: they fail the gate condition "every Python file analysed" (reports/gate.py).
# WG006 (newer syntax) is left out: ruff and semgrep still analysed those files; so is WG016 (Python 2,
# read by wardgate's own checks).
UNANALYSED = frozenset({UNREADABLE, BINARY, NOT_UTF8, TOO_LARGE, SYNTAX_ERROR, TOO_DEEP})

_SETTINGS = re.compile(r"(^|/)(settings|conf)(/|\.py$|_[^/]*\.py$)|(^|/)settings_[^/]*\.py$")
MIGRATION_PATH = re.compile(r"(^|/)migrations[^/]*/[^/]+\.py$")  # also migrations_old/, migrations_v1/
# `tests.py` is the test module Django's `startapp` creates in every app.
# Test modules, and the settings modules only test runs load (`testsettings.py`, `settings/test.py`).
# Test suites by the kind of test (`integration_tests/`), not any `*_tests/` package: a hospital's `lab_tests/` app is
# clinical code.
_TEST = re.compile(r"(^|/)(tests?/|tests?\.py$|tests?_[^/]*\.py$|testsettings[^/]*\.py$|[^/]*_tests?\.py$|conftest\.py$"
                   r"|(integration|functional|unit|e2e|end_to_end|acceptance|system|regression|smoke|selenium|browser"
                   r"|load|performance)_tests?/)")


@dataclass
class SourceFile:
    """A file that decoded cleanly. `tree` is the shared stdlib AST (None if it did not parse)."""

    path: str  # POSIX, relative to the scan root
    text: str
    tree: ast.Module | None = None
    syntax_error: str | None = None
    _lines: list[str] | None = field(default=None, repr=False)
    package_depth: int | None = None  # leading path parts that are not packages (`src/` layouts); see module
    rewritten: list[str] = field(default_factory=list)  # newer syntax read through checks/newer_syntax.py
    python2: bool = False  # Python 2 read through checks/python2_syntax.py

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def line(self, lineno: int) -> str:
        return self.lines[lineno - 1] if 1 <= lineno <= len(self.lines) else ""

    def snippet(self, start: int, end: int, limit: int = 5) -> str:
        return "\n".join(self.lines[start - 1 : min(end, start + limit - 1)])

    @cached_property
    def nodes(self) -> list[ast.AST]:
        """Every node of the tree, walked once and shared by the collectors and checks."""
        return list(walk(self.tree)) if self.tree is not None else []

    @cached_property
    def module(self) -> str:
        """Dotted module name guessed from the path (for relative-import resolution)."""
        parts = list(Path(self.path).with_suffix("").parts)
        if self.package_depth:
            parts = parts[self.package_depth:]
        if parts and parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    @property
    def is_package_init(self) -> bool:
        return self.path.endswith("__init__.py")

    @cached_property
    def looks_like_settings(self) -> bool:
        return _SETTINGS.search(self.path) is not None

    @cached_property
    def looks_like_migration(self) -> bool:
        return MIGRATION_PATH.search(self.path) is not None

    @cached_property
    def looks_like_test(self) -> bool:
        return is_test_path(self.path)


def _problem(rule_id: str, path: str, severity: Severity, message: str, line: int = 1) -> Finding:
    return Finding(
        rule_id=rule_id,
        category=Category.WARDGATE,
        severity=severity,
        tool="wardgate",
        path=path,
        start_line=line,
        end_line=line,
        message=message,
    )


def decode_python(data: bytes) -> str:
    """Decode per PEP 263 (UTF-8 unless a coding cookie says otherwise). Raises UnicodeDecodeError/SyntaxError."""
    encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
    return data.decode(encoding)


def load_source(root: Path, rel: str, max_size: int = DEFAULT_MAX_FILE_SIZE) -> SourceFile | Finding:
    """Read and parse one file, or explain in a finding why it cannot be analysed."""
    src = read_source(root, rel, max_size)
    if isinstance(src, SourceFile):
        parse_into(src)
    return src


def is_test_path(path: str) -> bool:
    """A test module, or a settings module only test runs load (`tests/`, `test_x.py`, `settings/test.py`)."""
    return _TEST.search(path) is not None


def read_source(root: Path, rel: str, max_size: int = DEFAULT_MAX_FILE_SIZE) -> SourceFile | Finding:
    """Read and decode one file (not parsed yet), or explain in a finding why it cannot be."""
    data = read_regular(root, rel, max_size)
    if isinstance(data, Finding):
        return data
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return _problem(BINARY, rel, Severity.MEDIUM, "Not analysed: binary content in a .py file (NUL bytes).")
    try:
        text = decode_python(data)
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        return _problem(
            NOT_UTF8, rel, Severity.MEDIUM,
            f"Not analysed: not valid UTF-8 and no valid PEP 263 coding declaration ({_short(exc)}).",
        )
    return SourceFile(path=rel, text=text, package_depth=import_root_depth(root, rel))


def read_regular(root: Path, rel: str, max_size: int) -> bytes | Finding:
    """The bytes of a regular file inside `root`. The file is opened non-blocking and checked with
    fstat before it is read, so a FIFO or device under a `.py` name never blocks the run; a symlink
    that leads out of the repository is not read (it could point at /proc/self/environ)."""
    full = root / rel
    real = os.path.realpath(full)
    if not (real + os.sep).startswith(os.path.realpath(root) + os.sep):
        return _problem(UNREADABLE, rel, Severity.MEDIUM, "Not analysed: a symlink to a file outside the repository.")
    try:
        fd = os.open(full, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        return _problem(UNREADABLE, rel, Severity.MEDIUM, f"Not analysed: cannot read file ({exc.strerror or exc}).")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return _problem(UNREADABLE, rel, Severity.MEDIUM,
                            f"Not analysed: {_KINDS.get(stat.S_IFMT(st.st_mode), 'a special file')}, not a regular file.")
        if st.st_size > max_size:
            return _problem(
                TOO_LARGE, rel, Severity.MEDIUM,
                f"Not analysed: {st.st_size:,} bytes is larger than max_file_size ({max_size:,}). "
                "Exclude generated files in config or raise the limit.",
            )
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read()
    except OSError as exc:
        return _problem(UNREADABLE, rel, Severity.MEDIUM, f"Not analysed: cannot read file ({exc.strerror or exc}).")
    finally:
        os.close(fd)


_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory"}


def parse_into(src: SourceFile) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes in analysed code
        try:
            src.tree = ast.parse(src.text, filename=src.path, type_comments=False)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", None) or 1
            src.syntax_error = f"line {line}: {getattr(exc, 'msg', None) or exc}"
            readable = rewrite_newer_syntax(src.text) if isinstance(exc, SyntaxError) else None
            if readable is not None:  # same lines in 3.11 syntax: the AST checks read it
                src.tree = ast.parse(readable[0], filename=src.path, type_comments=False)
                src.rewritten = readable[1]
            elif isinstance(exc, SyntaxError) and (python3 := rewrite_python2(src.text)) is not None:
                src.tree = ast.parse(python3, filename=src.path, type_comments=False)
                src.python2 = True


def rewritten_problem(src: SourceFile) -> Finding:
    """A file wardgate read through a rewrite of its newer syntax: bandit and radon, which parse with this
    interpreter, still skip it."""
    return _problem(
        NEWER_SYNTAX, src.path, Severity.LOW,
        f"bandit and radon skipped this file: it uses Python syntax newer than the interpreter wardgate runs on "
        f"({src.syntax_error}). wardgate's AST checks read it with {', '.join(src.rewritten)} rewritten in place "
        "(same lines); ruff and semgrep analysed it. Run wardgate on the project's Python version for full coverage.",
        line=_error_line(src),
    )


def python2_problem(src: SourceFile) -> Finding:
    """A Python 2 file wardgate's own checks read through a rewrite: the tools, which parse Python 3, skipped it."""
    return _problem(
        PYTHON2, src.path, Severity.LOW,
        f"Python 2 file: as Python 3 it does not parse ({src.syntax_error}). wardgate's AST checks read it with "
        "its Python 2 syntax rewritten in place (same lines); ruff, bandit, radon and semgrep did not analyse it. "
        "Port it to Python 3 for full coverage.",
        line=_error_line(src),
    )


def _error_line(src: SourceFile) -> int:
    m = re.match(r"line (\d+)", src.syntax_error or "")
    return min(max(1, int(m.group(1))) if m else 1, max(1, len(src.lines)))


def syntax_problem(src: SourceFile) -> Finding:
    """A file the stdlib parser rejects: a real syntax error, syntax newer than this Python, or a
    file nested too deeply to analyse (WG015)."""
    line = 1
    m = re.match(r"line (\d+)", src.syntax_error or "")
    if m:
        line = max(1, int(m.group(1)))
    # `ast` stops at its own nesting limits; libcst, given the same file, overflows its native stack
    # and takes the process down (7,000 chained `+`, 3,000 nested parentheses): never hand it over.
    if any(s in (src.syntax_error or "") for s in _TOO_DEEP):
        return _problem(TOO_DEEP, src.path, Severity.HIGH, f"Not analysed: nested too deeply for a Python parser "
                        f"({src.syntax_error}). Simplify the expression or split the file.")
    parses = libcst_parses(src.text)
    if parses is None:
        return _problem(TOO_DEEP, src.path, Severity.HIGH, "Not analysed: libcst crashed or timed out parsing "
                        "this file (pathological nesting?). Simplify it or split the file.")
    if not parses:
        return _problem(
            SYNTAX_ERROR, src.path, Severity.HIGH,
            f"Not analysed: Python syntax error ({src.syntax_error}).", line=min(line, max(1, len(src.lines))),
        )
    return _problem(
        NEWER_SYNTAX, src.path, Severity.LOW,
        f"wardgate's AST checks, bandit and radon skipped this file: it uses Python syntax newer than the "
        f"interpreter wardgate runs on ({src.syntax_error}); ruff and semgrep still analysed it. "
        "Run wardgate on the project's Python version for full coverage.",
        line=min(line, max(1, len(src.lines))),
    )


_TOO_DEEP = ("maximum recursion depth", "too many nested", "too complex")
_LIBCST_CHECK = "import sys, libcst\ntry:\n    libcst.parse_module(sys.stdin.read())\nexcept Exception:\n    sys.exit(1)\n"


def libcst_parses(text: str) -> bool | None:
    """Whether libcst parses `text`, asked in a child process (a crash cannot take this one down);
    None when the child crashed or timed out."""
    from .processes import run  # only for the few files `ast` rejects

    try:
        code, _, _ = run([sys.executable, "-c", _LIBCST_CHECK], timeout=60, input=text)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {0: True, 1: False}.get(code)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 120 else text[:117] + "..."


def import_root_depth(root: Path, rel: str) -> int:
    """How many leading folders of `rel` lie above the import root: in `src/edc_pharmacy/views.py`,
    with `src/edc_pharmacy/__init__.py` but no `src/__init__.py`, the module is `edc_pharmacy.views`.
    A file outside any package keeps its path as its module name (0)."""
    parents = Path(rel).parts[:-1]
    depth = len(parents)
    while depth > 0 and _has_file(str(root), "/".join(parents[:depth]), "__init__.py"):
        depth -= 1
    if depth == len(parents):
        # Not in a package: an app folder without `__init__.py` under the Django project's folder is still
        # imported from there (a namespace package: `Source/Services/apps/plans/models.py` is `apps.plans.models`).
        return next((d for d in range(depth, 0, -1) if _has_file(str(root), "/".join(parents[:d]), "manage.py")), 0)
    if depth == 0:
        return 0
    # Only a source root strips: `src/`, `lib/`, a Django project's folder (`manage.py` runs there, so it is
    # first on sys.path: `backend/variants/views.py` is `variants.views`), or folders that cannot be module
    # names (`demo-edc/src`). Elsewhere a folder without `__init__.py` is a namespace package and stays in the name.
    prefix = parents[:depth]
    if prefix[-1] in _SOURCE_ROOTS or not all(p.isidentifier() for p in prefix) \
            or _has_file(str(root), "/".join(prefix), "manage.py"):
        return depth
    return 0


_SOURCE_ROOTS = frozenset({"src", "lib", "source", "python"})


@lru_cache(maxsize=4096)
def _has_file(root: str, folder: str, name: str) -> bool:
    """`folder` (relative to `root`) holds a regular file `name`: `__init__.py` (a package), `manage.py`."""
    return (Path(root) / folder / name).is_file()

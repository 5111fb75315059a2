"""Coverage reports read for the changed-line coverage condition: coverage.py's Cobertura XML
(`coverage xml`, pytest-cov `--cov-report=xml`) or its JSON report (`coverage json`).

Only what coverage.py measured counts. A line is executable when the report lists it (a Cobertura
`<line>`, a JSON `executed_lines` or `missing_lines` entry); blank lines, comments, docstrings and
lines excluded with `# pragma: no cover` are absent and never count either way.

The file comes from the CI job of the change under review, so the XML is parsed with defusedxml
(no entity expansion, no external entities or DTD fetches). Anything that is not a readable report of
one of the two formats is a `CoverageError` naming the file and the reason (the CLI exits 2).
"""
from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

_DRIVE = re.compile(r"^[A-Za-z]:/")


class CoverageError(Exception):
    """A missing, unreadable or malformed coverage file (exit 2)."""


@dataclass(frozen=True)
class FileCoverage:
    executable: frozenset[int]
    covered: frozenset[int]

    def union(self, other: FileCoverage) -> FileCoverage:
        return FileCoverage(self.executable | other.executable, self.covered | other.covered)


@dataclass(frozen=True)
class CoverageData:
    path: str  # the report file, as given
    format: str  # "cobertura" | "coverage.py-json"
    files: dict[str, FileCoverage]  # file names exactly as the report spells them
    sources: tuple[str, ...] = ()  # Cobertura <source> roots the file names are relative to
    unmapped: list[str] = field(default_factory=list)  # filled by map_paths


def load(path: Path) -> CoverageData:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CoverageError(f"--coverage {path}: no such file") from None
    except OSError as exc:
        raise CoverageError(f"--coverage {path}: cannot read it ({exc.strerror or exc})") from None
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return _cobertura(path, raw)
    if head == b"{":
        return _json(path, raw)
    raise CoverageError(f"--coverage {path}: neither Cobertura XML nor coverage.py JSON "
                        "(create it with `coverage xml` or `coverage json`)")


def _cobertura(path: Path, raw: bytes) -> CoverageData:
    try:
        root = fromstring(raw)
    except DefusedXmlException as exc:
        raise CoverageError(f"--coverage {path}: refused unsafe XML ({type(exc).__name__})") from None
    except ParseError as exc:
        raise CoverageError(f"--coverage {path}: malformed XML ({exc})") from None
    if root.tag != "coverage":
        raise CoverageError(f"--coverage {path}: not a Cobertura report (root element <{root.tag}>, "
                            "expected <coverage>)")
    sources = tuple(s.text.strip() for s in root.iter("source") if s.text and s.text.strip())
    files: dict[str, FileCoverage] = {}
    for cls in root.iter("class"):
        name = cls.get("filename")
        if not name:
            raise CoverageError(f"--coverage {path}: a <class> element has no filename")
        found = _lines(path, cls.iter("line"))
        files[name] = files[name].union(found) if name in files else found
    return CoverageData(path=str(path), format="cobertura", files=files, sources=sources)


def _lines(path: Path, lines: Iterable[Element]) -> FileCoverage:
    executable, covered = set(), set()
    for line in lines:
        try:
            number, hits = int(line.get("number", "")), int(line.get("hits", ""))
        except ValueError:
            raise CoverageError(f"--coverage {path}: a <line> needs integer number and hits, got "
                                f"{dict(line.attrib)}") from None
        if number < 1 or hits < 0:
            raise CoverageError(f"--coverage {path}: impossible <line> {dict(line.attrib)}")
        executable.add(number)
        if hits:
            covered.add(number)
    return FileCoverage(frozenset(executable), frozenset(covered))


def _json(path: Path, raw: bytes) -> CoverageData:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CoverageError(f"--coverage {path}: malformed JSON ({exc})") from None
    report = data.get("files") if isinstance(data, dict) else None
    if not isinstance(report, dict):
        raise CoverageError(f"--coverage {path}: not a coverage.py JSON report (no \"files\" object)")
    files = {}
    for name, entry in report.items():
        executed, missing = _numbers(path, name, entry, "executed_lines"), _numbers(path, name, entry, "missing_lines")
        files[name] = FileCoverage(frozenset(executed | missing), frozenset(executed))
    return CoverageData(path=str(path), format="coverage.py-json", files=files)


def _numbers(path: Path, name: str, entry: Any, key: str) -> set[int]:
    values = entry.get(key) if isinstance(entry, dict) else None
    if not isinstance(values, list) or not all(isinstance(v, int) and v >= 1 for v in values):
        raise CoverageError(f"--coverage {path}: {name!r} has no list of line numbers in {key!r}")
    return set(values)


def map_paths(data: CoverageData, root: Path, exists: Callable[[str], bool] | None = None) -> CoverageData:
    """The report with file names as repository-relative POSIX paths.

    Names relative to a `<source>` root are joined to it first. An absolute name inside `root` is
    made relative; one from another machine (`/home/runner/work/app/app/clinic/views.py`) is
    stripped from the left until what remains is a file of the repository (the longest such rest
    wins). Names that match no file are kept in `unmapped`.
    """
    exists = exists or (lambda rel: (root / rel).is_file())
    local = root.resolve().as_posix().rstrip("/") + "/"
    out: dict[str, FileCoverage] = {}
    unmapped = []
    for name, cov in data.files.items():
        rel = _repo_path(name.replace("\\", "/"), data.sources, local, exists)
        if rel is None:
            unmapped.append(name)
        else:
            out[rel] = out[rel].union(cov) if rel in out else cov
    return CoverageData(path=data.path, format=data.format, files=out, sources=data.sources,
                        unmapped=sorted(unmapped))


def _repo_path(name: str, sources: tuple[str, ...], local: str, exists: Callable[[str], bool]) -> str | None:
    absolute = name.startswith("/") or bool(_DRIVE.match(name))
    candidates = [name] if absolute else [*(f"{s.replace(chr(92), '/').rstrip('/')}/{name}" for s in sources), name]
    for cand in candidates:
        cand = posixpath.normpath(cand)
        if cand.startswith(local) and exists(cand[len(local):]):
            return cand[len(local):]
        parts = [p for p in PurePosixPath(cand).parts if p not in ("/", "..", ".") and not _DRIVE.match(p + "/")]
        for i in range(len(parts)):
            rest = "/".join(parts[i:])
            if exists(rest):
                return rest
    return None

"""The adapter contract for the established tools (ruff, bandit, radon, semgrep).

An adapter is a module with:
  NAME: str                                  the tool's name, also the config key
  EXECUTABLE: str                            the executable, looked up by `find_executable`
  RULES: tuple[RuleMeta, ...]                rule families it can report, for `wardgate rules`/SARIF
  def command(exe, files, options) -> list[str]
  def parse(result: ToolOutput, ctx: ParseContext) -> ToolResult
  def run(exe, root, files, options, timeout, niceness) -> ToolResult   optional: replaces
                                             command+parse (radon measures small runs in-process,
                                             semgrep is not started when it has no rule to run)

`run_adapter` runs the real tool as a subprocess on an explicit list of files (only files that
passed wardgate's own source checks, see checks/source.py) and normalises its output. A missing
executable or a crash raises ToolFailure, which the pipeline turns into exit code 3 unless the
tool is disabled in config. Per-file trouble (a file one tool cannot parse) is not a failure:
it becomes a `WG007` finding for that file and the run goes on.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .. import processes
from ..finding import Category, Finding, Severity
from ..rulemeta import RuleMeta

if TYPE_CHECKING:
    from ..cache import Cache

DEFAULT_TIMEOUT = 1800.0


class ToolFailure(Exception):
    """The tool is missing, crashed, timed out or printed something that is not its report."""

    def __init__(self, tool: str, message: str, exit_code: int | None = None) -> None:
        super().__init__(f"{tool}: {message}")
        self.tool = tool
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True)
class ToolOutput:
    stdout: str
    stderr: str
    returncode: int


@dataclass(frozen=True)
class ParseContext:
    root: Path
    files: tuple[str, ...]  # POSIX paths relative to root, as passed to the tool
    options: dict[str, Any] = field(default_factory=dict)

    def rel(self, path: str) -> str:
        """Normalise a path the tool printed to POSIX relative-to-root."""
        p = Path(path)
        if p.is_absolute():
            try:
                p = p.resolve().relative_to(self.root.resolve())
            except ValueError:
                return p.as_posix()
        s = p.as_posix()
        while s.startswith("./"):
            s = s[2:]
        return s

    def line_text(self, rel: str, start: int, end: int | None = None, limit: int = 5) -> str | None:
        """Snippet read from the file itself (semgrep's JSON hides lines without a login)."""
        try:
            lines = (self.root / rel).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None
        end = end or start
        return "\n".join(lines[start - 1 : min(end, start + limit - 1)]) or None


@dataclass
class ToolResult:
    findings: list[Finding] = field(default_factory=list)
    file_notes: list[Finding] = field(default_factory=list)  # WG007: tool skipped a file
    seconds: float = 0.0
    executable: str = ""  # the program that ran, and its version (the report's stats name both)
    version: str = ""


class Adapter(Protocol):
    NAME: str
    EXECUTABLE: str
    RULES: tuple[RuleMeta, ...]

    def command(self, exe: str, files: Sequence[str], options: dict[str, Any]) -> list[str]: ...

    def parse(self, output: ToolOutput, ctx: ParseContext) -> ToolResult: ...


def own_scripts_dirs() -> list[str]:
    """Where the running interpreter's environment keeps its console scripts: the virtualenv
    (pipx, uv tool, pre-commit, a venv that is not activated) that installed wardgate and its tools."""
    dirs = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    return [d for i, d in enumerate(dirs) if d and d not in dirs[:i]]


def find_executable(name: str) -> str | None:
    """The tool in `WARDGATE_TOOL_PATH` (folders, for a tool kept elsewhere), then next to the running
    interpreter (wardgate's own environment), then on PATH: `venv/bin/wardgate` and `pipx install` work
    without activating anything."""
    override = os.environ.get("WARDGATE_TOOL_PATH")
    if override:
        found = shutil.which(name, path=override)
        if found:
            return found
    for folder in own_scripts_dirs():
        found = shutil.which(name, path=folder)
        if found:
            return found
    return shutil.which(name)


@cache
def tool_version(name: str, exe: str) -> str:
    """The version of the tool that runs: from the installed distribution's metadata when `exe` is
    one of wardgate's own environment's scripts (no process started), else from `exe --version`."""
    if os.path.dirname(os.path.abspath(exe)) in {os.path.abspath(d) for d in own_scripts_dirs()}:
        from importlib import metadata  # here: importing it costs more than a warm run's cached tools

        with contextlib.suppress(metadata.PackageNotFoundError):
            return metadata.version(name)
    try:
        proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120, check=False,
                              stdin=subprocess.DEVNULL, errors="replace", env=_tool_env())
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    found = re.search(r"\d+(?:\.\d+)+\S*", proc.stdout + proc.stderr)
    return found.group(0) if found else "unknown"


def run_adapter(
    adapter: Adapter, root: Path, files: Sequence[str], options: dict[str, Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT, cache: Cache | None = None, hashes: dict[str, str] | None = None,
    niceness: int = 0,
) -> ToolResult:
    """Run the tool on `files`. With a `cache` (checks/cache.py) and the files' content `hashes`,
    only the files without a cached result are passed to the tool, and it is not started at all
    when every file hit; a failed run is never cached. `niceness`: see `execute`."""
    options = options or {}
    if not files:
        return ToolResult()
    exe = find_executable(adapter.EXECUTABLE)
    if exe is None:
        raise ToolFailure(adapter.NAME, f"`{adapter.EXECUTABLE}` was not found next to wardgate's Python "
                          f"({os.pathsep.join(own_scripts_dirs())}) or on PATH. Install it into wardgate's "
                          f"environment (pip install {adapter.NAME}) or disable it: "
                          f"[tool.wardgate.tools.{adapter.NAME}] enabled = false")
    result = _run_cached(adapter, exe, root, files, options, timeout, cache, hashes, niceness)
    result.executable = exe
    result.version = (tool_version(adapter.NAME, exe) if cache is None
                      else cache.remembered_version(adapter.NAME, exe, lambda: tool_version(adapter.NAME, exe)))
    return result


def _run_cached(adapter: Adapter, exe: str, root: Path, files: Sequence[str], options: dict[str, Any],
                timeout: float, cache: Cache | None, hashes: dict[str, str] | None, niceness: int) -> ToolResult:
    if cache is None or hashes is None:
        return _run_tool(adapter, exe, root, files, options, timeout, niceness)
    start = time.perf_counter()
    store = cache.store(f"tool-{adapter.NAME}-{cache.tool_namespace(adapter.NAME, exe, options)}.pickle")
    memo: dict[str, str] = {}
    keys = {rel: (rel, hashes[rel], cache.config_hash(root, rel, memo)) for rel in files if rel in hashes}
    hits: dict[str, tuple[list[Finding], list[Finding]]] = {}
    ctx = ParseContext(root=root, files=tuple(files), options=options)
    for rel, key in keys.items():
        entry = store.get(key)
        if entry is not None:
            hits[rel] = ([_with_snippet(ctx, f, had) for f, had in entry[0]], entry[1])
    misses = [rel for rel in files if rel not in hits]
    result = ToolResult()
    if misses:
        result = _run_tool(adapter, exe, root, misses, options, timeout, niceness)
        per_file: dict[str, tuple[list[Finding], list[Finding]]] = {rel: ([], []) for rel in misses}
        if all(f.path in per_file for f in (*result.findings, *result.file_notes)):
            for f in result.findings:
                per_file[f.path][0].append(f)
            for f in result.file_notes:
                per_file[f.path][1].append(f)
            for rel, entry in per_file.items():
                if rel in keys:  # snippets are read again on a hit: a secret never lands in the cache
                    store.put(keys[rel], ([(f.model_copy(update={"snippet": None}), _lines(f.snippet))
                                           for f in entry[0]], entry[1]))
            hits.update(per_file)
            result.findings, result.file_notes = [], []
    for rel in files:  # file by file in the order given, whether cached or not
        if rel in hits:
            result.findings.extend(hits[rel][0])
            result.file_notes.extend(hits[rel][1])
    cache.stats["tools"][adapter.NAME] = {"hits": len(files) - len(misses), "misses": len(misses)}
    result.seconds = time.perf_counter() - start
    return result


def _lines(snippet: str | None) -> int:
    return 0 if snippet is None else snippet.count("\n") + 1


def _with_snippet(ctx: ParseContext, f: Finding, lines: int) -> Finding:
    """The snippet of `lines` lines read again from the file (the cache stores none)."""
    if not lines:
        return f
    return f.model_copy(update={"snippet": ctx.line_text(f.path, f.start_line, f.start_line + lines - 1)})


def _run_tool(adapter: Adapter, exe: str, root: Path, files: Sequence[str], options: dict[str, Any],
              timeout: float, niceness: int) -> ToolResult:
    start = time.perf_counter()
    runner = getattr(adapter, "run", None)
    if runner is not None:
        result: ToolResult = runner(exe, root, files, options, timeout, niceness)
    else:
        output = execute(adapter.NAME, adapter.command(exe, files, options), root, timeout, niceness)
        result = adapter.parse(output, ParseContext(root=root, files=tuple(files), options=options))
    result.seconds = time.perf_counter() - start
    return result


def execute(tool: str, cmd: Sequence[str], root: Path, timeout: float = DEFAULT_TIMEOUT,
            niceness: int = 0) -> ToolOutput:
    """Run one tool command in `root`; only a tool that cannot be started or times out raises here.
    `niceness` lowers the tool's CPU priority (POSIX), so that it yields to the run's slowest job."""
    try:  # its own process group: a timeout or an interrupted run kills the tool and its children
        proc = subprocess.Popen(list(cmd), cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=_tool_env(), text=True, encoding="utf-8",
                                errors="replace", process_group=0)
    except OSError as exc:
        raise ToolFailure(tool, f"could not be started: {exc}") from exc
    processes.track(proc.pid)
    try:
        if niceness and hasattr(os, "setpriority"):
            with contextlib.suppress(OSError):  # it may have exited already
                os.setpriority(os.PRIO_PROCESS, proc.pid, os.getpriority(os.PRIO_PROCESS, proc.pid) + niceness)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            processes.kill_group(proc.pid)
            try:  # a grandchild that left the group may still hold the pipes: do not wait for it
                proc.communicate(timeout=1)
            except subprocess.TimeoutExpired:
                _abandon(proc)
            raise ToolFailure(tool, f"timed out after {timeout:g} s") from exc
        processes.kill_group(proc.pid)  # children it left running in its group
        return ToolOutput(stdout, stderr, proc.returncode)
    finally:
        processes.untrack(proc.pid)


def _abandon(proc: subprocess.Popen[str]) -> None:
    for pipe in (proc.stdout, proc.stderr):
        with contextlib.suppress(OSError):
            if pipe is not None:
                pipe.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=1)


def first_lines(text: str, n: int = 5) -> str:
    """The first non-empty lines of a tool's stderr for a ToolFailure message, error lines first
    (semgrep prints a banner before its error)."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return "\n".join((errors or lines)[:n]) or "(no output on stderr)"


def load_json(tool: str, output: ToolOutput, ok_codes: Sequence[int] = (0,)) -> Any:
    """The tool's JSON report, or ToolFailure when it exited with an unexpected code or printed no JSON."""
    if output.returncode not in ok_codes:
        raise ToolFailure(tool, f"exited with code {output.returncode}: {first_lines(output.stderr)}",
                          output.returncode)
    try:
        return json.loads(output.stdout)
    except ValueError as exc:
        detail = first_lines(output.stderr or output.stdout)
        raise ToolFailure(tool, f"printed no JSON report ({exc}): {detail}", output.returncode) from exc


def _tool_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SEMGREP_SEND_METRICS", "off")
    env["SEMGREP_ENABLE_VERSION_CHECK"] = "0"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def skipped_file(tool: str, path: str, reason: str, line: int = 1) -> Finding:
    return Finding(rule_id="WG007", category=Category.WARDGATE, severity=Severity.LOW, tool="wardgate",
                   path=path, start_line=max(1, line), end_line=max(1, line),
                   message=f"{tool} could not analyse this file: {reason}", sources=[tool])


"""Trusted configuration (README, "Trust model").

The change under review is untrusted input. In a `--diff BASE` run the configuration that decides
the verdict (everything in `[tool.wardgate]`: excludes, rules, tools, suppressions, fail_on, the LLM
endpoint and key names, paths) is read from BASE with `git show BASE:<file>`, found the same way as
in the working tree. The working tree's configuration is only compared with it: every difference
is a WG012 finding in words, and the change takes effect once merged. `--staged` (the author at the
keyboard) uses the working tree's configuration and still reports the differences against HEAD.

An explicit `--config FILE` is the user's choice of *file*; when the file lies inside the
repository its *content* is still the change's, so it is read from BASE as well.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from checks.finding import Category, Finding, Severity

from . import git
from .config import Config, ConfigError, find_config, load_config, parse_config
from .config_diff import describe

if TYPE_CHECKING:
    from .git import Diff

CONFIG_CHANGED = "WG012"
SUPPRESSION_ADDED = "WG013"
CONFIG_NAMES = ("wardgate.toml", "pyproject.toml")


@dataclass
class Trusted:
    config: Config  # what the run uses
    changes: list[Finding] = field(default_factory=list)  # WG012, one per difference


def find_config_at(root: Path, rev: str, start: Path) -> tuple[str, str] | None:
    """(path relative to root, text) of the config `find_config` would pick, in the tree of `rev`."""
    try:
        rel = start.resolve().relative_to(root)
    except ValueError:
        return None
    for folder in (PurePosixPath(rel.as_posix()), *PurePosixPath(rel.as_posix()).parents):
        prefix = "" if str(folder) == "." else f"{folder}/"
        text = git.show(root, rev, f"{prefix}wardgate.toml")
        if text is not None:
            return f"{prefix}wardgate.toml", text
        text = git.show(root, rev, f"{prefix}pyproject.toml")
        if text is not None:
            try:
                if "wardgate" in tomllib.loads(text).get("tool", {}):
                    return f"{prefix}pyproject.toml", text
            except tomllib.TOMLDecodeError:
                return f"{prefix}pyproject.toml", text  # parse_config reports it
    return None


def _inside(root: Path, path: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def _at(root: Path, rev: str, rel: str | None) -> Config:
    """The config `rel` holds at `rev`; the defaults when it is not there."""
    text = git.show(root, rev, rel) if rel else None
    if text is None or rel is None:
        return Config(origin=f"defaults (no configuration at {rev})")
    config = parse_config(text, Path(rel), source=str(root / rel))
    config.origin = f"{rev}:{rel}"
    return config


def load(root: Path, start: Path, explicit: Path | None, base: str, *, staged: bool) -> Trusted:
    """The config a diff run uses (from `base`; staged: the working tree's) and the change's edits to it."""
    if explicit is not None and _inside(root, explicit) is None:
        config = load_config(explicit)  # outside the repository: nothing the change can touch
        config.origin = f"--config {explicit}"
        return Trusted(config)
    head_path = explicit if explicit is not None else find_config(start)
    head_rel = _inside(root, head_path) if head_path is not None else None
    head = load_config(head_path)
    head.origin = "working tree" + (f":{head_rel}" if head_rel else " (defaults)")
    if explicit is not None:
        base_rel: str | None = _inside(root, explicit)
    else:
        found = find_config_at(root, base, start)
        base_rel = found[0] if found else None
    try:
        trusted = _at(root, base, base_rel)
    except ConfigError as exc:
        raise ConfigError(f"the configuration at the diff base is invalid: {exc}") from exc
    if staged and not {head_rel, base_rel} & _staged_files(root, base):
        return Trusted(head)  # the commit does not touch the configuration
    changes = change_findings(trusted, head, head_rel or base_rel or "wardgate.toml", staged=staged)
    if base_rel != head_rel and (base_rel or head_rel):
        changes.append(_finding(head_rel or base_rel or "", 1, f"PR moves the configuration from "
                                f"{base_rel or '(none)'} to {head_rel or '(none)'}", staged))
    return Trusted(head if staged else trusted, changes)


def _staged_files(root: Path, ref: str) -> set[str]:
    return set((git.text(root, "diff", "--cached", "--name-only", "-z", ref) or "").split("\0")) - {""}


def change_findings(base: Config, head: Config, rel: str, *, staged: bool = False) -> list[Finding]:
    text = head.source_text or base.source_text or ""
    return [_finding(rel, _line_of(text, key), sentence, staged) for key, sentence in describe(base, head)]


def _finding(rel: str, line: int, sentence: str, staged: bool) -> Finding:
    return Finding(
        rule_id=CONFIG_CHANGED, category=Category.WARDGATE, severity=Severity.HIGH, tool="wardgate", path=rel,
        start_line=line, end_line=line,
        message=f"{sentence}. The change's configuration is not used for its own gate"
                + (" (pre-commit: it is, and this is reported)" if staged else "; it takes effect once merged")
                + ". Needs security approval.",
        properties={"trust_change": True, **({"advisory": True} if staged else {})})


def _line_of(text: str, key: str) -> int:
    """The line of the key's last dotted part in the change's config text (1 if not found)."""
    parts = key.split(".")
    for name in (parts[-1], parts[0], *(p for p in parts[1:-1])):
        for n, line in enumerate(text.splitlines(), 1):
            stripped = line.strip().strip("[]\"'")
            if stripped.startswith(name) or f".{name}" in line or f'"{name}"' in line:
                return n
    return 1


def inline_suppressions_added(findings: list[Finding], changed: dict[str, set[int]], staged: bool) -> list[Finding]:
    """WG013 for each inline `# wardgate: ignore` on a changed line that hides a medical or
    security finding: the change silences its own finding, so security must approve it."""
    out: list[Finding] = []
    seen: set[tuple[str, int, str]] = set()
    for f in findings:
        s = f.suppression
        if s is None or s.kind != "inline" or not (f.category.is_medical or f.category is Category.SECURITY):
            continue
        path, _, line = (s.source or "").rpartition(":")
        if not line.isdigit() or int(line) not in changed.get(path, set()) or (path, int(line), f.rule_id) in seen:
            continue
        seen.add((path, int(line), f.rule_id))
        out.append(Finding(
            rule_id=SUPPRESSION_ADDED, category=Category.WARDGATE, severity=Severity.HIGH, tool="wardgate",
            path=path, start_line=int(line), end_line=int(line),
            message=f"PR adds an inline suppression of {f.rule_id} ({f.category.value}) at {path}:{f.start_line} "
                    f"(reason: {s.justification!r}). Needs security approval.",
            properties={"trust_change": True, **({"advisory": True} if staged else {})}))
    return out


def trusted_baseline(root: Path, path: Path, diff: Diff | None, *, staged: bool
                     ) -> tuple[dict[tuple[str, str, str], int], list[Finding]]:
    """The baseline a run applies, and WG012 when the change edits it. In a `--diff` run a baseline
    inside the repository is read from BASE (the change could otherwise baseline its own findings)."""
    from reports import baseline

    rel = _inside(root, path)
    if diff is None or staged or rel is None:
        return baseline.load(path), []
    text = git.show(root, diff.base, rel)
    if text is None:
        return {}, [_baseline_note(rel, f"PR adds the baseline {rel}, which is not in {diff.base}: it is not used")]
    entries = baseline.loads(text, f"{diff.base}:{rel}")
    try:
        head = baseline.load(path)
    except baseline.BaselineError:
        head = {}
    added = sum(max(0, n - entries.get(k, 0)) for k, n in head.items())
    if head != entries:
        return entries, [_baseline_note(rel, f"PR changes the baseline {rel} ({added} finding(s) added); the "
                                             f"baseline of {diff.base} is used")]
    return entries, []


def _baseline_note(rel: str, sentence: str) -> Finding:
    f = _finding(rel, 1, sentence, staged=False)
    return f.model_copy(update={"in_diff": True})

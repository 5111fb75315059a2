"""`--coverage FILE`: the changed-line coverage condition of diff-aware runs.

The report is read before the analysis (a bad file is exit 2 at once, not after minutes of work)
and evaluated after it, against the run's diff. Files holding patient-data or dosage code can
have a stricter minimum: a file is clinical when it defines a patient-data model (the project
model, `wardgate facts`), defines a dose calculation, or matches `clinical_paths`.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from checks.facts.clinical_functions import is_dose_calculation
from checks.pathmatch import PathPattern, path_matches
from checks.walk import walk
from reports.coverage_gate import evaluate
from reports.sections import Coverage

from .git import Diff

if TYPE_CHECKING:  # reading a report (reports/coverage_file.py: xml, defusedxml) only when --coverage is given
    from reports.coverage_file import CoverageData

__all__ = ["CoverageConfig", "clinical_files", "measure"]


class CoverageConfig(BaseModel):
    """`[tool.wardgate.coverage]` (percentages of changed executable lines)."""

    model_config = ConfigDict(extra="forbid")

    min_changed_lines: float = Field(default=80.0, ge=0, le=100)
    min_changed_lines_clinical: float | None = Field(
        default=None, ge=0, le=100, description="Stricter minimum for patient-data and dosage code (None = off)")
    clinical_paths: list[PathPattern] = Field(default_factory=list, description="Globs of files that count as clinical")


def measure(root: Path, diff: Diff, models: Any, cfg: CoverageConfig, data: CoverageData) -> Coverage:
    """The report's `coverage` section: the changed lines of `diff` against `data` (reports/coverage_gate.py)."""
    from reports.coverage_file import map_paths

    mapped = map_paths(data, root)
    measured = [p for p in diff.changed if p in mapped.files]
    clinical = (clinical_files(root, measured, models, cfg.clinical_paths)
                if cfg.min_changed_lines_clinical is not None else set())
    return evaluate(diff.changed, mapped, minimum=cfg.min_changed_lines,
                    clinical_minimum=cfg.min_changed_lines_clinical, clinical=clinical,
                    line_counts={p: _line_count(root / p) for p in measured})


def clinical_files(root: Path, paths: Iterable[str], models: Any, globs: Iterable[str] = ()) -> set[str]:
    patient_files = {models.models[q].path for q in models.patient} if models is not None else set()
    globs = list(globs)
    return {p for p in paths if p in patient_files or path_matches(p, globs) or _defines_dose_calculation(root / p)}


def _line_count(path: Path) -> int:
    try:
        return len(path.read_bytes().splitlines())
    except OSError:
        return 0


def _defines_dose_calculation(path: Path) -> bool:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return False  # newer syntax or unreadable: the other signals (model, globs) still apply
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_dose_calculation(n) for n in walk(tree))

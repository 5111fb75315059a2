"""The engine (checks/engine.py) with real worker processes: a file's phase 2 runs in the worker
that parsed it in phase 1, and the result must be the same as a single-process run, whatever
the workers kept, re-parsed, or got from the facts cache."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from checks import engine
from checks.base import Check
from checks.cache import open_cache
from checks.engine import POOL_THRESHOLD, EngineResult, run_checks
from checks.facts import COLLECTORS
from checks.finding import Category, Severity
from checks.registry import ALL_CHECKS
from checks.vocabulary import Vocabulary

MODELS = ("from django.db import models\n\n\nclass Patient(models.Model):\n"
          "    mrn = models.CharField(max_length=20)\n    date_of_birth = models.DateField()\n")
AUDIT = ("from auditlog.registry import auditlog\n\nfrom clinic.models import Patient\n\n"
         "auditlog.register(Patient)\n")
# Every module depends on facts from other files (Patient holds patient data; audit.py audits
# it): WG202 on each bulk update, WG301 on each unauthenticated view.
MODULE = ("from django.http import JsonResponse\n\nfrom clinic.models import Patient\n\n\n"
          "def list_{n}(request):\n"
          "    return JsonResponse(list(Patient.objects.values('mrn')), safe=False)\n\n\n"
          "def close_{n}(ids):\n    Patient.objects.filter(pk__in=ids).update(mrn='')\n")


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, list[str]]:
    root = tmp_path / "proj"
    (root / "clinic").mkdir(parents=True)
    files = {"clinic/__init__.py": "", "clinic/models.py": MODELS, "clinic/audit.py": AUDIT}
    for n in range(POOL_THRESHOLD + 10):
        # Sizes differ: the workers' share is balanced by size.
        files[f"clinic/views_{n}.py"] = MODULE.format(n=n) + "\n" * n
    files["clinic/broken.py"] = "def broken(:\n"
    files["clinic/typing_312.py"] = "type PatientId = int\n"  # Python 3.12 syntax: libcst parses it
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    return root, sorted(files)


def _run(root: Path, paths: list[str], jobs: int, **kw) -> EngineResult:
    return run_checks(root, paths, vocab=Vocabulary(), checks=ALL_CHECKS, collectors=COLLECTORS, jobs=jobs,
                      **kw)


def _summary(result: EngineResult) -> tuple[list[tuple[str, str, int]], list[str], list[str]]:
    findings = sorted((f.rule_id, f.path, f.start_line) for f in result.findings)
    return findings, sorted(p.path for p in result.file_problems), sorted(result.errors)


def test_workers_report_what_one_process_reports(project: tuple[Path, list[str]]) -> None:
    root, paths = project
    single = _summary(_run(root, paths, jobs=1))
    findings, problems, errors = single
    assert {r for r, _, _ in findings} >= {"WG202", "WG301"}
    assert len([f for f in findings if f[0] == "WG202"]) == POOL_THRESHOLD + 10  # one per module
    assert problems == ["clinic/broken.py", "clinic/typing_312.py"] and errors == []
    assert _summary(_run(root, paths, jobs=2)) == single


@pytest.mark.parametrize("jobs", [1, 2])
def test_broken_code_and_newer_syntax_are_told_apart(project: tuple[Path, list[str]], jobs: int) -> None:
    root, paths = project
    result = _run(root, paths, jobs=jobs)
    assert {p.path: p.rule_id for p in result.file_problems} == {"clinic/broken.py": "WG005",
                                                                  "clinic/typing_312.py": "WG006"}
    assert result.newer_syntax == ["clinic/typing_312.py"]


def test_files_past_the_memory_budget_are_parsed_again(project: tuple[Path, list[str]],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root, paths = project
    expected = _summary(_run(root, paths, jobs=2))
    monkeypatch.setattr(engine, "KEEP_CHARS", 300)  # a file or two per worker; workers fork after this
    assert _summary(_run(root, paths, jobs=2)) == expected
    assert _summary(_run(root, paths, jobs=1)) == expected


def test_phase_two_covers_files_whose_facts_came_from_the_cache(project: tuple[Path, list[str]]) -> None:
    root, paths = project
    cold_cache = open_cache(root, None)
    cold = _run(root, paths, jobs=2, cache=cold_cache)
    cold_cache.save()
    warm_cache = open_cache(root, None)
    warm = _run(root, paths, jobs=2, cache=warm_cache)
    assert warm_cache.stats["facts_hits"] == len(paths)  # phase 1 ran nowhere
    assert _summary(warm) == _summary(cold)


def test_diff_limits_phase_two_not_phase_one(project: tuple[Path, list[str]]) -> None:
    root, paths = project
    result = _run(root, paths, jobs=2, check_paths=["clinic/views_3.py"])
    assert {f.path for f in result.findings} == {"clinic/views_3.py"}
    assert {f.rule_id for f in result.findings} == {"WG202", "WG301"}  # needs the models' facts


class _Crashes(Check):
    """Crashes on one file only."""

    code = "WG999"
    name = "crashes"
    category = Category.QUALITY
    severity = Severity.LOW
    summary = "test check"

    def visit_Module(self, node: object) -> None:
        if self.ctx.path.endswith("views_7.py"):
            raise RuntimeError("boom")
        self.report(node, "seen")  # type: ignore[arg-type]


def test_a_check_crashing_in_a_worker_is_an_error_not_a_pass(project: tuple[Path, list[str]]) -> None:
    root, paths = project
    result = run_checks(root, paths, vocab=Vocabulary(), checks=[_Crashes], collectors=COLLECTORS, jobs=2)
    assert any("WG999 crashed on clinic/views_7.py" in e and "boom" in e for e in result.errors)
    seen = {f.path for f in result.findings}
    assert "clinic/views_7.py" not in seen and "clinic/views_8.py" in seen


class _KillsItsWorker(_Crashes):
    """Ends its process on one file, like the kernel's out-of-memory killer would."""

    code = "WG998"

    def visit_Module(self, node: object) -> None:
        if self.ctx.path.endswith("views_7.py"):
            os._exit(9)
        self.report(node, "seen")  # type: ignore[arg-type]


def test_a_worker_that_dies_fails_the_run_and_keeps_the_rest(project: tuple[Path, list[str]]) -> None:
    root, paths = project
    result = run_checks(root, paths, vocab=Vocabulary(), checks=[_KillsItsWorker], collectors=COLLECTORS,
                        jobs=2)
    (error,) = result.errors
    assert "worker process died" in error and "not analysed" in error
    seen = {f.path for f in result.findings}
    assert "clinic/views_7.py" not in seen and 0 < len(seen) < len(paths)  # the other worker's files


class _SaysWhere(_Crashes):
    """Reports the process it runs in; ends it on views_7.py unless it is the test's own process."""

    code = "WG997"
    parent = os.getpid()

    def visit_Module(self, node: object) -> None:
        if self.ctx.path.endswith("views_7.py") and os.getpid() != self.parent and self.die:
            os._exit(9)
        self.report(node, f"pid {os.getpid()}")  # type: ignore[arg-type]

    die = False


def test_meanwhile_runs_while_a_forked_child_does_phase_two(project: tuple[Path, list[str]]) -> None:
    """Without worker processes (a pre-commit run's few files), phase 2 runs in one forked child while
    `meanwhile` (the change rules) works on the project model: the same findings as in-process."""
    root, paths = project
    targets = ["clinic/views_3.py", "clinic/views_7.py"]
    inline = _run(root, paths, jobs=1, check_paths=targets)
    seen: list[int] = []

    def meanwhile(result: EngineResult) -> None:
        assert result.project.fact("django_models") is not None and result.findings == []
        seen.append(os.getpid())

    forked = _run(root, paths, jobs=1, check_paths=targets, meanwhile=meanwhile)
    assert seen == [os.getpid()] and _summary(forked) == _summary(inline)
    where = run_checks(root, paths, vocab=Vocabulary(), checks=[_SaysWhere], collectors=COLLECTORS, jobs=1,
                       check_paths=targets, meanwhile=lambda _r: None)
    assert {f.message for f in where.findings} - {f"pid {os.getpid()}"}  # not this process


def test_a_forked_child_that_dies_means_phase_two_runs_here(project: tuple[Path, list[str]],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root, paths = project
    targets = ["clinic/views_3.py", "clinic/views_7.py"]
    monkeypatch.setattr(_SaysWhere, "die", True)
    result = run_checks(root, paths, vocab=Vocabulary(), checks=[_SaysWhere], collectors=COLLECTORS, jobs=1,
                        check_paths=targets, meanwhile=lambda _r: None)
    assert result.errors == []
    assert sorted((f.path, f.message) for f in result.findings) == [(p, f"pid {os.getpid()}") for p in targets]

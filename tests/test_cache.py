"""The content-addressed cache (checks/cache.py): real runs of `wardgate check` on a temp project.

A warm run must report exactly what a cold run (and a `--no-cache` run) reports; a changed file,
or a change in another file that alters project-wide facts, must show up on the warm run; a bad
or forged cache file is a miss (never "no findings").
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

MODELS = ("from django.db import models\n\n\n"
          "class Patient(models.Model):\n"
          "    mrn = models.CharField(max_length=20)\n"
          "    date_of_birth = models.DateField()\n")
AUDIT = "from auditlog.registry import auditlog\n\nfrom clinic.models import Patient\n\nauditlog.register(Patient)\n"
VIEWS = ("import subprocess\n\n\ndef run(cmd):\n    password = 'hunter2hunter2'\n"
         "    return subprocess.call(cmd, shell=True)\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "clinic").mkdir(parents=True)
    (root / "clinic" / "__init__.py").write_text("")
    (root / "clinic" / "models.py").write_text(MODELS)
    (root / "clinic" / "audit.py").write_text(AUDIT)
    (root / "clinic" / "views.py").write_text(VIEWS)
    old = 1_600_000_000  # older than the racy-stat window, so stat entries are recorded
    for p in root.rglob("*.py"):
        os.utime(p, (old, old))
    return root


def check(root: Path, *extra: str, xdg: Path | None = None) -> tuple[dict, str]:
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])}
    env["XDG_CACHE_HOME"] = str(xdg or root.parent / "xdg")
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", "--no-llm", "--format", "json", *extra, "."],
                          cwd=root, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout), proc.stderr


def keys(report: dict) -> list[tuple]:
    return sorted((f["rule_id"], f["path"], f["start_line"], f["message"], f["severity"], tuple(f["sources"]))
                  for f in report["findings"])


def rules_at(report: dict, path: str) -> set[str]:
    return {f["rule_id"] for f in report["findings"] if f["path"] == path}


def test_warm_run_reports_exactly_what_a_cold_run_does(project: Path) -> None:
    uncached, _ = check(project, "--no-cache")
    assert not (project / ".wardgate-cache").exists()  # --no-cache neither reads nor writes
    cold, _ = check(project)
    warm, _ = check(project)
    assert keys(uncached) == keys(cold) == keys(warm)
    assert {f["tool"] for f in warm["findings"]} >= {"bandit"}  # tool results come back from the cache
    assert warm["gate"]["verdict"] == cold["gate"]["verdict"]
    stats = warm["stats"]["cache"]
    assert stats["facts_misses"] == 0  # (files changed seconds ago are re-hashed: racy stat)
    assert all(t["misses"] == 0 for t in stats["tools"].values())
    assert (project / ".wardgate-cache" / ".gitignore").read_text().strip().endswith("*")


def test_files_read_through_a_rewrite_keep_their_findings_on_a_warm_run(project: Path) -> None:
    """A cached file's facts stay pickled until read; WG006 (newer syntax) and WG016 (Python 2), which phase 1
    notes beside the facts, still come back on every warm run."""
    (project / "clinic" / "typed.py").write_text("type Ids = list[int]\n\n\ndef first(ids: Ids) -> int:\n"
                                                 "    return ids[0]\n")
    (project / "clinic" / "legacy.py").write_text('def show(pk):\n    print "admitted", pk\n')
    for p in project.rglob("*.py"):
        os.utime(p, (1_600_000_000, 1_600_000_000))
    cold, _ = check(project)
    warm, _ = check(project)
    assert "WG006" in rules_at(warm, "clinic/typed.py") and "WG016" in rules_at(warm, "clinic/legacy.py")
    assert keys(warm) == keys(cold) == keys(check(project, "--no-cache")[0])
    assert warm["stats"]["cache"]["facts_misses"] == 0 and warm["stats"]["cache"]["models_cached"] == 1


def test_editing_a_file_invalidates_its_entries(project: Path) -> None:
    check(project)
    before, _ = check(project)
    assert "bandit:B602" not in {f["rule_id"] for f in before["findings"] if f["path"] == "clinic/models.py"}
    models = project / "clinic" / "models.py"
    models.write_text(MODELS + "\n\ndef shell(cmd):\n    import subprocess\n    return subprocess.call(cmd, shell=True)\n")
    after, _ = check(project)
    assert "bandit:B602" in rules_at(after, "clinic/models.py")
    assert after["stats"]["cache"]["tools"]["bandit"]["misses"] == 1
    assert keys(after) == keys(check(project, "--no-cache")[0])


def test_audit_registration_in_another_file_changes_the_model_files_findings(project: Path) -> None:
    check(project)
    audited, _ = check(project)
    assert "WG201" not in rules_at(audited, "clinic/models.py")
    (project / "clinic" / "audit.py").write_text("from clinic.models import Patient\n")  # no longer registered
    warm, _ = check(project)
    assert "WG201" in rules_at(warm, "clinic/models.py")
    assert warm["stats"]["cache"]["facts_misses"] == 1  # models.py itself came from the cache
    assert keys(warm) == keys(check(project, "--no-cache")[0])


def test_a_corrupt_cache_file_is_ignored_with_a_note(project: Path) -> None:
    cold, _ = check(project)
    cache = project / ".wardgate-cache"
    files = sorted(p for p in cache.iterdir() if p.suffix == ".pickle")
    assert any(p.name.startswith("facts-") for p in files) and any(p.name.startswith("tool-") for p in files)
    for p in files:  # flip a byte in each: the signature no longer matches
        data = bytearray(p.read_bytes())
        data[-1] ^= 0xFF
        p.write_bytes(bytes(data))
    warm, err = check(project)
    assert "ignoring corrupt cache file" in err
    assert keys(warm) == keys(cold)
    for p in files:
        p.write_bytes(b"garbage")
    warm, err = check(project)
    assert "ignoring corrupt cache file" in err
    assert keys(warm) == keys(cold)


def test_a_cache_written_with_another_key_is_not_trusted(project: Path, tmp_path: Path) -> None:
    """A `.wardgate-cache/` committed to the repository (or copied from elsewhere) cannot forge results."""
    cold, _ = check(project)
    # Forge: the same cache, re-signed with the attacker's key, claiming no findings for views.py.
    forger = tmp_path / "attacker-xdg"
    check(project, xdg=forger)  # creates the attacker's key
    sys.path.insert(0, str(ROOT))
    from checks.cache import Cache

    attacker = Cache(project / ".wardgate-cache", (forger / "wardgate" / "cache-key").read_bytes())
    for p in (project / ".wardgate-cache").glob("tool-*.pickle"):
        data = attacker._read(p)
        attacker._write(p, {k: ([], []) for k in data})
    honest, err = check(project)  # the real user's key: every forged file is ignored
    assert "ignoring corrupt cache file" in err
    assert keys(honest) == keys(cold)


def test_installed_packages_read_last_run_are_read_again_when_they_change(project: Path) -> None:
    """The facts of the project's environment are cached with every module lookup they took: a package
    installed, edited or upgraded since the last run is read again, the project's own files unchanged."""
    (project / "clinic" / "vitals.py").write_text(
        "from django.db import models\nfrom trialkit.models import CrfModel\n\n\n"
        "class Vitals(CrfModel):\n    patient = models.ForeignKey('clinic.Patient', on_delete=models.CASCADE)\n"
        "    weight = models.DecimalField(max_digits=5, decimal_places=1)\n")
    os.utime(project / "clinic" / "vitals.py", (1_600_000_000, 1_600_000_000))
    check(project)
    unknown, _ = check(project)  # CrfModel is nowhere: its audit is unknown, no finding
    assert "WG201" not in rules_at(unknown, "clinic/vitals.py")

    package = project / ".venv" / "lib" / "python3.11" / "site-packages" / "trialkit"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    base = "from django.db import models\n{}\n\nclass CrfModel(models.Model):\n{}    class Meta:\n        abstract = True\n"
    (package / "models.py").write_text(base.format("", ""))
    installed, _ = check(project)  # installed since: now known to have no history
    assert "WG201" in rules_at(installed, "clinic/vitals.py")
    assert installed["stats"]["cache"]["facts_misses"] == 0

    (package / "models.py").write_text(base.format("from simple_history.models import HistoricalRecords",
                                                   "    history = HistoricalRecords(inherit=True)\n\n"))
    upgraded, _ = check(project)
    assert "WG201" not in rules_at(upgraded, "clinic/vitals.py")
    assert keys(upgraded) == keys(check(project, "--no-cache")[0])

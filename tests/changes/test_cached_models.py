"""The merged project models in the cache (checks/cache.py `Cache.merged`): a warm `--staged` run takes
the head's and the base's model from the cache only when every per-file fact that went into it is the
same; otherwise both are merged afresh. Real git repositories; each warm run is compared with `--no-cache`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_pr_changes import edit, git, write

NO_HISTORY = ("    discharged = models.BooleanField(default=False)\n    history = HistoricalRecords()\n",
              "    discharged = models.BooleanField(default=False)\n")
SIGNAL_LOG = '''\
from django.db.models.signals import pre_save
from django.dispatch import receiver


@receiver(pre_save, weak=False)
def audit_pre_save(sender, instance, **kwargs):
    """Log every save of every model."""
'''


def staged(repo: Path, *extra: str) -> tuple[dict, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(repo.parent / "xdg")}
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", "--staged", "--no-llm", "--format", "json",
                           *extra], cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout), proc.stderr


def findings(report: dict) -> list[tuple]:
    return [(f["rule_id"], f["path"], f["start_line"], f["severity"], f["message"], f.get("in_diff"))
            for f in report["findings"]]


def models(report: dict) -> tuple[int, int]:
    """(models merged, models taken from the cache) in this run."""
    cache = report["stats"]["cache"]
    return cache.get("models_merged", 0), cache.get("models_cached", 0)


def warm(repo: Path) -> dict:
    """A cached run, which must report exactly what an uncached one does."""
    report, _ = staged(repo)
    uncached, _ = staged(repo, "--no-cache")
    assert findings(report) == findings(uncached)
    return report


def wg803(report: dict) -> list[str]:
    return [f["message"] for f in report["findings"] if f["rule_id"] == "WG803"]


def test_same_facts_reuse_both_models(repo: Path) -> None:
    edit(repo, "clinic/models.py", *NO_HISTORY)
    git(repo, "add", "clinic/models.py")
    assert models(warm(repo)) == (2, 0)
    again = warm(repo)
    assert models(again) == (0, 2)
    assert any("simple-history → none" in m for m in wg803(again))


def test_an_unstaged_edit_elsewhere_changes_both_models(repo: Path) -> None:
    """The base model is the base versions of the staged files plus the working tree's other files: a new
    signal receiver in a file that is not staged changes what the base and the head audit with."""
    edit(repo, "clinic/models.py", *NO_HISTORY)
    git(repo, "add", "clinic/models.py")
    before = warm(repo)
    assert any("simple-history → none" in m for m in wg803(before))
    write(repo, "clinic/audit_log.py", SIGNAL_LOG)  # untracked: not in the diff, but in the project
    after = warm(repo)
    assert models(after) == (2, 0)
    assert any("simple-history → signal-receiver" in m for m in wg803(after))


def test_moving_head_changes_the_base_model(repo: Path) -> None:
    """Same index, same working tree, another HEAD: the staged file's base version differs, and so does the
    base model (a model cached by what the index holds would hide the removed history)."""
    edit(repo, "clinic/models.py", *NO_HISTORY)
    git(repo, "commit", "-q", "-am", "history removed")
    edit(repo, "clinic/models.py", "class Patient(models.Model):\n", "class Patient(models.Model):  # v2\n")
    git(repo, "add", "clinic/models.py")
    assert wg803(warm(repo)) == []  # HEAD has no history either
    git(repo, "reset", "-q", "--soft", "HEAD~1")  # HEAD has the history again; index and files unchanged
    moved = warm(repo)
    assert models(moved)[0] >= 1
    assert any("simple-history → none" in m for m in wg803(moved))


def test_a_corrupt_model_file_is_ignored_with_a_note(repo: Path) -> None:
    edit(repo, "clinic/models.py", *NO_HISTORY)
    git(repo, "add", "clinic/models.py")
    first = warm(repo)
    (merged,) = (repo / ".wardgate-cache").glob("merged-*.pickle")
    merged.write_bytes(merged.read_bytes()[:-100] + b"\0" * 100)
    report, err = staged(repo)
    assert "ignoring corrupt cache file" in err and merged.name in err
    assert findings(report) == findings(first) and models(report) == (2, 0)

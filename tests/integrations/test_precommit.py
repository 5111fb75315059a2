"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit against this checkout.

`pre-commit try-repo` installs the hook repository at a commit (here: HEAD of the checkout under
test) into pre-commit's own virtualenv, exactly as a user's `rev:` would. The first run builds that
virtualenv (wardgate and its tools from the package index), so the cache is shared by the tests in
this module.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from clinic_project import CLEAN_SETTINGS, CLOSED_VIEW, OPEN_VIEW, ROOT, SECRET_SETTINGS, Repo

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def head() -> str:
    proc = subprocess.run(["git", "rev-parse", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"{ROOT} is not a git checkout: pre-commit installs hooks from a commit")
    return proc.stdout.strip()


def try_repo(repo: Repo, hook: str, home: Path, ref: str, stage: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--ref", ref, "--color", "never"]
    if stage:
        cmd += ["--hook-stage", stage]
    env = {**repo.env, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(cmd, check=False, cwd=repo.path, env=env, capture_output=True, text=True, timeout=1200)


def test_hook_definitions() -> None:
    by_id = {h["id"]: h for h in HOOKS}
    assert set(by_id) >= {"wardgate", "wardgate-secrets", "wardgate-review"}
    for hook in HOOKS:
        assert hook["language"] == "python"
        runs_on = re.compile(hook["files"])  # Python, dotenv (WG107) and YAML (WG110) files, nothing else
        assert all(runs_on.search(p) for p in ("clinic/views.py", "docker/.local.env", ".env", "deploy/prod.env",
                                               "k8s/deployment.yaml", "config.yml"))
        assert not any(runs_on.search(p) for p in ("README.md", "static/app.js", "envoy.json"))
        assert hook["pass_filenames"] is False and hook["require_serial"] is True
        assert "--staged" in hook["entry"]
        assert hook["minimum_pre_commit_version"]
    assert "--no-llm" in by_id["wardgate"]["entry"] and "--no-llm" in by_id["wardgate-secrets"]["entry"]
    assert "--no-llm" not in by_id["wardgate-review"]["entry"]
    assert by_id["wardgate-review"]["stages"] == ["manual"]


def test_staged_secret_and_open_patient_view_block_then_pass(
    clinic_repo: Callable[[], Repo], pre_commit_home: Path, head: str,
) -> None:
    repo = clinic_repo()
    repo.write("clinic/settings.py", SECRET_SETTINGS)
    repo.write("clinic/api.py", OPEN_VIEW)
    repo.git("add", "clinic/settings.py", "clinic/api.py")

    blocked = try_repo(repo, "wardgate", pre_commit_home, head)
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1, out
    assert "WG101" in out and "clinic/settings.py" in out, out  # the secret
    assert "WG301" in out and "clinic/api.py" in out, out        # the unauthenticated patient view
    assert "q7#z!m2r9f" not in out, "the secret value must never be printed"

    secrets_only = try_repo(repo, "wardgate-secrets", pre_commit_home, head)
    out = secrets_only.stdout + secrets_only.stderr
    assert secrets_only.returncode == 1, out
    assert "WG101" in out and "WG301" not in out, out

    repo.write("clinic/settings.py", CLEAN_SETTINGS)
    repo.write("clinic/api.py", CLOSED_VIEW)
    repo.git("add", "clinic/settings.py", "clinic/api.py")
    for hook in ("wardgate", "wardgate-secrets"):
        passed = try_repo(repo, hook, pre_commit_home, head)
        assert passed.returncode == 0, passed.stdout + passed.stderr


def test_installed_hook_blocks_the_commit(clinic_repo: Callable[[], Repo], pre_commit_home: Path, head: str) -> None:
    """The same hook as a user installs it: `rev:` in .pre-commit-config.yaml, `pre-commit install`,
    `git commit`."""
    repo = clinic_repo("installed")
    repo.write(".pre-commit-config.yaml", f"repos:\n  - repo: {ROOT}\n    rev: {head}\n    hooks:\n"
                                          "      - id: wardgate\n")
    repo.git("add", ".pre-commit-config.yaml")
    repo.git("commit", "-q", "--no-verify", "-m", "pre-commit config")
    env = {**repo.env, "PRE_COMMIT_HOME": str(pre_commit_home)}
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo.path, env=env, check=True,
                   capture_output=True, timeout=120)
    # the hook script finds pre-commit through this interpreter's PATH entry
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])

    repo.write("clinic/api.py", OPEN_VIEW)
    repo.git("add", "clinic/api.py")
    commit = subprocess.run(["git", "commit", "-m", "patient api"], check=False, cwd=repo.path, env=env, capture_output=True,
                            text=True, timeout=1200)
    assert commit.returncode != 0, commit.stdout + commit.stderr
    assert "WG301" in commit.stdout + commit.stderr
    assert repo.git("rev-list", "--count", "HEAD").stdout.strip() == "2"  # nothing was committed

    repo.write("clinic/api.py", CLOSED_VIEW)
    repo.git("add", "clinic/api.py")
    commit = subprocess.run(["git", "commit", "-m", "patient api"], check=False, cwd=repo.path, env=env, capture_output=True,
                            text=True, timeout=1200)
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert repo.git("rev-list", "--count", "HEAD").stdout.strip() == "3"

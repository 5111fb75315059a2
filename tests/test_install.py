"""wardgate as people install and start it: a virtualenv that is not activated (pipx, uv tool,
`venv/bin/wardgate`), tools found next to wardgate's own Python before PATH."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

from checks.tools.base import find_executable

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "clinic"
TOOLS = ("ruff", "bandit", "radon", "semgrep")
BARE_PATH = os.pathsep.join(["/usr/bin", "/bin"])  # no virtualenv on it


def bare_venv(where: Path) -> Path:
    """A virtualenv without wardgate's tools whose Python still imports wardgate (and its
    libraries) from the test environment: the tools can then only come from PATH."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "wardgate-dev.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_path('purelib')!r})\n")
    return python


def test_own_environment_comes_before_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decoy = tmp_path / "ruff"  # an older ruff earlier on PATH must not win over wardgate's own
    decoy.write_text("#!/bin/sh\necho 'ruff 0.0.1'\n")
    decoy.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert find_executable("ruff") == str(Path(sysconfig.get_path("scripts")) / "ruff")


def test_unactivated_venv_finds_its_tools() -> None:
    """`venv/bin/wardgate` with nothing on PATH: the example's findings, exit 1, and the report names
    each tool and its version."""
    script = Path(sysconfig.get_path("scripts")) / "wardgate"
    proc = subprocess.run([str(script), "check", str(EXAMPLE), "--format", "json", "--no-llm"], cwd=REPO,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "PATH": BARE_PATH}, check=False)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["findings"] and not report["stats"]["errors"]
    for tool in TOOLS:
        stat = report["stats"]["tools"][tool]
        assert stat["status"] == "ok"
        assert stat["executable"] == str(script.parent / tool)
        assert stat["version"] == metadata.version(tool)


def test_tools_from_path_and_missing_tool_exits_3(tmp_path: Path) -> None:
    python = bare_venv(tmp_path / "venv")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("ruff", "bandit", "radon"):
        (bindir / tool).symlink_to(Path(sysconfig.get_path("scripts")) / tool)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "a.py").write_text("x = 1\n")
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{BARE_PATH}"}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(python), "-m", "wardgate", "check", ".", "--format", "json", "--no-llm"],
                              cwd=project, capture_output=True, text=True, env=env, timeout=600, check=False)

    proc = run()
    assert proc.returncode == 3, proc.stderr
    assert "semgrep" in proc.stderr and "not found" in proc.stderr
    report = json.loads(proc.stdout)  # the report is still complete and says why
    assert report["gate"]["verdict"] == "error"
    assert report["stats"]["tools"]["semgrep"]["status"] == "failed"
    (project / "wardgate.toml").write_text("[tools.semgrep]\nenabled = false\n")
    proc = run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ruff = json.loads(proc.stdout)["stats"]["tools"]["ruff"]
    assert ruff["executable"] == str(bindir / "ruff")
    assert ruff["version"] == metadata.version("ruff")  # asked with `ruff --version`


def test_version_flag() -> None:
    proc = subprocess.run([sys.executable, "-m", "wardgate", "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert metadata.version("wardgate") in proc.stdout


def test_installed_tools_are_within_the_declared_bounds() -> None:
    """CI installs the newest releases the bounds allow: the suite then tests the upper bounds."""
    import tomllib

    from packaging.requirements import Requirement

    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    reqs = {r.name: r for r in map(Requirement, declared)}
    for tool in TOOLS:
        spec = reqs[tool].specifier
        assert any(s.operator == "<" for s in spec), f"{tool} needs a tested upper bound"
        assert spec.contains(metadata.version(tool)), (tool, metadata.version(tool), str(spec))


def test_missing_optional_extra_leaves_findings_standing(tmp_path: Path) -> None:
    """llm.provider = "openai-compatible" without the `local-llm` extra: the review is skipped with
    the pip command that fixes it, and every stage-1 finding stands."""
    code = (
        "import sys\n"
        "sys.modules['openai'] = None  # what Python does for a package that is not installed\n"
        "from pathlib import Path\n"
        "from checks.finding import Category, Finding, Severity\n"
        "from checks.review import review_findings\n"
        "f = Finding(rule_id='WG101', category=Category.SECRET, severity=Severity.CRITICAL, tool='wardgate',\n"
        "            path='a.py', start_line=1, end_line=1, message='m')\n"
        "out, stats = review_findings([f], root=Path('.'), enabled=True, settings={\n"
        "    'provider': 'openai-compatible', 'base_url': 'http://127.0.0.1:9/v1', 'model': 'm',\n"
        "    'cache': 'none', 'audit_log': None})\n"
        "assert out == [f], out\n"
        "print(stats['status'], stats['reason'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("failed ") and "pip install 'wardgate[local-llm]'" in proc.stdout


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("CI") != "true" and not os.environ.get("WARDGATE_TEST_INSTALL"),
                    reason="installs wardgate and its tools into a fresh venv (minutes); runs when CI=true "
                           "or WARDGATE_TEST_INSTALL=1")
def test_pip_install_into_a_venv_that_is_not_on_path(tmp_path: Path) -> None:
    """As a new user: `pip install .` from a clean copy into a venv that is never activated, then
    `venv/bin/wardgate check examples/clinic` with nothing of it on PATH."""
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                                             "__pycache__", ".wardgate-cache"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(src)],
                          capture_output=True, text=True, timeout=1800, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = subprocess.run([str(venv / "bin" / "wardgate"), "check", "examples/clinic", "--no-llm"], cwd=src,
                          capture_output=True, text=True, timeout=900, check=False,
                          env={**os.environ, "PATH": BARE_PATH})
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.startswith("FAIL — ") and "WG101" in proc.stdout and "not found" not in proc.stderr

"""A scanned project with its own `checks` and `reports` packages (common Django app names) never
replaces wardgate's, however wardgate is started (wardgate/_own_packages.py).

wardgate is installed here from a wheel (not editable), as `pip install` does: that is where a
project's packages on sys.path used to win."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SECRET = 'SECRET_KEY = "django-insecure-9x8f7sd6f5g4h3j2k1l0qwertyuiopasdf"\n'


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python of a virtualenv with wardgate installed from its wheel; its libraries come from the
    test environment through a plain path entry (so that environment's editable wardgate stays out)."""
    tmp = tmp_path_factory.mktemp("installed")
    src = tmp / "src"  # built from a copy: setuptools reuses a checkout's build/ folder
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                                             "__pycache__", ".wardgate-cache"))
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp), str(src)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = tmp.glob("wardgate-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, timeout=600)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "test-libraries.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A Django-style project with its own `checks` and `reports` apps and a planted secret."""
    for app in ("checks", "reports"):
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
        (tmp_path / app / "models.py").write_text("REPORT_TITLES = ['discharge']\n")
    (tmp_path / "settings.py").write_text(SECRET)
    return tmp_path


def _env(**extra: str) -> dict[str, str]:  # the tools come from the test environment's scripts
    return {**os.environ, "PATH": os.pathsep.join([sysconfig.get_path("scripts"), "/usr/bin", "/bin"]), **extra}


def _rule_ids(proc: subprocess.CompletedProcess[str]) -> set[str]:
    assert proc.returncode == 1, proc.stderr
    return {f["rule_id"] for f in json.loads(proc.stdout)["findings"]}


def test_python_dash_m_in_the_project(installed: Path, project: Path) -> None:
    proc = subprocess.run([str(installed), "-m", "wardgate", "check", ".", "--format", "json", "--no-llm"],
                          cwd=project, capture_output=True, text=True, env=_env(), timeout=600, check=False)
    assert "WG101" in _rule_ids(proc)


def test_console_script_with_pythonpath(installed: Path, project: Path) -> None:
    proc = subprocess.run([str(installed.parent / "wardgate"), "check", ".", "--format", "json", "--no-llm"],
                          cwd=project, capture_output=True, text=True, env=_env(PYTHONPATH="."), timeout=600, check=False)
    assert "WG101" in _rule_ids(proc)


def test_packages_come_from_the_installation(installed: Path, project: Path) -> None:
    proc = subprocess.run([str(installed), "-c", ("import wardgate, checks, reports, checks.finding\n"
                           "print(wardgate.__file__, checks.__file__, reports.__file__, sep='\\n')")],
                          cwd=project, capture_output=True, text=True, env=_env(PYTHONPATH="."), check=True)
    home = Path(proc.stdout.splitlines()[0]).parent.parent
    assert home.name == "site-packages"
    assert [Path(p).parent.parent for p in proc.stdout.splitlines()] == [home] * 3


def test_clash_is_one_line_and_exit_2(installed: Path, project: Path) -> None:
    (project / "sitecustomize.py").write_text("import reports\n")  # imported before wardgate starts
    proc = subprocess.run([str(installed), "-m", "wardgate", "check", ".", "--no-llm"], cwd=project,
                          capture_output=True, text=True, env=_env(PYTHONPATH="."), timeout=600, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("wardgate: the `reports` package already imported from ") and str(project) in line


def test_clash_in_a_program_raises_import_error(installed: Path, project: Path) -> None:
    proc = subprocess.run([str(installed), "-c", ("import reports\ntry:\n    import wardgate\n"
                           "except ImportError as exc:\n    print(type(exc).__name__, exc)")],
                          cwd=project, capture_output=True, text=True, env=_env(), check=True)
    assert proc.stdout.startswith("ImportClash wardgate: the `reports` package")

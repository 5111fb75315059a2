"""The foundation's contract, end to end through the real CLI and the real tools."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "clinic"
REQUIRED = {"rule_id", "category", "severity", "tool", "path", "start_line", "end_line", "message", "fingerprint"}


def wardgate(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wardgate", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600, check=False)


@pytest.fixture(scope="module")
def example_report() -> tuple[int, dict, str]:
    proc = wardgate("check", "examples/clinic", "--format", "json", "--no-llm", cwd=REPO)
    return proc.returncode, json.loads(proc.stdout), proc.stdout


def test_example_json_contract(example_report: tuple[int, dict, str]) -> None:
    code, report, stdout = example_report
    assert code == 1, "the example has high-severity problems"
    assert set(report) == {"version", "findings", "gate", "stats"}
    assert stdout.strip().startswith("{") and stdout.strip().endswith("}")
    for f in report["findings"]:
        assert REQUIRED <= set(f), f
        assert f["end_line"] >= f["start_line"] >= 1
        assert not f["path"].startswith(("/", "./")) and "\\" not in f["path"]
    assert report["gate"]["verdict"] == "fail"
    assert report["stats"]["llm"]["status"] == "skipped"


def test_example_has_findings_from_every_tool(example_report: tuple[int, dict, str]) -> None:
    _, report, _ = example_report
    tools = {f["tool"] for f in report["findings"]}
    assert {"wardgate", "ruff", "bandit", "radon", "semgrep"} <= tools, tools
    assert all(t["status"] == "ok" for t in report["stats"]["tools"].values())


def test_secret_value_never_printed(example_report: tuple[int, dict, str]) -> None:
    _, _, stdout = example_report
    assert "r1v3rs1de#clinic!dev-k3y" not in stdout


def test_text_report_summary(tmp_path: Path) -> None:
    proc = wardgate("check", "examples/clinic", "--no-llm", "--output", f"json:{tmp_path / 'r.json'}", cwd=REPO)
    assert proc.returncode == 1
    assert "examples/clinic/clinic_site/settings.py" in proc.stdout
    assert "FAIL" in proc.stdout.splitlines()[-1]
    assert json.loads((tmp_path / "r.json").read_text())["gate"]["verdict"] == "fail"


def test_clean_tree_passes(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "util.py").write_text('def add(a: int, b: int) -> int:\n    """Sum."""\n    return a + b\n')
    proc = wardgate("check", ".", "--format", "json", "--no-llm", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["gate"]["verdict"] == "pass"


def test_bad_files_get_one_finding_each(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("import os\n\nprint(os.sep)\n")
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "latin1.py").write_bytes("name = 'Jos\xe9'\n".encode("latin-1"))
    (tmp_path / "binary.py").write_bytes(b"\x00\x01\x02compiled\x00" * 100)
    (tmp_path / "generated.py").write_text("X = [\n" + "    1,\n" * 800_000 + "]\n")  # ~5 MB
    (tmp_path / "dangling.py").symlink_to(tmp_path / "does-not-exist.py")
    (tmp_path / "longline.py").write_text("VALUE = '" + "a" * 10_000 + "'\n")
    proc = wardgate("check", ".", "--format", "json", "--no-llm", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    problems = {f["path"]: f["rule_id"] for f in report["findings"] if f["category"] == "wardgate"}
    assert problems == {
        "broken.py": "WG005", "latin1.py": "WG003", "binary.py": "WG002",
        "generated.py": "WG004", "dangling.py": "WG001",
    }
    assert report["stats"]["files_analysed"] == 2  # ok.py and longline.py
    assert all(t["status"] == "ok" for t in report["stats"]["tools"].values())


def test_broken_config_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "wardgate.toml").write_text('fail_on = "severe"\n\n[tools.ruff]\nenable = true\n')
    proc = wardgate("check", ".", "--no-llm", cwd=tmp_path)
    assert proc.returncode == 2
    assert "wardgate.toml" in proc.stderr
    assert "fail_on" in proc.stderr and "tools.ruff.enable" in proc.stderr
    assert "critical" in proc.stderr  # says what is allowed
    (tmp_path / "wardgate.toml").write_text("fail_on = [\n")
    proc = wardgate("check", ".", "--no-llm", cwd=tmp_path)
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr


def test_rules_and_explain() -> None:
    proc = wardgate("rules", cwd=REPO)
    assert proc.returncode == 0
    assert "WG101" in proc.stdout and "secret" in proc.stdout
    proc = wardgate("explain", "WG101", cwd=REPO)
    assert proc.returncode == 0
    assert "## Why is this bad?" in proc.stdout and "Use instead:" in proc.stdout
    assert wardgate("explain", "WG999", cwd=REPO).returncode == 2


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert wardgate("check", "no-such-dir", cwd=tmp_path).returncode == 2
    assert wardgate("check", "--format", "yaml", cwd=tmp_path).returncode == 2
    assert wardgate("check", "--output", "nonsense", ".", cwd=tmp_path).returncode == 2


def _secret_project(tmp_path: Path) -> Path:
    (tmp_path / "settings.py").write_text('SECRET_KEY = "django-insecure-9x8f7sd6f5g4h3j2k1l0qwertyuiopasdf"\n')
    return tmp_path


def test_linter_habits_exit_zero_statistics_version(tmp_path: Path) -> None:
    project = _secret_project(tmp_path)
    fast = ("check", ".", "--no-llm", "--select", "WG1")  # no external tool can report WG1: none runs
    proc = wardgate(*fast, cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.startswith("FAIL — 1 finding at or above high (1 critical)\n")
    assert proc.stdout.splitlines()[-1] == "1 finding in 1 file (1 critical); 1 file analysed. FAIL"
    assert wardgate(*fast, "--exit-zero", cwd=project).returncode == 0
    stats = wardgate(*fast, "--statistics", cwd=project)
    assert stats.returncode == 1
    assert stats.stdout.splitlines()[0].split() == ["1", "WG101", "critical", "hardcoded-secret-key", "(1", "file)"]
    assert "settings.py" not in stats.stdout  # counts, not the findings
    assert wardgate(*fast, "--statistics", "--format", "json", cwd=project).returncode == 2
    version = wardgate("--version", cwd=project)
    assert version.returncode == 0 and version.stdout.startswith("wardgate ")


def test_no_color_on_a_terminal(tmp_path: Path) -> None:
    """Colour on a terminal by default; NO_COLOR (no-color.org) turns it off; --color always wins."""
    import pty

    project = _secret_project(tmp_path)

    def on_tty(*extra: str, **env: str) -> str:
        main, child = pty.openpty()
        with os.fdopen(main, "rb", buffering=0) as reader:
            proc = subprocess.Popen([sys.executable, "-m", "wardgate", "check", ".", "--no-llm", "--select", "WG1",
                                     *extra], cwd=project, stdout=child, stderr=subprocess.DEVNULL,
                                    env={**os.environ, **env})
            os.close(child)
            chunks = []
            while True:
                try:
                    chunk = reader.read(4096)
                except OSError:  # the terminal closed
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            proc.wait(timeout=600)
        return b"".join(chunks).decode()

    assert "\033[" in on_tty()
    assert "\033[" not in on_tty(NO_COLOR="1")
    assert "\033[" in on_tty("--color", "always", NO_COLOR="1")

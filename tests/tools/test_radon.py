from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checks.finding import Category, Severity
from checks.tools import radon, run_adapter


def branching(name: str, branches: int, indent: str = "") -> str:
    """A function with `branches` if-statements: cyclomatic complexity branches + 1."""
    body = "".join(f"{indent}    if x == {i}:\n{indent}        return {i}\n" for i in range(branches))
    return f"{indent}def {name}(x):\n{body}{indent}    return -1\n"


def test_complexity_ranks(tmp_path: Path, write) -> None:
    source = (branching("simple", 3) + branching("triage", 12)
              + "class Dose:\n" + branching("compute", 25, "    "))
    rel = write("clinic/triage.py", source)
    result = run_adapter(radon, tmp_path, [rel])
    cc = {f.properties["function"]: f for f in result.findings if f.rule_id == "radon:CC"}
    assert set(cc) == {"triage", "Dose.compute"}
    triage = cc["triage"]
    props = triage.properties
    assert (props["rank"], props["complexity"], triage.severity) == ("C", 13, Severity.LOW)
    assert triage.category is Category.QUALITY and triage.tool == "radon"
    assert source.splitlines()[triage.start_line - 1].startswith("def triage")
    assert triage.end_line > triage.start_line
    assert "`triage`" in triage.message and "13" in triage.message and "rank C" in triage.message
    compute = cc["Dose.compute"]
    assert (compute.properties["rank"], compute.severity) == ("D", Severity.MEDIUM)
    assert source.splitlines()[compute.start_line - 1].strip().startswith("def compute")


def test_min_rank_option(tmp_path: Path, write) -> None:
    rel = write("a.py", branching("medium", 7))
    assert run_adapter(radon, tmp_path, [rel]).findings == []
    (f,) = run_adapter(radon, tmp_path, [rel], {"cc_min_rank": "B"}).findings
    assert (f.rule_id, f.properties["rank"]) == ("radon:CC", "B")
    with pytest.raises(ValueError, match="cc_min_rank"):
        run_adapter(radon, tmp_path, [rel], {"cc_min_rank": "Z"})


def test_maintainability_index(tmp_path: Path, write) -> None:
    rel = write("a.py", branching("f", 2))
    (f,) = run_adapter(radon, tmp_path, [rel], {"mi_min_rank": "A"}).findings
    assert (f.rule_id, f.severity, f.start_line, f.path) == ("radon:MI", Severity.LOW, 1, "a.py")
    assert "rank A" in f.message


def test_syntax_error_is_one_note(tmp_path: Path, write) -> None:
    bad = write("bad.py", "def f(:\n    pass\n")
    good = write("good.py", branching("g", 15))
    result = run_adapter(radon, tmp_path, [bad, good])
    (note,) = result.file_notes  # cc and mi both fail on it: reported once
    assert (note.rule_id, note.path) == ("WG007", "bad.py")
    assert "radon" in note.message
    assert [f.path for f in result.findings] == ["good.py"]



def test_in_process_and_subprocess_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small runs measure in wardgate's process, big ones in a subprocess: same findings either way."""
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(branching(f"f{i}", 12 + 10 * i))
    (tmp_path / "bad.py").write_text("def f(:\n")
    files = sorted(p.name for p in tmp_path.glob("*.py"))
    exe = shutil.which("radon")
    assert exe
    inproc = radon.run(exe, tmp_path, files, {"mi_min_rank": "A"})
    monkeypatch.setattr(radon, "IN_PROCESS_MAX_FILES", 0)
    sub = radon.run(exe, tmp_path, files, {"mi_min_rank": "A"})

    def key(r: radon.ToolResult) -> list[tuple[str, str, int, str]]:
        return sorted((f.rule_id, f.path, f.start_line, f.message) for f in (*r.findings, *r.file_notes))

    assert key(inproc) == key(sub)
    assert [k[0] for k in key(sub)].count("radon:CC") == 3
    assert ("WG007", "bad.py") in {k[:2] for k in key(sub)}


MEASURED = {
    "clinic/dosing.py": (
        "# -*- coding: utf-8 -*-\n"
        '"""Dosing helpers."""\n\n'
        "import math  # for ceil\n\n\n"
        + branching("weight_band", 14)
        + "\n\nclass Calculator:\n"
        '    """Multi-line\n    docstring."""\n\n'
        "    def dose(self, kg, age):\n"
        "        def clamp(x):\n"
        "            return x if x < 10 else 10 if x < 20 else 20\n"
        "        assert kg > 0\n"
        "        total = [clamp(k) for k in range(int(kg)) if k and age or k > 3]\n"
        "        try:\n            return math.ceil(sum(total) / age)\n"
        "        except ZeroDivisionError:\n            return 0\n"
        "        finally:\n            pass\n"
    ),
    "clinic/empty.py": "",
    "clinic/lambdas.py": "f = lambda x: x and 1 or 2\nasync def g():\n    async with a as b:\n        pass\n",
    "clinic/broken.py": "def f(:\n    pass\n",
    "clinic/sprawl.py": "".join(branching(f"f{i}", 25) for i in range(40)),  # MI 0
    "clinic/commented.py": "# note\n" * 300 + "x = 1\n",  # comment-heavy
}


def test_measurement_equals_the_radon_cli(tmp_path: Path) -> None:
    """radon_measure.py runs radon's functions on one parse per file: the numbers must be exactly
    what `radon cc -j -s --show-closures` and `radon mi -j` print."""
    for rel, text in MEASURED.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    files = sorted(MEASURED)
    exe = shutil.which("radon")
    assert exe

    def run(*cmd: str) -> dict:
        proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=True)
        return json.loads(proc.stdout)

    cc = run(exe, "cc", "-j", "-s", "--show-closures", "--", *files)
    mi = run(exe, "mi", "-j", "--", *files)
    script = str(Path(radon.__file__).with_name("radon_measure.py"))
    ours = run(sys.executable, script, ".", "150000", "none", *files)
    assert ours == {"cc": cc, "mi": mi}
    assert set(mi) == set(files) and "error" in mi["clinic/broken.py"]
    assert "dose.clamp" in {b["name"] for b in cc["clinic/dosing.py"]}  # --show-closures
    # With a threshold, files whose MI provably exceeds it are left out, and only those.
    for at_most in (9, 19, 60, 99):
        ours = run(sys.executable, script, ".", "150000", str(at_most), *files)
        assert ours["cc"] == cc
        assert all(ours["mi"][f] == mi[f] for f in ours["mi"])
        assert {f for f in mi if "error" in mi[f] or mi[f]["mi"] <= at_most} <= set(ours["mi"])
    assert set(run(sys.executable, script, ".", "150000", "9", *files)["mi"]) == {"clinic/broken.py",
                                                                                "clinic/sprawl.py"}


def test_the_projects_config_files_neither_configure_nor_break_radon(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """radon's CLI reads radon.cfg, setup.cfg and pyproject.toml from its working directory: a `%` there (a logging
    format) made it raise, and a `[radon]` section would have steered the gate from the change under review."""
    (tmp_path / "setup.cfg").write_text("[radon]\nexclude = *.py\n\n[tool:pytest]\n"
                                        "log_format = %(asctime)s [%(levelname)8s] %(message)s\n")
    (tmp_path / "pyproject.toml").write_text('[tool.radon]\nexclude = "*.py"\n[tool.x]\nurl = "a%2Fb"\n')
    (tmp_path / "m.py").write_text(branching("f", 14))
    monkeypatch.chdir(tmp_path)  # the in-process measurement runs in wardgate's working directory
    exe = shutil.which("radon")
    assert exe
    for limit in (100, 0):  # in process, then in a subprocess run in the scan root
        monkeypatch.setattr(radon, "IN_PROCESS_MAX_FILES", limit)
        result = radon.run(exe, tmp_path, ["m.py"], {})
        assert [(f.rule_id, f.path) for f in result.findings] == [("radon:CC", "m.py")], limit

from __future__ import annotations

import shutil
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



def test_in_process_and_cli_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small runs use radon's harvesters in-process, big ones the CLI: same findings either way."""
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(branching(f"f{i}", 12 + 10 * i))
    files = sorted(p.name for p in tmp_path.glob("*.py"))
    exe = shutil.which("radon")
    assert exe
    inproc = radon.run(exe, tmp_path, files, {})
    monkeypatch.setattr(radon, "IN_PROCESS_MAX_FILES", 0)
    cli = radon.run(exe, tmp_path, files, {})

    def key(r: radon.ToolResult) -> list[tuple[str, str, int, str]]:
        return sorted((f.rule_id, f.path, f.start_line, f.message) for f in r.findings)

    assert key(inproc) == key(cli) and len(key(cli)) == 3

"""Diff-aware gating on real git repositories."""
from __future__ import annotations

from wardgate.git import changed_lines

OLD = 'def old(s):\n    return eval(s)\n'
NEW_PROBLEM = 'password = "hunter2hunter2"\n'


def _gating(report: dict) -> list[tuple[str, int]]:  # type: ignore[type-arg]
    return [(f["rule_id"], f["start_line"]) for f in report["findings"] if f.get("in_diff")]


def test_new_problem_on_new_line_fails_old_problem_elsewhere_does_not(repo, wardgate) -> None:
    repo.write("app/old.py", OLD)
    repo.write("app/settings.py", "DEBUG = False\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    code, report = wardgate("check", repo.root, "--no-llm", "--fail-on", "medium", "--diff")
    assert code == 0 and report["stats"]["diff"]["files_changed"] == 0
    repo.write("app/settings.py", "DEBUG = False\n" + NEW_PROBLEM)
    repo.commit("feature")
    code, report = wardgate("check", repo.root, "--no-llm", "--fail-on", "medium", "--diff", "main")
    assert code == 1
    assert [(r, ln) for r, ln in _gating(report)] and all(ln == 2 for _, ln in _gating(report))
    assert not any(f["path"] == "app/old.py" for f in report["findings"])  # unchanged file not analysed
    # default base = merge base with main
    code2, report2 = wardgate("check", repo.root, "--no-llm", "--fail-on", "medium", "--diff")
    assert code2 == 1 and _gating(report2) == _gating(report)


def test_old_problem_in_a_changed_file_is_context_only(repo, wardgate) -> None:
    repo.write("app/old.py", OLD)
    repo.commit("base")
    repo.write("app/old.py", OLD + "\n\nX = 1\n")
    code, report = wardgate("check", repo.root, "--no-llm", "--fail-on", "low", "--diff", "HEAD")
    (f,) = [f for f in report["findings"] if f["rule_id"] == "bandit:B307"]
    assert f["in_diff"] is False and code == 0


def test_staged_and_no_commits(repo, wardgate) -> None:
    repo.write("a.py", NEW_PROBLEM)
    code, report = wardgate("check", repo.root, "--no-llm", "--staged")
    assert code == 0 and report["findings"] == []  # nothing staged yet
    repo.git("add", "a.py")
    code, report = wardgate("check", repo.root, "--no-llm", "--staged")
    assert code == 1 and _gating(report)
    code, report = wardgate("check", repo.root, "--no-llm", "--diff")  # no commits: every file is new
    assert code == 1 and "no commits" in report["stats"]["diff"]["note"]


def test_renames_deletions_binary(repo) -> None:
    repo.write("a.py", "".join(f"x{i} = {i}\n" for i in range(30)))
    repo.write("gone.py", "y = 1\n")
    (repo.root / "blob.bin").write_bytes(b"\0\1\2")
    repo.commit("base")
    repo.git("mv", "a.py", "b.py")
    text = (repo.root / "b.py").read_text().replace("x5 = 5", "x5 = 55")
    repo.write("b.py", text)
    repo.git("rm", "-q", "gone.py")
    (repo.root / "blob.bin").write_bytes(b"\0\1\3")
    repo.commit("change")
    diff = changed_lines(repo.root, "HEAD~1")
    assert diff.changed == {"b.py": {6}} and diff.renamed == {"b.py": "a.py"}
    assert diff.deleted == {"gone.py"} and diff.binary == {"blob.bin"}


def test_pure_deletion_touches_the_surrounding_lines(repo) -> None:
    repo.write("a.py", "def f():\n    audit()\n    save()\n")
    repo.commit("base")
    repo.write("a.py", "def f():\n    save()\n")
    assert changed_lines(repo.root, "HEAD").touches("a.py", 1, 2)


def test_bad_base_is_a_usage_error(repo, wardgate) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit()
    code, _out = wardgate("check", repo.root, "--no-llm", "--diff", "nope", fmt="")
    assert code == 2

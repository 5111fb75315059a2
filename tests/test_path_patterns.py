"""Path patterns mean what they mean in .gitignore, in every config list (checks/pathmatch.py), and file
selection agrees with them inside and outside git."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from checks.pathmatch import path_matches, path_patterns
from wardgate.config import DEFAULT_EXCLUDES, ConfigError, parse_config
from wardgate.files import collect_files


@pytest.mark.parametrize("patterns", [["*.py"], ["**/*.py"], ["*.py", "**/*.pyi"]])
@pytest.mark.parametrize("path", ["a.py", "ward/api/views.py", "x.py/notes.txt", "ward/.py", "a.pyc", "py",
                                  "ward/A.PY", "a.py.bak", "ward/views.pyi"])
def test_suffix_patterns_answer_as_pathspec_does(patterns: list[str], path: str) -> None:
    """The default include (`**/*.py`) is matched by suffix for speed; the answer is pathspec's own."""
    import pathspec

    assert path_patterns(tuple(patterns))._suffixes is not None
    assert path_matches(path, patterns) is bool(pathspec.GitIgnoreSpec.from_lines(patterns).match_file(path))


@pytest.mark.parametrize(("patterns", "path", "expected"), [
    # A pattern without a slash matches a file or folder name at any depth.
    (["migrations"], "migrations/0001_initial.py", True),
    (["migrations"], "ward/migrations/0001_initial.py", True),
    (["migrations"], "ward/migrations_helper.py", False),
    (["*.py"], "app.py", True),
    (["*.py"], "ward/api/views.py", True),
    (["*.py"], "ward/api/views.pyc", False),
    # A slash at the start or in the middle anchors the pattern at the scan root.
    (["/settings.py"], "settings.py", True),
    (["/settings.py"], "conf/settings.py", False),
    (["legacy/*.py"], "legacy/billing.py", True),
    (["legacy/*.py"], "legacy/old/billing.py", False),
    (["legacy/*.py"], "ward/legacy/billing.py", False),
    # `**` spans folders, `*` and `?` do not.
    (["legacy/**"], "legacy/old/billing.py", True),
    (["**/tests/*.py"], "ward/tests/test_x.py", True),
    (["ward/*/views.py"], "ward/api/v1/views.py", False),
    # A trailing slash matches folders only (and what is in them).
    (["build/"], "ward/build/gen.py", True),
    (["build/"], "ward/build", False),
    # Character classes.
    (["migrations/[0-9]*.py"], "migrations/0001_initial.py", True),
    (["migrations/[0-9]*.py"], "migrations/helpers.py", False),
    (["settings_[!p]*.py"], "settings_dev.py", True),
    (["settings_[!p]*.py"], "settings_prod.py", False),
    # `!` takes back what an earlier pattern matched; the last pattern that matches decides.
    (["migrations", "!ward/migrations/0002_audit.py"], "ward/migrations/0002_audit.py", False),
    (["migrations", "!ward/migrations/0002_audit.py"], "ward/migrations/0001_initial.py", True),
    (["!ward/x.py", "*.py"], "ward/x.py", True),
    (["!ward/x.py"], "ward/x.py", False),
    ([], "ward/x.py", False),
])
def test_gitignore_semantics(patterns: list[str], path: str, expected: bool) -> None:
    assert path_matches(path, patterns) is expected


def test_a_folder_is_covered_only_when_no_later_negation_can_take_a_path_back() -> None:
    assert path_patterns(("migrations",)).covers_folder("ward/migrations/")
    assert not path_patterns(("migrations", "!ward/migrations/0002_audit.py")).covers_folder("ward/migrations/")
    assert path_patterns(("!keep.py", "migrations")).covers_folder("ward/migrations/")
    assert not path_patterns(("*.py",)).covers_folder("ward/")
    assert path_patterns(tuple(DEFAULT_EXCLUDES)).covers_folder("ward/node_modules/")


TREE = ("manage.py", "ward/models.py", "ward/migrations/0001_initial.py", "ward/migrations/0002_audit.py",
        "ward/migrations/helpers.py", "pharmacy/migrations/0001_initial.py", ".venv/lib/site.py")


def _tree(root: Path, in_git: bool) -> Path:
    for rel in TREE:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x = 1\n")
    if in_git:
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


@pytest.mark.parametrize("in_git", [True, False], ids=["git", "walk"])
@pytest.mark.parametrize(("exclude", "expected"), [
    (["migrations"], ["manage.py", "ward/models.py"]),
    (["*.py"], []),
    (["**/migrations/[0-9]*.py"], ["manage.py", "ward/migrations/helpers.py", "ward/models.py"]),
    (["migrations", "!ward/migrations/0002_audit.py"], ["manage.py", "ward/migrations/0002_audit.py",
                                                         "ward/models.py"]),
])
def test_collect_files_nested_classes_and_negation(tmp_path: Path, in_git: bool, exclude: list[str],
                                                   expected: list[str]) -> None:
    root = _tree(tmp_path, in_git)
    assert collect_files(root, [root], ["*.py"], [*DEFAULT_EXCLUDES, *exclude]) == expected


@pytest.mark.parametrize("text", ['exclude = ["migrations", "!"]\n',
                                  '[[suppressions]]\nrule = "WG101"\npath = "\\\\"\nreason = "r"\n'])
def test_a_pattern_git_would_reject_is_a_configuration_error(text: str) -> None:
    with pytest.raises(ConfigError, match="is not a .gitignore pattern"):
        parse_config(text, Path("wardgate.toml"))


def test_test_suites_are_named_by_their_kind_not_any_tests_suffix() -> None:
    """`integration_tests/lab_settings.py` is a test run's settings; `lab_tests/views.py` is a hospital's lab app."""
    from checks.source import is_test_path

    for path in ("integration_tests/lab_settings.py", "app/functional_tests/test_flow.py", "e2e_tests/conf.py"):
        assert is_test_path(path), path
    for path in ("lab_tests/views.py", "blood_tests/models.py", "latest/views.py"):
        assert not is_test_path(path), path

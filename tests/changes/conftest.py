"""The planted-hospital repository fixture of test_pr_changes.py, shared with test_pr_approvals.py."""
from test_pr_changes import repo  # noqa: F401 - a fixture: pytest finds it by name

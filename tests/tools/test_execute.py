"""`execute`, which starts every external tool: its output, its timeout, its priority."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from checks.tools.base import ToolFailure, execute


def test_output_and_exit_code(tmp_path: Path) -> None:
    out = execute("probe", [sys.executable, "-c", ("import sys; print('out'); print('err', file=sys.stderr); "
                                                   "sys.exit(3)")], tmp_path)
    assert (out.stdout, out.stderr, out.returncode) == ("out\n", "err\n", 3)


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="POSIX priorities")
def test_niceness_lowers_the_tool_priority(tmp_path: Path) -> None:
    # The probe reads its priority after a moment: execute lowers it just after the start.
    probe = [sys.executable, "-c", ("import os, time; time.sleep(0.2); "
                                    "print(os.getpriority(os.PRIO_PROCESS, 0))")]
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert int(execute("probe", probe, tmp_path).stdout) == base
    assert int(execute("probe", probe, tmp_path, niceness=5).stdout) == min(19, base + 5)


def test_timeout_kills_the_tool(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ToolFailure, match="timed out after 1 s"):
        execute("sleepy", [sys.executable, "-c", "import time; time.sleep(30)"], tmp_path, timeout=1)
    assert time.monotonic() - started < 10


def test_missing_executable(tmp_path: Path) -> None:
    with pytest.raises(ToolFailure, match="could not be started"):
        execute("ghost", [str(tmp_path / "no-such-tool")], tmp_path)

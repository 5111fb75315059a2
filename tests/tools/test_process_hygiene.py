"""No process outlives its run: a tool's timeout kills its whole process group, and SIGTERM stops
workers and tools (issue 14; checks/processes.py). wardgate runs as a real subprocess; the
misbehaving tool is a script on PATH standing in for a hung ruff or bandit."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from checks.tools.base import ToolFailure, execute

HUNG_TOOL = """#!/bin/sh
# A tool that never answers, with a child that holds its stdout open.
sleep 300 &
echo $! >> "{pids}"
echo $$ >> "{pids}"
sleep 300
"""


def _fake_tool(bin_dir: Path, name: str, pids: Path) -> None:
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / name
    exe.write_text(HUNG_TOOL.format(pids=pids))
    exe.chmod(0o755)


def _env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env.get("PATH", "")])
    env["WARDGATE_TOOL_PATH"] = str(bin_dir)  # the fake tool wins over the one next to wardgate's Python
    return env


def _alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            continue
    return out


def _pids(path: Path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def test_timeout_kills_the_tool_and_its_children(tmp_path: Path) -> None:
    root, pids = tmp_path / "proj", tmp_path / "pids"
    root.mkdir()
    (root / "a.py").write_text("x = 1\n")
    (root / "wardgate.toml").write_text("[tools.ruff]\ntimeout = 3\n[tools.bandit]\nenabled = false\n"
                                        "[tools.radon]\nenabled = false\n[tools.semgrep]\nenabled = false\n")
    _fake_tool(tmp_path / "bin", "ruff", pids)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--no-llm", "--no-cache"], cwd=root,
                          env=_env(tmp_path / "bin"), capture_output=True, text=True, timeout=120, check=False)
    elapsed = time.monotonic() - started
    assert proc.returncode == 3 and "timed out after 3 s" in proc.stderr
    assert elapsed < 60  # was 300 s: the run waited for the grandchild holding the pipe
    assert len(_pids(pids)) == 2 and _alive(_pids(pids)) == []


def test_execute_returns_within_the_timeout_plus_a_second(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    _fake_tool(tmp_path / "bin", "hung", pids)
    started = time.monotonic()
    with pytest.raises(ToolFailure, match="timed out after 2 s"):
        execute("hung", [str(tmp_path / "bin" / "hung")], tmp_path, timeout=2)
    assert time.monotonic() - started < 2 + 2  # timeout + about a second (slack for a loaded 2-core CI box)
    assert len(_pids(pids)) == 2 and _alive(_pids(pids)) == []


def test_sigterm_leaves_no_worker_or_tool_process(tmp_path: Path) -> None:
    root, pids = tmp_path / "proj", tmp_path / "pids"
    root.mkdir()
    body = "".join(f"def f{i}(x):\n    if x > {i}:\n        return x * {i}\n    return -x\n\n\n" for i in range(400))
    for i in range(80):
        (root / f"m{i}.py").write_text(body)
    (root / "wardgate.toml").write_text("[tools.semgrep]\nenabled = false\n")
    _fake_tool(tmp_path / "bin", "bandit", pids)
    err = tmp_path / "stderr"
    with err.open("w") as fh:  # a file, not a pipe: a leftover process must not hide behind a blocked read
        proc = subprocess.Popen([sys.executable, "-m", "wardgate", "check", ".", "--no-llm", "--jobs", "2"],
                                cwd=root, env=_env(tmp_path / "bin"), stdout=subprocess.DEVNULL, stderr=fh)
    try:
        me = psutil.Process(proc.pid)
        seen: dict[int, psutil.Process] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:  # until workers and the tool run
            for child in me.children(recursive=True):
                seen.setdefault(child.pid, child)
            workers = [p for p in seen.values() if p.pid not in _pids(pids) and _running(p)
                       and "python" in _name(p)]
            if len(_pids(pids)) == 2 and len(workers) >= 2:
                break
            time.sleep(0.02)
        assert len(_pids(pids)) == 2, "the fake bandit never started"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3 and "interrupted" in err.read_text()
    time.sleep(0.5)
    left = [p.pid for p in seen.values() if _running(p)] + _alive(_pids(pids))
    assert left == []
    cache = root / ".wardgate-cache"
    assert not list(cache.glob(".tmp-*")) if cache.exists() else True


def _running(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _name(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return ""


def test_a_swallowed_interruption_stops_the_next_wait() -> None:
    # A SIGTERM landing in a fork handler raises KeyboardInterrupt where Python only prints
    # "Exception ignored"; the run went on and hung in CI's cancel. The wait after it must stop.
    from concurrent.futures import Future

    from checks import processes

    pending: Future[int] = Future()
    try:
        with contextlib.suppress(KeyboardInterrupt):  # what Python does to it in a fork handler
            processes.on_stop_signal(signal.SIGTERM, None)
        with pytest.raises(KeyboardInterrupt):
            processes.result_of(pending)
    finally:
        processes.reset_interrupted()
    done: Future[int] = Future()
    done.set_result(7)
    assert processes.result_of(done) == 7


STUBBORN = """
import time
from checks import processes
from wardgate import cli
processes.GRACE_SECONDS = 1
cli._stop_on_sigterm()
started = []


def work():
    if not started:
        started.append(True)
        print("ready", flush=True)
    while True:  # a main thread that never reaches a wait, and loses the KeyboardInterrupt it is sent
        try:
            time.sleep(0.01)
        except KeyboardInterrupt:
            pass


while True:  # (and loses it too where it lands between two statements of the loop above)
    try:
        work()
    except KeyboardInterrupt:
        pass
"""


def test_a_run_that_does_not_wind_down_is_stopped_after_the_grace_period(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3
    assert "stopped" in (proc.stderr.read() if proc.stderr else "")

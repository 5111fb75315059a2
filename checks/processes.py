"""Child processes that never outlive their run.

Every tool runs in a process group of its own (`process_group=0`), registered here while it
runs: a timeout kills the whole group (a grandchild holding the pipe open included), and an
interrupted run (SIGTERM, SIGINT) kills every group still registered, so nothing is left behind.
A process group, not a session: with Linux's autogroup scheduling each session weighs as much as the
whole run, so tools in sessions of their own would ignore the priorities wardgate gives them.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

_GROUPS: set[int] = set()
_LOCK = threading.Lock()
_STOPPING = threading.Event()  # set by kill_all: a group started afterwards is killed at once
_INTERRUPTED = threading.Event()  # set by on_stop_signal: every later wait raises KeyboardInterrupt


def track(pgid: int) -> None:
    with _LOCK:
        if not _STOPPING.is_set():
            _GROUPS.add(pgid)
            return
    kill_group(pgid)  # a tool thread raced the interruption


def untrack(pgid: int) -> None:
    with _LOCK:
        _GROUPS.discard(pgid)


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def start() -> None:
    """A new run (in-process callers may run several): tools may start again."""
    _STOPPING.clear()


def kill_all() -> None:
    """Kill every registered process group (the run was interrupted)."""
    with _LOCK:
        _STOPPING.set()
        groups = list(_GROUPS)
        _GROUPS.clear()
    for pgid in groups:
        kill_group(pgid)


def run(cmd: Sequence[str], *, timeout: float, input: str | None = None,  # as subprocess
        **kwargs: Any) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of a short command (a tool's `--version`), in its own
    process group, killed with its children on timeout or when the run is interrupted.
    Raises subprocess.TimeoutExpired or OSError."""
    proc = subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                            process_group=0, **kwargs)
    track(proc.pid)
    try:
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            proc.communicate(timeout=1)
            raise
        return proc.returncode, out, err
    finally:
        untrack(proc.pid)


T = TypeVar("T")
# How often the main thread, waiting on a worker or a tool, looks for a signal: POSIX delivers SIGTERM to any thread,
# and one that lands on a tool thread does not wake a main thread blocked on a lock, so it would go unseen until the
# result arrived (minutes on a large tree).
_SIGNAL_SLICE = 0.2


# How long an interrupted run may take to wind down before it is stopped outright.
GRACE_SECONDS = 10.0
_HARD_STOP_EXIT = 3  # cliutil.EXIT_INTERNAL, as a run stopped by KeyboardInterrupt
_HARD_STOP: list[threading.Timer] = []


def on_stop_signal(signum: int, frame: object) -> None:
    """The handler of SIGTERM and SIGINT: KeyboardInterrupt, remembered. Python ignores an exception raised
    in some places a signal can land (a fork handler, a finaliser: "Exception ignored in ..."), and the run
    would go on; the next wait raises it again (`raise_if_interrupted`). Should the main thread not get
    there (a long stretch of work between waits, a blocking call the signal did not wake), the run is
    stopped outright after GRACE_SECONDS: a cancelled CI job must end."""
    _INTERRUPTED.set()
    with _LOCK:
        if not _HARD_STOP:
            timer = threading.Timer(GRACE_SECONDS, _hard_stop)
            timer.daemon = True
            _HARD_STOP.append(timer)
            timer.start()
    raise KeyboardInterrupt


def _hard_stop() -> None:
    """Kill the tools' process groups and the worker processes, say so, and exit without cleanup."""
    import multiprocessing  # (loaded already wherever there are workers)

    kill_all()
    for child in multiprocessing.active_children():
        with contextlib.suppress(Exception):
            child.kill()
    with contextlib.suppress(Exception):
        os.write(2, f"wardgate: interrupted, and still running {GRACE_SECONDS:g} s later: stopped\n".encode())
    os._exit(_HARD_STOP_EXIT)


def reset_interrupted() -> None:
    _INTERRUPTED.clear()
    with _LOCK:
        for timer in _HARD_STOP:
            timer.cancel()
        _HARD_STOP.clear()


def raise_if_interrupted() -> None:
    if _INTERRUPTED.is_set():
        raise KeyboardInterrupt


def result_of(future: Future[T]) -> T:
    """`future.result()`, waited for in short slices so that an interruption stops the run at once."""
    while True:
        raise_if_interrupted()
        try:
            return future.result(timeout=_SIGNAL_SLICE)
        except TimeoutError:
            if future.done():  # the future's own TimeoutError, raised by the task
                raise

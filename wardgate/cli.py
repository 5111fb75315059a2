"""`wardgate` command line: the parser and the dispatch; each command group lives in its own module
(checkcli, gatecli, factscli, rulescli; what they share in cliutil). Exit codes: 0 gate passed, 1 gate
failed, 2 usage/config error, 3 internal or tool failure (fail closed: never 0 when a stage crashed)."""
from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence

from checks import processes

from . import __version__, checkcli, factscli, gatecli, rulescli
from .cliutil import EXIT_INTERNAL, EXIT_USAGE, Parser, UsageError
from .config import ConfigError


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="wardgate", description="Static-analysis and CI quality gate for Django code in medicine.")
    p.add_argument("--version", action="version", version=f"wardgate {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    checkcli.add_parser(sub)
    rulescli.add_parsers(sub)
    gatecli.add_parsers(sub)
    factscli.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; -> the exit code. Run as the program (`argv` None: the console script,
    `python -m wardgate`) it ends the process itself, see `_exit_now`."""
    code = _main(argv)
    if argv is None and code in (0, 1):  # a finished run; after an interruption or a failure the interpreter's
        _exit_now(code)                  # own exit joins what is still stopping (worker processes, tool threads)
    return code


def _exit_now(code: int) -> None:
    """Flush, run the atexit handlers, and end the process without tearing down the interpreter: freeing
    the run's hundreds of thousands of objects one by one takes 0.15 s of a 1.5 s pre-commit run."""
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (`| head`): as Python itself would, exit 120
        os._exit(120)
    os._exit(code)


def _main(argv: Sequence[str] | None) -> int:
    args = parser().parse_args(argv)
    _stop_on_sigterm()
    try:
        code: int = args.command_main(args)
        return code
    except ConfigError as exc:
        print(f"wardgate: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"wardgate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("wardgate: interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception:  # noqa: BLE001 - fail closed with a readable message, never exit 0
        print("wardgate: internal error (this is a bug in wardgate; please report it):", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return EXIT_INTERNAL


def _stop_on_sigterm() -> None:
    """SIGTERM (CI cancelling a job) stops the run like Ctrl-C: workers and tool process groups are
    killed on the way out (pipeline.run, checks/processes.py) and the exit code is 3. The handler also
    remembers the signal, should Python swallow the exception it raises (processes.on_stop_signal)."""
    if threading.current_thread() is threading.main_thread():
        processes.reset_interrupted()
        signal.signal(signal.SIGTERM, processes.on_stop_signal)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when SIGINT is ignored
            signal.signal(signal.SIGINT, processes.on_stop_signal)


if __name__ == "__main__":
    raise SystemExit(main())

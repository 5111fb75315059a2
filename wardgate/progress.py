"""Progress on stderr, shown only for runs longer than a second (stdout stays the report)."""
from __future__ import annotations

import sys
import threading
import time


class Progress:
    def __init__(self, enabled: bool = True, delay: float = 1.0) -> None:
        self.enabled = enabled
        self.delay = delay
        self.start = time.monotonic()
        self.message = ""
        self._shown = ""
        self._tty = sys.stderr.isatty()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if enabled:
            self._thread = threading.Thread(target=self._loop, name="wardgate-progress", daemon=True)
            self._thread.start()

    def update(self, message: str) -> None:
        self.message = message

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            elapsed = time.monotonic() - self.start
            if elapsed < self.delay or self.message == self._shown:
                continue
            self._shown = self.message
            line = f"wardgate: {self.message} ({elapsed:.0f}s)"
            if self._tty:
                sys.stderr.write("\r\033[K" + line)
            else:
                sys.stderr.write(line + "\n")
            sys.stderr.flush()

    def done(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        if self.enabled and self._tty and self._shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

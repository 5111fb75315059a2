"""One module per output format; each is a pure function of the Report (STYLE.md H9)."""
from __future__ import annotations

from collections.abc import Callable

from ..model import Report
from . import json_writer, text

Writer = Callable[..., str]

WRITERS: dict[str, Writer] = {
    "json": json_writer.render,
    "text": text.render,
}

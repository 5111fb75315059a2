"""One module per output format; each is a pure function of the Report (STYLE.md H9)."""
from __future__ import annotations

from collections.abc import Callable

from . import github, json_writer, junit, markdown, sarif, text

Writer = Callable[..., str]

WRITERS: dict[str, Writer] = {
    "json": json_writer.render,
    "text": text.render,
    "sarif": sarif.render,
    "sarif-github": sarif.render_github,
    "markdown": markdown.render,
    "github": github.render,
    "junit": junit.render,
}

"""One module per output format; each is a pure function of the Report (STYLE.md H9)."""
from __future__ import annotations

from collections.abc import Callable

from . import github, json_writer, junit, markdown, sarif, text

Writer = Callable[..., str]

# The CLI's --format and --output choices, in this order (wardgate/cliutil.py).
WRITERS: dict[str, Writer] = {
    "text": text.render,
    "json": json_writer.render,
    "sarif": sarif.render,
    "sarif-github": sarif.render_github,
    "markdown": markdown.render,
    "github": github.render,
    "junit": junit.render,
}

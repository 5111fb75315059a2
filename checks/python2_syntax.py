"""Read files still written in Python 2 (legacy hospital code: print statements, `except E, e:`).

Such files do not parse as Python 3, yet what the checks look for — views, models, log calls, writes — reads
the same. `rewrite` parses the file with fissix (the maintained fork of lib2to3, which reads both languages)
and applies only syntax fixers, each of which gives one construct its Python 3 spelling on the same line
(`print x` -> `print(x)`, `except E, e:` -> `except E as e:`, `raise E, msg` -> `raise E(msg)`, `<>`, backticks,
`0777`, `10L`, `ur''`, `exec code`; tabs and spaces mixed in indentation), so findings point at the real code. Library renames (`urllib2`,
`iteritems`) are left alone: the checks read names as written. A file that still does not parse stays unparsed
and reported (WG005).
"""
from __future__ import annotations

import logging
import re
from functools import cache
from typing import TYPE_CHECKING

from .newer_syntax import parses

if TYPE_CHECKING:
    from fissix.refactor import RefactoringTool

# Python 2 read a tab in indentation as "to the next multiple of 8"; Python 3 refuses a file that mixes them.
_LEADING_TABS = re.compile(r"^[ \t]*\t[ \t]*", re.MULTILINE)
_FIXERS = ("print", "except", "raise", "ne", "repr", "numliterals", "long", "unicode", "exec")


@cache
def _tool() -> RefactoringTool | None:
    try:  # imported on the first Python 2 file only: most runs never pay for it
        from fissix.refactor import RefactoringTool
    except (ImportError, OSError):  # no fissix, or no cache dir for its grammar tables: Python 2 stays WG005
        return None
    logging.getLogger("RefactoringTool").setLevel(logging.CRITICAL)  # it logs every file it cannot parse
    return RefactoringTool([f"fissix.fixes.fix_{n}" for n in _FIXERS], {"print_function": False})


def rewrite(text: str) -> str | None:
    """Python 3 source with the same lines, or None when this is not Python 2 that fissix can read."""
    tool = _tool()
    if tool is None:
        return None
    source = _LEADING_TABS.sub(lambda m: m.group(0).expandtabs(8), text)
    source = source if source.endswith("\n") else source + "\n"  # fissix's tokenizer needs the final newline
    try:
        out = str(tool.refactor_string(source, "<wardgate>"))
    except Exception:  # noqa: BLE001 - fissix's ParseError/TokenError, or whatever a fixer trips on
        return None
    if out == text or out.count("\n") != source.count("\n") or not parses(out):
        return None
    return out
